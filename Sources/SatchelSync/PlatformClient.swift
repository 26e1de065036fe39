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

    /// A client for a platform the node is enrolled with (`identity` and `nodeId` sign requests), or for a peer.
    public init(baseURL: String, transport: CurlTransport = CurlTransport(), identity: NodeIdentity?, nodeId: String?) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.transport = transport
        self.identity = identity
        self.nodeId = nodeId
    }

    /// Exchanges a one-time token for a node id.
    public func enrol(_ request: SyncProtocol.EnrolRequest) async throws -> SyncProtocol.EnrolResponse {
        let response = try await transport.post(
            baseURL + "/api/v1/enrol", body: try JSONEncoder().encode(request),
            headers: ["Content-Type": "application/json"], limit: SyncProtocol.maxMessageBytes)
        return try decode(response, what: "enrolment")
    }

    /// Pushes a batch of events, gzip-compressed, and returns the platform's cursor.
    public func push(_ batch: SyncProtocol.EventBatch) async throws -> (cursor: SyncProtocol.Cursor, wireBytes: Int) {
        let json = try JSONEncoder().encode(batch)
        var buffer = ByteBuffer(bytes: json)
        let compressed = Data(try buffer.compress(with: .gzip()).readableBytesView)
        let path = "/api/v1/nodes/\(batch.nodeId)/events"
        var headers = try signed("POST", path, compressed)
        headers["Content-Type"] = "application/json"
        headers["Content-Encoding"] = "gzip"
        let response = try await transport.post(
            baseURL + path, body: compressed, headers: headers, limit: SyncProtocol.maxMessageBytes)
        return (try decode(response, what: "push"), compressed.count)
    }

    /// The platform's acknowledged cursor for this node.
    public func cursor() async throws -> SyncProtocol.Cursor {
        let path = "/api/v1/nodes/\(try requireNodeId())/cursor"
        return try decode(
            try await transport.get(
                baseURL + path, headers: try signed("GET", path, Data()), limit: SyncProtocol.maxMessageBytes),
            what: "cursor")
    }

    /// Bundle versions published after `since`.
    public func catalog(since: Int64) async throws -> SyncProtocol.Catalog {
        let path = "/api/v1/catalog"
        let headers = identity == nil ? [:] : try signed("GET", path, Data())
        return try decode(
            try await transport.get(
                baseURL + path + "?since=\(since)", headers: headers, limit: SyncProtocol.maxCatalogBytes),
            what: "catalog")
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
        var headers = try signed("POST", path, body)
        headers["Content-Type"] = "application/json"
        let response = try await transport.post(
            baseURL + path, body: body, headers: headers, limit: SyncProtocol.maxMessageBytes)
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
            nodeId: try requireNodeId(), key: identity.key, method: method, path: path, body: body)
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
