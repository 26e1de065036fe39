import CompressNIO
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import SatchelBundles
import SatchelCore
import SatchelHTTP
import SatchelSync

/// The platform's HTTP side of sync protocol v1, plus a small admin page.
public enum PlatformApp {
    /// How long a connection may hold its place and how many places there are, so that clients that open
    /// connections and send nothing (or a head and never its body) cannot starve the nodes.
    public struct ConnectionLimits: Sendable {
        /// A connection that sends no part of a request (a head, a piece of body) for this long is closed, whether
        /// it is between requests or in the middle of one; 60 s as nginx's `client_body_timeout`.
        public var idleTimeout: Duration = .seconds(60)
        /// The most connections open at once; further ones wait in the listen backlog until one closes.
        public var maxConnections = 512
        /// The most one client address may hold; a further one is closed at once. Half the default ``maxConnections``.
        public var maxConnectionsPerAddress = 256
        /// While a request body is read, each 10 s must bring this many bytes a second on average (1 kbit/s: below
        /// the slowest sync bandwidth cap a school would set), or the connection is closed.
        public var minimumBodyRate = 128

        /// The defaults: 60 s idle timeout, 512 connections.
        public init() {}

        /// Limits with the given idle timeout and connection count.
        public init(idleTimeout: Duration, maxConnections: Int) {
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
        }
    }

    /// Builds the platform's application on `host:port`.
    public static func build(
        platform: Platform, host: String, port: Int, limits: ConnectionLimits = ConnectionLimits(), logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    )
        -> some ApplicationProtocol
    {
        let (seconds, attoseconds) = limits.idleTimeout.components
        var guarded = SatchelHTTP.ConnectionLimits()
        guarded.idleTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        guarded.maxConnections = limits.maxConnections
        guarded.maxConnectionsPerAddress = limits.maxConnectionsPerAddress
        // A school's sync may be capped to a few kbit/s: the body rate is set for the slowest link a node may have.
        guarded.minimumBodyRate = limits.minimumBodyRate
        return Application(
            router: router(platform: platform),
            server: HTTPServerBuilder {
                [guarded, addresses = ConnectionsByAddress(limit: guarded.maxConnectionsPerAddress)] in
                GuardedHTTPChannel(responder: $0, limits: guarded, addresses: addresses)
            },
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port), serverName: "satchel-platform",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            onServerRunning: onServerRunning, logger: logger)
    }

    /// The platform's routes.
    public static func router(platform: Platform) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: StrictRequestMiddleware())
        let database = platform.storage

        router.post("/api/v1/enrol") { request, _ -> Response in
            let body = try await BoundedBody.read(request, limit: SyncProtocol.maxMessageBytes).bytes
            guard let enrol = try? JSONDecoder().decode(SyncProtocol.EnrolRequest.self, from: Data(buffer: body)),
                let key = Data(base64Encoded: enrol.publicKey), key.count == 32
            else { return error(.badRequest, "bad_request", "Send an EnrolRequest with a base64 Ed25519 public key.") }
            guard
                let nodeId = try await database.enrol(
                    token: enrol.token, schoolCode: enrol.schoolCode, publicKey: enrol.publicKey)
            else {
                return error(.forbidden, "bad_token", "The enrolment token is unknown, used, or for another school.")
            }
            return try json(try platform.enrolmentAnswer(nodeId: nodeId, nodePublicKey: enrol.publicKey))
        }

        router.post("/api/v1/nodes/:node/events") { request, context -> Response in
            let node = try context.parameters.require("node")
            guard
                let buffer = try await signedBody(
                    request, node: node, limit: SyncProtocol.maxBatchBytes, database: database)
            else {
                return error(.unauthorized, "bad_signature", "The request is not signed by this node's key.")
            }
            let plainBody: Data
            if request.headers[.contentEncoding] == "gzip" {
                do {
                    plainBody = try await inflate(buffer)
                } catch let overflow as CompressNIOError where overflow == .bufferOverflow {
                    return error(
                        .contentTooLarge, "too_large",
                        "The batch decompresses to more than \(SyncProtocol.maxBatchJSONBytes) bytes; send fewer events."
                    )
                } catch {
                    return PlatformApp.error(.badRequest, "bad_gzip", "The body is not valid gzip.")
                }
            } else {
                plainBody = Data(buffer: buffer)
            }
            guard let batch = try? JSONDecoder().decode(SyncProtocol.EventBatch.self, from: plainBody),
                batch.nodeId == node,
                batch.from <= batch.to, batch.events.allSatisfy({ batch.from <= $0.s && $0.s <= batch.to })
            else { return error(.badRequest, "bad_batch", "The body is not a valid event batch for this node.") }
            guard
                let result = try await database.receive(
                    batch.events.map { ReceivedEvent(wire: $0, receivedAt: Date()) }, batchId: batch.batchId,
                    node: node, from: batch.from, to: batch.to)
            else {
                return error(.conflict, "gap", "The batch starts after the acknowledged cursor; ask for the cursor.")
            }
            return try json(SyncProtocol.Cursor(acknowledged: result.0, accepted: result.1, duplicates: result.2))
        }

        router.get("/api/v1/nodes/:node/cursor") { request, context -> Response in
            let node = try context.parameters.require("node")
            guard try await signedBody(request, node: node, limit: 0, database: database) != nil else {
                return error(.unauthorized, "bad_signature", "The request is not signed by this node's key.")
            }
            return try json(SyncProtocol.Cursor(acknowledged: try await database.cursor(node: node)))
        }

        router.post("/api/v1/nodes/:node/health") { request, context -> Response in
            let node = try context.parameters.require("node")
            guard
                let body = try await signedBody(
                    request, node: node, limit: SyncProtocol.maxMessageBytes, database: database)
            else {
                return error(.unauthorized, "bad_signature", "The request is not signed by this node's key.")
            }
            try await database.recordHealth(node: node, json: String(buffer: body))
            return Response(status: .noContent)
        }

        // A node that signs its request sees what is published for its school; an unsigned reader sees what is
        // published for everyone. A request naming a node but not signed by its key is refused, so that a node never
        // takes a shorter catalog for the whole one.
        router.get("/api/v1/catalog") { request, _ -> Response in
            let since = Int64(request.uri.queryParameters["since"].map(String.init) ?? "0") ?? 0
            var school: PublishTargets.School?
            if let node = request.headers[.init(RequestSignature.nodeHeader)!] {
                guard try await signedBody(request, node: node, limit: 0, database: database) != nil,
                    let found = try await database.school(node: node)
                else { return error(.unauthorized, "bad_signature", "The request is not signed by this node's key.") }
                school = found
            }
            let catalog = try await platform.catalog(since: since, for: school)
            let entries = catalog.entries.map {
                SyncProtocol.CatalogEntry(
                    cursor: $0.cursor, id: $0.bundleId, version: $0.version,
                    manifest: $0.manifest.base64EncodedString(),
                    signature: $0.signature.base64EncodedString())
            }
            return try json(SyncProtocol.Catalog(cursor: catalog.cursor, bundles: entries))
        }
        BlobRoute.add(to: router, blobStore: platform.store.blobStore)

        let access = OperatorAccess(storage: database)
        access.register(on: router)
        MonitoringPages(storage: database, access: access, trainingTargetHours: platform.trainingTargetHours)
            .register(on: router)
        // What an operator sees is their region's schools; without a login, a browser is sent to /login.
        router.get("/") { request, _ -> Response in
            guard let person = try await access.current(request) else {
                return Response(status: .seeOther, headers: [.location: "/login"])
            }
            return frontPage(try await database.status(within: person.region), operator: person)
        }
        router.get("/api/v1/status") { request, _ -> Response in
            guard let person = try await access.current(request) else {
                var response = error(
                    .unauthorized, "operator_required",
                    "This needs an operator's API token (Authorization: Bearer …) or login; see docs/platform.md.")
                response.headers[.wwwAuthenticate] = "Bearer"
                return response
            }
            return try json(try await database.status(within: person.region))
        }
        // For load balancers and scripts that wait for the platform: says nothing about its data.
        router.get("/healthz") { _, _ -> Response in try json(["status": "ok"]) }
        router.get("/verify") { request, _ in await CertificateVerifyPage.respond(to: request, platform: platform) }
        return router
    }

    /// The front page an operator sees: their region's schools and how far each school's events have arrived.
    static func frontPage(_ status: PlatformStatus, operator person: Operator) -> Response {
        let escape = HTMLText.escape
        let scope = person.region.isEmpty ? "全国 · Nation" : escape(person.region)
        var html = """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>国家平台 · Platform</title>
            \(OperatorAccess.pageStyle)</head><body><main><h1>国家平台 · Platform</h1>
            <p class=meta>\(escape(person.name)) · \(scope)</p>
            <p>监测 · Monitoring：<a href="/monitoring/usage">使用情况</a> · <a href="/monitoring/resources">常用资源</a> · \
            <a href="/monitoring/searches">无结果搜索</a> · <a href="/monitoring/training">培训学时</a> · \
            <a href="/monitoring/fleet">设备状况</a></p>
            <p>学校 · schools: \(status.nodes.count) · 已收到事件 · events received: \(status.eventsReceived) · \
            资源包版本 · bundle versions: \(status.bundles)</p>
            <table><tr><th>学校 · School</th><th>地区 · Region</th><th>节点 · Node</th><th>已确认 · Acknowledged</th></tr>
            """
        for node in status.nodes {
            html +=
                "<tr><td>\(escape(node.schoolCode))</td><td>\(escape(node.region))</td><td>\(escape(node.id))</td>"
                + "<td>\(node.acknowledged)</td></tr>"
        }
        html += """
            </table><form method="post" action="/logout"><p><button type="submit">退出登录 · Log out</button></p></form>
            </main></body></html>
            """
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// Batches are decompressed one at a time, off the threads that serve requests, so that many bodies that
    /// inflate to the cap at once hold one cap's worth of memory, not one each.
    private static let inflater = DispatchQueue(label: "satchel.platform.inflate")

    /// Decompresses a gzip batch, stopping at ``SyncProtocol/maxBatchJSONBytes``.
    static func inflate(_ body: ByteBuffer) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            inflater.async {
                var buffer = body
                continuation.resume(
                    with: Result {
                        Data(
                            try buffer.decompress(with: .gzip(), maxSize: SyncProtocol.maxBatchJSONBytes)
                                .readableBytesView)
                    })
            }
        }
    }

    /// The body of a request that must be signed by `node`, or nil when it is not. Everything that can be checked
    /// without the body is checked before a byte of it is read (the size it announces, the node, the time); the body
    /// is then read under `limit`, hashed as it arrives, and the signature checked against that hash.
    static func signedBody(
        _ request: Request, node: String, limit: Int, database: any PlatformStorage
    ) async throws
        -> ByteBuffer?
    {
        try BoundedBody.refuseAnnounced(request, limit: limit)
        var headers: [String: String] = [:]
        for name in [RequestSignature.nodeHeader, RequestSignature.timeHeader, RequestSignature.signatureHeader] {
            headers[name] = request.headers[.init(name)!]
        }
        guard headers[RequestSignature.nodeHeader] == node, let key = try await database.publicKey(node: node) else {
            return nil
        }
        guard RequestSignature.isFresh(headers: headers) else {
            // A signed request from an enrolled node whose clock is off is told the platform's time (see
            // ClockSkewRefusal); anything else about it is still checked when it comes again.
            guard headers[RequestSignature.timeHeader].flatMap({ Int64($0) }) != nil,
                headers[RequestSignature.signatureHeader] != nil
            else { return nil }
            throw ClockSkewRefusal(platformTime: Date())
        }
        let body = try await BoundedBody.read(request, limit: limit)
        guard
            RequestSignature.verify(
                headers: headers, publicKey: key, method: request.method.rawValue, path: request.uri.path,
                bodySHA256: body.sha256)
        else { return nil }
        return body.bytes
    }

    static func json(_ value: some Encodable) throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        let body = (try? JSONEncoder().encode(["error": ["code": code, "message": message]])) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
