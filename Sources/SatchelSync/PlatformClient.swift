import CompressNIO
import Crypto
import Foundation
import NIOCore
import SatchelCore

/// The node's side of sync protocol v1, over libcurl: enrolment, signed pushes of event batches, the acknowledged
/// cursor, the catalog and blobs. The same catalog and blob calls work against a LAN peer.
public struct PlatformClient: Sendable {
    /// The platform's (or peer's) base URL, without a trailing slash.
    public let baseURL: String
    /// The transport; its timeouts, proxy and bandwidth cap apply to every call.
    public var transport: CurlTransport
    let identity: NodeIdentity?
    let nodeId: String?
    /// Where the platform's time is learned and read; nil for a peer, whose time is never trusted.
    let clock: PlatformClock?

    /// A client for a platform the node is enrolled with (`identity` and `nodeId` sign requests, `clock` learns the
    /// platform's time and dates the signatures), or for a peer.
    public init(
        baseURL: String, transport: CurlTransport = CurlTransport(), identity: NodeIdentity?, nodeId: String?,
        clock: PlatformClock? = nil
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.transport = transport
        self.identity = identity
        self.nodeId = nodeId
        self.clock = clock
    }

    /// Exchanges a one-time token for a node id.
    public func enrol(_ request: SyncProtocol.EnrolRequest) async throws -> SyncProtocol.EnrolResponse {
        let body = try JSONEncoder().encode(request)
        let response = try await exchange("POST", "/api/v1/enrol", body, signed: false) { headers in
            try await transport.post(
                baseURL + "/api/v1/enrol", body: body,
                headers: headers.merging(["Content-Type": "application/json"]) {
                    $1
                }, limit: SyncProtocol.maxMessageBytes)
        }
        return try decode(response, what: "enrolment")
    }

    /// Thrown by ``push(_:maxJSONBytes:)`` before anything is sent: the batch's JSON is larger than asked.
    public struct BatchTooLarge: Error {
        public let jsonBytes: Int
    }

    /// Pushes a batch of events, gzip-compressed, and returns the platform's cursor; a batch of several events whose
    /// JSON passes `maxJSONBytes` is not sent (``BatchTooLarge``).
    public func push(
        _ batch: SyncProtocol.EventBatch, maxJSONBytes: Int = SyncProtocol.maxBatchJSONBytes
    ) async throws -> (cursor: SyncProtocol.Cursor, wireBytes: Int) {
        let json = try JSONEncoder().encode(batch)
        // One event larger than the limit still goes: the platform's own limit then decides.
        guard json.count <= maxJSONBytes || batch.events.count <= 1 else { throw BatchTooLarge(jsonBytes: json.count) }
        var buffer = ByteBuffer(bytes: json)
        let compressed = Data(try buffer.compress(with: .gzip()).readableBytesView)
        let path = "/api/v1/nodes/\(batch.nodeId)/events"
        let response = try await exchange("POST", path, compressed) { signature in
            var headers = signature
            headers["Content-Type"] = "application/json"
            headers["Content-Encoding"] = "gzip"
            return try await transport.post(
                baseURL + path, body: compressed, headers: headers, limit: SyncProtocol.maxMessageBytes)
        }
        return (try decode(response, what: "push"), compressed.count)
    }

    /// The platform's acknowledged cursor for this node.
    public func cursor() async throws -> SyncProtocol.Cursor {
        let path = "/api/v1/nodes/\(try requireNodeId())/cursor"
        let response = try await exchange("GET", path, Data()) { headers in
            try await transport.get(baseURL + path, headers: headers, limit: SyncProtocol.maxMessageBytes)
        }
        return try decode(response, what: "cursor")
    }

    /// Bundle versions published after `since`.
    public func catalog(since: Int64) async throws -> SyncProtocol.Catalog {
        let path = "/api/v1/catalog"
        let response = try await exchange("GET", path, Data(), signed: identity != nil) { headers in
            try await transport.get(
                baseURL + path + "?since=\(since)", headers: headers, limit: SyncProtocol.maxCatalogBytes)
        }
        return try decode(response, what: "catalog")
    }

    /// Downloads a blob into `path`, resuming a partial file, and returns the bytes received in this call. The file
    /// never grows past `size`, the size the signed manifest lists: a source that sends more is stopped there
    /// (``TransportError/Code/tooLarge``).
    public func downloadBlob(_ sha256: String, size: Int64, to path: String) async throws -> Int64 {
        let before = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        let response = try await transport.download(
            baseURL + "/api/v1/blobs/\(sha256)", to: path, maxFileBytes: size)
        guard response.status == 200 || response.status == 206 else {
            throw TransportError(
                code: .http,
                message: LocalizedText(
                    zh: "下载 \(sha256.prefix(12)) 失败：平台返回 \(response.status)。",
                    en: "Downloading \(sha256.prefix(12)) failed: the platform answered \(response.status)."))
        }
        let after = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        return response.status == 206 ? after - before : after
    }

    /// Sends the node's health summary.
    public func health(_ report: SyncProtocol.HealthReport) async throws {
        let path = "/api/v1/nodes/\(try requireNodeId())/health"
        let body = try JSONEncoder().encode(report)
        let response = try await exchange("POST", path, body) { signature in
            var headers = signature
            headers["Content-Type"] = "application/json"
            return try await transport.post(
                baseURL + path, body: body, headers: headers, limit: SyncProtocol.maxMessageBytes)
        }
        guard (200..<300).contains(response.status) else { throw refusal(response, what: "health report") }
    }

    private func requireNodeId() throws -> String {
        guard let nodeId else {
            throw SyncError(
                code: .notEnrolled,
                message: LocalizedText(
                    zh: "本校资源服务器尚未在国家平台注册。请技术员运行 satchel provision。",
                    en: "This node is not enrolled. Run satchel provision."))
        }
        return nodeId
    }

    private func signed(_ method: String, _ path: String, _ body: Data) throws -> [String: String] {
        guard let identity else { return [:] }
        return try RequestSignature.headers(
            nodeId: try requireNodeId(), key: identity.key, method: method, path: path, body: body,
            now: clock?.now() ?? Date())
    }

    /// Sends one request with `send` (given the signature headers when `signed`), learns the platform's time from
    /// the answer, and when the platform refused the signature for clock skew alone, sends it once more signed with
    /// the time it just learned. A platform answer never fails for skew alone, but it is not asked a third time.
    private func exchange(
        _ method: String, _ path: String, _ body: Data, signed isSigned: Bool = true,
        _ send: ([String: String]) async throws -> CurlTransport.Response
    ) async throws -> CurlTransport.Response {
        func attempt() async throws -> CurlTransport.Response {
            let headers = isSigned ? try signed(method, path, body) : [:]
            let sent = BootInstant.now()
            let response = try await send(headers)
            clock?.learn(from: response, sent: sent, received: BootInstant.now())
            return response
        }
        let response = try await attempt()
        guard isSigned, clock != nil, response.status == 401, Self.isSkewRefusal(response) else { return response }
        return try await attempt()
    }

    /// Whether an answer is the platform's refusal for clock skew.
    static func isSkewRefusal(_ response: CurlTransport.Response) -> Bool {
        let error = (try? JSONDecoder().decode([String: [String: String]].self, from: response.body))?["error"]
        return error?["code"] == RequestSignature.skewErrorCode
    }

    private func decode<T: Decodable>(_ response: CurlTransport.Response, what: String) throws -> T {
        guard (200..<300).contains(response.status) else { throw refusal(response, what: what) }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw SyncError(
                code: .badResponse,
                message: LocalizedText(
                    zh: "平台对\(what)的回答无法解析。", en: "The platform's answer to the \(what) could not be read."))
        }
    }

    private func refusal(_ response: CurlTransport.Response, what: String) -> any Error {
        let detail =
            (try? JSONDecoder().decode([String: [String: String]].self, from: response.body))?["error"]?["message"]
            ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        if response.status >= 500 {
            return TransportError(
                code: .http,
                message: LocalizedText(
                    zh: "平台暂时出错（\(response.status)），稍后会自动重试：\(detail)",
                    en: "The platform failed (\(response.status)); it will be retried: \(detail)"))
        }
        return SyncError(
            code: .refused,
            message: LocalizedText(
                zh: "平台拒绝了\(what)（\(response.status)）：\(detail)",
                en: "The platform refused the \(what) (\(response.status)): \(detail)"))
    }
}
