import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SatchelBundles
import SatchelCore
import SatchelHTTP
import SatchelStore
import _NIOFileSystem

/// The parts of a `/content/...` request that decide its answer.
struct ContentRequest {
    var isHead: Bool
    /// The request path as sent, still percent-encoded.
    var rawPath: String
    var query: String?
    var range: String?
    var ifRange: String?
    var ifNoneMatch: String?
    var ifModifiedSince: String?
    var acceptEncoding: String?
    var userAgent: String?

    /// Whether the request asks to save the file (`?dl=1`, or `/download/...`) rather than view it.
    var isDownload: Bool

    init(_ request: Request) {
        isHead = request.method == .head
        rawPath = request.uri.path
        query = request.uri.query
        range = request.headers[.range]
        ifRange = request.headers[.ifRange]
        ifNoneMatch = request.headers[.ifNoneMatch]
        ifModifiedSince = request.headers[.ifModifiedSince]
        acceptEncoding = request.headers[.acceptEncoding]
        userAgent = request.headers[.userAgent]
        isDownload = QueryString(query)["dl"] == "1"
    }
}

/// A content answer decided but not yet written: the status, the headers and where the body comes from.
struct ContentAnswer {
    enum Body {
        case none
        /// Bytes already in memory.
        case bytes(ByteBuffer)
        /// `count` bytes of the file at `path` from `offset`: sent with sendfile by ``ConnectionGuard``.
        case file(path: String, offset: Int64, count: Int64)
    }

    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Body

    /// The number of body bytes this answer sends.
    var bodyCount: Int64 {
        switch body {
        case .none: 0
        case .bytes(let buffer): Int64(buffer.readableBytes)
        case .file(_, _, let count): count
        }
    }
}

/// Serves bundle files from the blob store at `/content/{bundleId}/{path}` with strong ETags (the SHA-256),
/// conditional requests and byte ranges as RFC 9110 specifies.
///
/// Small blobs are answered from memory; every other body is handed to ``ConnectionGuard`` to send with sendfile
/// (requests that came through it carry its peer field; a router used on its own streams the file instead).
/// Every answer carries a CSP sandbox, so a bundle's HTML runs in an opaque origin: its scripts cannot read or send
/// a teacher's or an admin's session (docs/security.md).
struct ContentResponder: Sendable {
    let database: SatchelDatabase
    let blobStore: BlobStore
    let fileIO = FileIO()
    var gzip: GzipCache { GzipCache(blobStore: blobStore) }
    /// Where views and downloads are recorded; nil records nothing.
    var events: EventLog?
    /// Lookups, gzip copies and small blobs kept in memory.
    let cache = ContentCache()
    /// Which client used which resource lately: a view counts once per client, resource and half hour.
    var recentUses = RecentUses()
    /// When each client opened each resource, for crediting the time its page reports.
    var visits = VisitClock()

    /// The Hummingbird route: looks the file up (in the database if need be), makes the gzip copy on first use, and
    /// reads small blobs into the memory cache.
    func respond(to request: Request, context: some RequestContext) async throws -> Response {
        let content = ContentRequest(request)
        guard let (bundleId, path) = ContentPath.parse(content.rawPath) else {
            throw HTTPError(.badRequest, message: "The path is not a valid bundle path.")
        }
        return try await respond(to: request, content, context: context, bundleId: bundleId, path: path)
    }

    /// Answers `content` with the file at `path` in bundle `bundleId`; a `disposition` (a `Content-Disposition`
    /// value) makes the answer a download saved under the name it gives. Byte ranges and conditionals work the same.
    func respond(
        to request: Request, _ content: ContentRequest, context: some RequestContext, bundleId: String, path: String,
        disposition: String? = nil
    ) async throws -> Response {
        let file = try await lookup(bundleId: bundleId, path: path)
        if shouldRecord(content, file: file), let resourceId = file.resourceId {
            recordUse(request, content, bundleId: bundleId, resourceId: resourceId, size: file.size)
        }
        var gzipped: (path: String, size: Int64)?
        if wantsGzip(content, file: file) {
            if let known = cache.gzip(file.sha256) {
                gzipped = known
            } else {
                gzipped = await gzip.compressed(file.sha256)
                cache.storeGzip(file.sha256, gzipped)
            }
        }
        var answer = answer(content, file: file, gzipped: gzipped)
        if let disposition { answer.headers[.contentDisposition] = disposition }
        // A whole blob (not a range, not its gzip copy) comes from memory when it is kept there or there is room.
        if case .file(let filePath, 0, let count) = answer.body, count == file.size,
            filePath == blobStore.path(for: file.sha256), let buffer = await keepInMemory(file.file)
        {
            answer.body = .bytes(buffer)
        }
        NodeMetrics.contentBytes.increment(by: answer.bodyCount)
        switch answer.body {
        case .none:
            return Response(status: answer.status, headers: answer.headers)
        case .bytes(let buffer):
            return Response(status: answer.status, headers: answer.headers, body: ResponseBody(byteBuffer: buffer))
        case .file(let filePath, let offset, let count):
            guard request.isBehindConnectionGuard else {
                // Not behind ConnectionGuard (a router on its own, as in tests): streamed through memory instead.
                let body = try await fileIO.loadFile(
                    path: filePath, range: Int(offset)...Int(offset + count - 1), context: context)
                return Response(status: answer.status, headers: answer.headers, body: body)
            }
            var headers = answer.headers
            headers[Self.fileField] = "\(offset) \(count) \(filePath)"
            return Response(status: answer.status, headers: headers)
        }
    }

    private static let fileField = HTTPField.Name(ConnectionGuard.fileField)!

    /// The file at `path` in the served version of a bundle, from the cache or the database.
    private func lookup(bundleId: String, path: String) async throws -> ContentCache.Entry {
        if cache.catalogCheckDue() { cache.catalog(is: try await database.catalogVersion()) }
        if let cached = cache.entry(bundleId: bundleId, path: path) { return cached }
        guard let found = try await database.contentFile(bundleId: bundleId, path: path) else {
            throw HTTPError(.notFound, message: "No such file in the installed bundles.")
        }
        return cache.store(found, bundleId: bundleId, path: path)
    }

    /// A small blob's bytes from memory, or read whole once (off the event loops) and kept while the budget has room.
    /// Nil when there is no room, or it cannot be read or is not the size the catalog says; the answer then goes out
    /// from the file.
    private func keepInMemory(_ file: ContentFileRecord) async -> ByteBuffer? {
        if let cached = cache.blob(file.sha256) { return cached }
        guard cache.hasRoom(for: file.size),
            let buffer = try? await FileSystem.shared.withFileHandle(
                forReadingAt: FilePath(blobStore.path(for: file.sha256)),
                execute: { try await $0.readToEnd(maximumSizeAllowed: .bytes(file.size)) }),
            buffer.readableBytes == Int(file.size)
        else { return nil }
        cache.storeBlob(file.sha256, buffer)
        return buffer
    }

    /// Decides the response for `file`; `gzipped` is its gzip copy when the client accepts one and one exists.
    func answer(
        _ request: ContentRequest, file: ContentCache.Entry, gzipped: (path: String, size: Int64)?
    )
        -> ContentAnswer
    {
        let compressible = MediaType.isCompressible(file.mediaType)
        // A gzip copy is a different representation, so it gets its own strong ETag; ranges are served from the
        // identity representation only.
        let etag = gzipped == nil ? "\"\(file.sha256)\"" : "\"\(file.sha256)-gzip\""
        var headers: HTTPFields = [
            .eTag: etag,
            .lastModified: file.lastModified,
            .acceptRanges: "bytes",
            .cacheControl: "public, no-cache",
            .contentType: file.mediaType,
        ]
        headers[Self.contentTypeOptions] = "nosniff"
        // Bundle pages run in an opaque origin: no session cookie, no same-origin reads of /me or /admin, no forms
        // that count as the node's own, no navigation of the page around them. Their own relative assets still load,
        // and scripts may fetch them, which the CORS field allows (content is public; no credentials go with it).
        // PDF is left out: Chromium refuses to show a sandboxed PDF, and its viewer runs in an origin of its own.
        if !file.mediaType.hasPrefix("application/pdf") { headers[.contentSecurityPolicy] = Self.sandbox }
        headers[.accessControlAllowOrigin] = "*"
        if compressible { headers[.vary] = "Accept-Encoding" }
        if let gzipped {
            headers[.contentEncoding] = "gzip"
            if notModified(request, etag: etag, lastModified: file.installedAt) {
                return ContentAnswer(status: .notModified, headers: headers, body: .none)
            }
            headers[.contentLength] = String(gzipped.size)
            if request.isHead { return ContentAnswer(status: .ok, headers: headers, body: .none) }
            return ContentAnswer(
                status: .ok, headers: headers, body: .file(path: gzipped.path, offset: 0, count: gzipped.size))
        }

        if notModified(request, etag: etag, lastModified: file.installedAt) {
            return ContentAnswer(status: .notModified, headers: headers, body: .none)
        }
        var range = ByteRange(header: request.range, length: file.size)
        if case .full = range {
        } else if !ifRangeMatches(request, etag: etag, lastModified: file.installedAt) {
            range = .full
        }
        let blobPath = blobStore.path(for: file.sha256)
        switch range {
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(file.size)"
            headers[.contentLength] = "0"
            return ContentAnswer(status: .rangeNotSatisfiable, headers: headers, body: .none)
        case .partial(let bytes):
            headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(file.size)"
            headers[.contentLength] = String(bytes.count)
            if request.isHead { return ContentAnswer(status: .partialContent, headers: headers, body: .none) }
            return ContentAnswer(
                status: .partialContent, headers: headers,
                body: .file(path: blobPath, offset: bytes.lowerBound, count: Int64(bytes.count)))
        case .full:
            headers[.contentLength] = String(file.size)
            if request.isHead || file.size == 0 { return ContentAnswer(status: .ok, headers: headers, body: .none) }
            return ContentAnswer(
                status: .ok, headers: headers, body: .file(path: blobPath, offset: 0, count: file.size))
        }
    }

    private static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    /// The sandbox every content answer carries: scripts, forms (posted from an opaque origin, which the node's own
    /// forms refuse), pop-ups that stay sandboxed, dialogs and downloads; never `allow-same-origin` or
    /// `allow-top-navigation`.
    static let sandbox = "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"

    /// Whether to send the gzip copy: a text type of a size worth compressing, no range asked for, gzip accepted.
    private func wantsGzip(_ request: ContentRequest, file: ContentCache.Entry) -> Bool {
        MediaType.isCompressible(file.mediaType) && request.range == nil && GzipCache.accepts(request.acceptEncoding)
            && (GzipCache.minSize...GzipCache.maxSize).contains(file.size)
    }

    /// A view (or, with `?dl=1`, a download) is recorded when a resource's entry file is requested from its start;
    /// the further range requests of a video being watched, and revalidations, are not counted again.
    private func shouldRecord(_ request: ContentRequest, file: ContentCache.Entry) -> Bool {
        guard events != nil, !request.isHead, file.resourceId != nil else { return false }
        if let range = request.range, !range.replacingOccurrences(of: " ", with: "").hasPrefix("bytes=0-") {
            return false
        }
        return request.ifNoneMatch == nil && request.ifModifiedSince == nil
    }

    /// Counts a view (or a download, as `content` says) of a resource: a view starts the visit's clock, and the use
    /// is recorded when it is new for this client (``RecentUses``).
    func recordUse(_ request: Request, _ content: ContentRequest, bundleId: String, resourceId: String, size: Int64) {
        guard events != nil else { return }
        // The session is read from the database only for a new visit.
        let client = RecentUses.client(of: request, userAgent: content.userAgent)
        if !content.isDownload {
            visits.opened(client: client, bundleId: bundleId, resourceId: resourceId)
        }
        if recentUses.isNew(client: client, bundleId: bundleId, resourceId: resourceId, download: content.isDownload) {
            let teacher = Sessions(database: database).current(request)?.1.id
            record(content, bundleId: bundleId, resourceId: resourceId, size: size, teacherId: teacher)
        }
    }

    /// Records the use in the background: recording does not delay the response.
    private func record(
        _ request: ContentRequest, bundleId: String, resourceId: String, size: Int64, teacherId: UUID?
    ) {
        guard let events else { return }
        let use = NodeEvent.ResourceUse(
            bundleId: bundleId, resourceId: resourceId, bytes: size,
            deviceClass: DeviceClass.of(userAgent: request.userAgent), teacherId: teacherId)
        let event = NodeEvent(request.isDownload ? .download(use) : .view(use))
        events.record(event)
    }

    /// RFC 9110 13.2.2: If-None-Match first (weak comparison); If-Modified-Since only without it.
    private func notModified(_ request: ContentRequest, etag: String, lastModified: Date) -> Bool {
        if let ifNoneMatch = request.ifNoneMatch {
            let tags = ifNoneMatch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return tags.contains { $0 == "*" || $0 == etag || $0 == "W/" + etag }
        }
        if let since = request.ifModifiedSince.flatMap(HTTPDate.parse) {
            return floor(lastModified.timeIntervalSince1970) <= since.timeIntervalSince1970
        }
        return false
    }

    /// RFC 9110 13.1.5: a Range applies only if If-Range names the current strong ETag or exact Last-Modified date.
    private func ifRangeMatches(_ request: ContentRequest, etag: String, lastModified: Date) -> Bool {
        guard let ifRange = request.ifRange?.trimmingCharacters(in: .whitespaces) else { return true }
        if ifRange.hasPrefix("\"") { return ifRange == etag }
        if ifRange.hasPrefix("W/") { return false }
        guard let date = HTTPDate.parse(ifRange) else { return false }
        return date.timeIntervalSince1970 == floor(lastModified.timeIntervalSince1970)
    }
}
