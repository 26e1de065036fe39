import CCurl
import Foundation
import SatchelCore

/// HTTP over libcurl. One transport (and its copies) keeps one libcurl handle, so its requests reuse one TCP
/// connection; libcurl blocks, so every transfer runs on the handle's own serial dispatch queue, never on the
/// cooperative thread pool that serves requests. Transfers of one transport run one after another.
public struct CurlTransport: Sendable {
    /// A finished transfer.
    public struct Response: Sendable {
        /// The HTTP status code.
        public var status: Int
        /// The body.
        public var body: Data
        /// The response headers, names lowercased; the last value wins.
        public var headers: [String: String]
    }

    /// Gives up when connecting takes longer than this.
    public var connectTimeoutSeconds = 10
    /// An HTTP proxy URL, or nil for a direct connection.
    public var proxy: String?
    /// A CA bundle file for https, or nil for the system's.
    public var caBundle: String?
    /// The most bytes per second to receive or send; 0 for no cap.
    public var maxBytesPerSecond: Int64 = 0
    /// Gives up when fewer than `lowSpeedBytesPerSecond` arrive for this long.
    public var lowSpeedSeconds = 30
    /// See ``lowSpeedSeconds``.
    public var lowSpeedBytesPerSecond = 100
    /// Where the bytes every transfer moved over the network are counted, finished or not; nil counts nothing.
    public var meter: WireMeter?

    private let connection = Connection()
    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Creates a transport with the default timeouts.
    public init() {}

    /// The most bytes of an answer held in memory unless a call says otherwise.
    public static let defaultAnswerLimit = 8 * 1024 * 1024

    /// Performs a GET (or a HEAD when `head` is true) with extra request headers. An answer whose body (after
    /// decompression) passes `limit` bytes is stopped there and fails with ``TransportError/Code/tooLarge``.
    public func get(
        _ url: String, headers: [String: String] = [:], head: Bool = false, limit: Int = defaultAnswerLimit
    ) async throws -> Response {
        try await connection.run(meter: meter) { handle in
            try perform(handle, url: url, headers: headers, head: head, body: nil, limit: limit)
        }
    }

    /// Performs a POST of `body` with extra request headers; the answer is read under `limit` as for ``get``.
    public func post(
        _ url: String, body: Data, headers: [String: String] = [:], limit: Int = defaultAnswerLimit
    ) async throws -> Response {
        try await connection.run(meter: meter) { handle in
            try perform(handle, url: url, headers: headers, head: false, body: body, limit: limit)
        }
    }

    private final class Sink {
        var body = Data()
        var headers: [String: String] = [:]
        /// When downloading to a file: where the body goes instead of `body`.
        var file: FileHandle?
        /// Set when a resumed download got a full 200 answer: the partial file is discarded first.
        var resumedFrom: Int64 = 0
        var status = 0
        var fileError = false
        /// The most bytes the body may hold in memory.
        var limit = CurlTransport.defaultAnswerLimit
        /// The most bytes the downloaded file may reach, counting what it held before.
        var fileLimit = Int64.max
        /// How long the downloaded file is now.
        var fileSize: Int64 = 0
        /// Set when the answer passed `limit` or `fileLimit` and the transfer was stopped.
        var overflow = false
    }

    /// Downloads `url` into `path`, continuing a partial file with a Range request, and returns the final status.
    /// A server that ignores the range (answering 200) makes the download start over; nothing is ever appended twice.
    /// A file that would grow past `maxFileBytes` is not written further: the transfer stops and fails with
    /// ``TransportError/Code/tooLarge``.
    public func download(
        _ url: String, to path: String, headers: [String: String] = [:], maxFileBytes: Int64 = .max
    ) async throws -> Response {
        try await connection.run(meter: meter) { curl in
            if !FileManager.default.fileExists(atPath: path) {
                FileManager.default.createFile(atPath: path, contents: nil)
            }
            guard let handle = FileHandle(forUpdatingAtPath: path) else {
                throw TransportError(
                    code: .local, message: LocalizedText(zh: "无法写入 \(path)。", en: "Cannot write \(path)."))
            }
            defer { try? handle.close() }
            let existing = Int64((try? handle.seekToEnd()) ?? 0)
            return try perform(
                curl, url: url, headers: headers, head: false, body: nil, limit: Self.defaultAnswerLimit,
                file: (handle, existing, maxFileBytes))
        }
    }

    private func perform(
        _ handle: UnsafeMutableRawPointer, url: String, headers: [String: String], head: Bool, body: Data?,
        limit: Int, file: (handle: FileHandle, resumeFrom: Int64, limit: Int64)? = nil
    ) throws -> Response {
        let sink = Sink()
        let resumeFrom = file?.resumeFrom ?? 0
        sink.limit = limit
        sink.file = file?.handle
        sink.resumedFrom = resumeFrom
        sink.fileSize = resumeFrom
        sink.fileLimit = file?.limit ?? .max
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers { list = curl_slist_append(list, "\(name): \(value)") }
        defer { curl_slist_free_all(list) }

        ccurl_easy_setopt_string(handle, CURLOPT_URL, url)
        ccurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        ccurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, connectTimeoutSeconds)
        ccurl_easy_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, lowSpeedSeconds)
        ccurl_easy_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, lowSpeedBytesPerSecond)
        ccurl_easy_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
        if head { ccurl_easy_setopt_long(handle, CURLOPT_NOBODY, 1) }
        if resumeFrom > 0 { ccurl_easy_setopt_off(handle, CURLOPT_RESUME_FROM_LARGE, curl_off_t(resumeFrom)) }
        if let proxy { ccurl_easy_setopt_string(handle, CURLOPT_PROXY, proxy) }
        if let caBundle { ccurl_easy_setopt_string(handle, CURLOPT_CAINFO, caBundle) }
        if maxBytesPerSecond > 0 {
            ccurl_easy_setopt_off(handle, CURLOPT_MAX_RECV_SPEED_LARGE, curl_off_t(maxBytesPerSecond))
            ccurl_easy_setopt_off(handle, CURLOPT_MAX_SEND_SPEED_LARGE, curl_off_t(maxBytesPerSecond))
        }
        // libcurl copies the body (COPYPOSTFIELDS), so it need not outlive this call.
        if let body {
            ccurl_easy_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { buffer in
                _ = ccurl_easy_setopt_pointer(
                    handle, CURLOPT_COPYPOSTFIELDS,
                    UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        if let list { ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list) }
        ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        ccurl_easy_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
            guard let data else { return size * count }
            let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
            // An error page (a proxy's 503, a 416) is not part of the file: it is held like any answer.
            guard let file = sink.file, sink.status == 200 || sink.status == 206 else {
                guard sink.body.count + bytes.count <= sink.limit else {
                    sink.overflow = true
                    return 0
                }
                sink.body.append(contentsOf: bytes)
                return size * count
            }
            do {
                // Only a 206 continues the partial file; any other answer replaces it.
                if sink.resumedFrom > 0 && sink.status != 206 {
                    try file.truncate(atOffset: 0)
                    sink.resumedFrom = 0
                    sink.fileSize = 0
                }
                guard sink.fileSize + Int64(bytes.count) <= sink.fileLimit else {
                    sink.overflow = true
                    return 0
                }
                try file.write(contentsOf: bytes)
                sink.fileSize += Int64(bytes.count)
            } catch {
                sink.fileError = true
                return 0
            }
            return size * count
        }
        ccurl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        ccurl_easy_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
            if let data {
                let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
                if line.hasPrefix("HTTP/") {
                    sink.headers.removeAll()
                    sink.status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
                }
                if let colon = line.firstIndex(of: ":") {
                    let name = line[..<colon].lowercased()
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                    sink.headers[name] = value
                }
            }
            return size * count
        }
        let result = curl_easy_perform(handle)
        if sink.overflow {
            let limit = sink.file == nil ? Int64(sink.limit) : sink.fileLimit
            throw TransportError(
                code: .tooLarge,
                message: LocalizedText(
                    zh: "来自 \(url) 的回答超过 \(limit) 字节，已停止接收。",
                    en: "The answer from \(url) is larger than \(limit) bytes; it was stopped there."))
        }
        if sink.fileError {
            throw TransportError(
                code: .local,
                message: LocalizedText(
                    zh: "写入下载文件失败（磁盘满了？）。", en: "Writing the download failed (is the disk full?)."))
        }
        guard result == CURLE_OK else { throw Self.error(for: result, url: url) }
        var status = 0
        ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, body: sink.body, headers: sink.headers)
    }

    static func error(for code: CURLcode, url: String) -> TransportError {
        let reason = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return TransportError(
                code: .dns,
                message: LocalizedText(
                    zh: "无法解析 \(url) 的主机名（DNS）：\(reason)。请检查网址和网络。",
                    en: "Cannot resolve the host of \(url) (DNS): \(reason). Check the URL and the network."))
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return TransportError(
                code: .tls,
                message: LocalizedText(
                    zh: "与 \(url) 的 TLS 连接失败：\(reason)。请检查系统时间和证书。",
                    en: "TLS with \(url) failed: \(reason). Check the clock and the CA certificates."))
        case CURLE_OPERATION_TIMEDOUT:
            return TransportError(
                code: .timeout,
                message: LocalizedText(
                    zh: "访问 \(url) 超时：\(reason)。请检查网络是否连通（链路可能断了或太慢）。",
                    en: "The transfer from \(url) timed out: \(reason). Check that the network is up (the link may "
                        + "be down or too slow)."))
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return TransportError(
                code: .farEnd,
                message: LocalizedText(
                    zh: "已连上 \(url)，但对方中途断开了连接：\(reason)。本校网络是通的；是平台（或它前面的代理）出了故障，"
                        + "可能崩溃或正在重启。会自动重试。",
                    en: "\(url) was reached, then it broke the connection: \(reason). The network is up; the "
                        + "platform (or a proxy in front of it) failed, perhaps crashed or restarting. It is retried."))
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_WRITE_ERROR:
            return TransportError(
                code: .local,
                message: LocalizedText(
                    zh: "请求 \(url) 失败：\(reason)。", en: "The request for \(url) failed: \(reason)."))
        default:
            return TransportError(
                code: .connection,
                message: LocalizedText(
                    zh: "无法连接 \(url)：\(reason)。请检查网络是否连通。",
                    en: "Cannot connect to \(url): \(reason). Check that the network is up."))
        }
    }
}
