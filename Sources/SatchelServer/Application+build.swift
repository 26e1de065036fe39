import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import SatchelBundles
import SatchelCore
import SatchelHTTP
import SatchelStore
import ServiceLifecycle

/// Builds the node's HTTP application: the router, the address from the configuration, and the connection limits.
///
/// Tests and `satchel serve` share this wiring.
/// `events` is the node's event log; by default one with the configured usage write delay.
public func buildApplication(
    node: Node, logger: Logger, limits: ConnectionLimits = ConnectionLimits(), services: [any Service] = [],
    events: EventLog? = nil, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let shared = SharedHandlers(node: node, events: events)
    let router = buildRouter(node: node, shared: shared)
    return Application(
        router: router,
        server: HTTPServerBuilder {
            [addresses = ConnectionsByAddress(limit: limits.maxConnectionsPerAddress)] responder in
            GuardedHTTPChannel(responder: responder, limits: limits, addresses: addresses)
        },
        configuration: ApplicationConfiguration(
            address: .hostname(node.configuration.listenHost, port: node.configuration.port),
            serverName: "satchel",
            availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)
        ),
        services: services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// The node's routes: content, the teacher web UI, the JSON API, health and metrics.
public func buildRouter(node: Node) -> Router<BasicRequestContext> {
    buildRouter(node: node, shared: SharedHandlers(node: node))
}

/// What the routes share: one event log, and the content responder and beacon recorder with their caches.
struct SharedHandlers {
    let events: EventLog
    let content: ContentResponder
    let beacons: BeaconRecorder

    /// Who used what lately: views, downloads and searches count once per client and window.
    let recentUses = RecentUses()
    /// When each client opened each resource, for crediting beacon time.
    let visits = VisitClock()

    init(node: Node, events: EventLog? = nil) {
        self.events =
            events
            ?? EventLog(database: node.database, usageDelay: TimeInterval(node.configuration.usageWriteDelaySeconds))
        content = ContentResponder(
            database: node.database, blobStore: node.blobStore, events: self.events, recentUses: recentUses,
            visits: visits)
        beacons = BeaconRecorder(database: node.database, events: self.events, visits: visits)
    }
}

/// The routes, using `shared`.
func buildRouter(node: Node, shared: SharedHandlers) -> Router<BasicRequestContext> {
    let (events, content, beacons) = (shared.events, shared.content, shared.beacons)
    NodeMetrics.bootstrap
    let router = Router(context: BasicRequestContext.self)
    let pages = WebPages(
        database: node.database, defaultLanguage: node.configuration.language, events: events,
        recentUses: shared.recentUses, visits: shared.visits)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: StrictRequestMiddleware())
    router.add(middleware: ErrorPageMiddleware(pages: pages))
    let api = CatalogAPI(database: node.database)
    let health = HealthCheck(node: node)

    router.get("/") { request, _ in try pages.home(request) }
    router.get("/search") { request, _ in try pages.search(request) }
    router.get("/browse") { request, _ in try pages.browse(request) }
    router.get("/bundles/:id") { request, context in
        try pages.bundle(request, id: try context.parameters.require("id"))
    }
    router.get("/resources/:bundle/:id") { request, context in
        try pages.resource(
            request, bundleId: try context.parameters.require("bundle"), id: try context.parameters.require("id"))
    }
    let share = SharePage(pages: pages) { TeacherAddresses.urls(node: node, configuration: node.configuration) }
    router.get("/share/:bundle/:id") { request, context in
        try share.respond(
            request, bundleId: try context.parameters.require("bundle"), id: try context.parameters.require("id"))
    }
    router.get("/content/**") { request, context in try await content.respond(to: request, context: context) }
    router.head("/content/**") { request, context in try await content.respond(to: request, context: context) }
    DownloadRoute(database: node.database, blobStore: node.blobStore, content: content, pages: pages)
        .register(on: router)
    RecordsRoutes(node: node, events: events, pages: pages, beacons: beacons).register(on: router)
    AdminRoutes(node: node, pages: pages).register(on: router)
    TeacherTools(database: node.database, pages: pages).register(on: router)
    BlobRoute.add(to: router, blobStore: node.blobStore)
    PeerCatalogRoute.add(to: router, database: node.database)
    router.get("/healthz") { _, _ in
        let report = health.run()
        return try api.json(report, status: report.reasons.isEmpty ? .ok : .serviceUnavailable)
    }
    router.get("/metrics") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: try NodeMetrics.render(node: node))))
    }
    router.group("/api/v1")
        .add(middleware: APIErrorMiddleware())
        .get("bundles") { _, _ in try api.bundles() }
        .get("bundles/:id") { _, context in try api.bundle(id: try context.parameters.require("id")) }
        .get("resources") { request, _ in try api.resources(request) }
        .get("resources/:bundle/:id") { _, context in
            try api.resource(
                bundleId: try context.parameters.require("bundle"), id: try context.parameters.require("id"))
        }
        .get("search") { request, _ in try api.search(request) }
        .get("facets") { request, _ in try api.facets(request) }
        .get("**") { _, _ -> Response in throw APIError.notFound("There is no such API endpoint; see docs/api.md.") }
    return router
}
