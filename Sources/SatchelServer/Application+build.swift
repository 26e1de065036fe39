import Foundation
import Hummingbird
import Logging
import NIOCore
import SatchelBundles
import SatchelCore
import SatchelStore
import ServiceLifecycle

/// Builds the node's HTTP application: the router plus the server settings from the configuration.
///
/// Tests and `satchel serve` share this wiring.
public func buildApplication(
    node: Node, logger: Logger, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(node: node)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(node.configuration.listenHost, port: node.configuration.port),
            serverName: "satchel"
        ),
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// The node's routes: content, the teacher web UI, the JSON API and health.
public func buildRouter(node: Node) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let content = ContentResponder(database: node.database, blobStore: node.blobStore)
    let pages = WebPages(database: node.database, defaultLanguage: node.configuration.language)
    let api = CatalogAPI(database: node.database)

    router.get("/") { request, _ in try pages.home(request) }
    router.get("/bundles/:id") { request, context in
        try pages.bundle(request, id: try context.parameters.require("id"))
    }
    router.get("/resources/:bundle/:id") { request, context in
        try pages.resource(
            request, bundleId: try context.parameters.require("bundle"), id: try context.parameters.require("id"))
    }
    router.get("/content/**") { request, context in try await content.respond(to: request, context: context) }
    router.head("/content/**") { request, context in try await content.respond(to: request, context: context) }
    router.get("/healthz") { _, _ in try api.health() }
    router.group("/api/v1")
        .add(middleware: APIErrorMiddleware())
        .get("bundles") { _, _ in try api.bundles() }
        .get("bundles/:id") { _, context in try api.bundle(id: try context.parameters.require("id")) }
        .get("resources") { _, _ in try api.resources() }
    return router
}
