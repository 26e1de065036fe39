import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import SatchelBundles
import SatchelCore
import SatchelStore

/// The parts of a `/content/...` request that decide its answer, whichever HTTP layer read it: the Hummingbird route
/// or the event-loop fast path (``FastPath``).
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
    var cookie: String?

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
        cookie = request.headers[.cookie]
    }

    /// A request read by NIO's HTTP/1 decoder, its headers picked in one pass.
    init(isHead: Bool, rawPath: String, query: String?, headers: HTTPHeaders) {
        self.isHead = isHead
        self.rawPath = rawPath
        self.query = query
        for (name, value) in headers {
            if name.equalsIgnoringASCIICase("range") {
                range = value
            } else if name.equalsIgnoringASCIICase("if-range") {
                ifRange = value
            } else if name.equalsIgnoringASCIICase("if-none-match") {
                ifNoneMatch = value
            } else if name.equalsIgnoringASCIICase("if-modified-since") {
                ifModifiedSince = value
            } else if name.equalsIgnoringASCIICase("accept-encoding") {
                acceptEncoding = value
            } else if name.equalsIgnoringASCIICase("user-agent") {
                userAgent = value
            } else if name.equalsIgnoringASCIICase("cookie") {
                cookie = value
            }
        }
    }

    /// A GET with no conditions, ranges or encodings: the request whose answer each lookup keeps ready.
    init(plainPath rawPath: String) {
        isHead = false
        self.rawPath = rawPath
    }

    /// Whether the answer is the plain one: no range and no condition.
    var isPlain: Bool { range == nil && ifRange == nil && ifNoneMatch == nil && ifModifiedSince == nil }
}

extension String {
    /// Whether this equals `lowercase` (ASCII, already lower case), ignoring ASCII case: for header names.
    func equalsIgnoringASCIICase(_ lowercase: StaticString) -> Bool {
        guard utf8.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            var index = 0
            for byte in utf8 {
                let folded = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
                guard folded == expected[index] else { return false }
                index += 1
            }
            return true
        }
    }
}

/// A content answer decided but not yet written: the status, the headers and where the body comes from.
struct ContentAnswer {
    enum Body {
        case none
        /// Bytes already in memory.
        case bytes(ByteBuffer)
        /// `count` bytes of the file at `path` from `offset`: sent with sendfile on the fast path.
        case file(path: String, offset: Int64, count: Int64)
    }

    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: Body
    /// The same headers already in NIO's form, when the answer is a lookup's ready plain answer.
    var prebuilt: HTTPHeaders?
    /// Then also its status line and headers encoded as HTTP/1.1.
    var prebuiltHead: ByteBuffer?
    /// Whether giving this answer recorded a use (a view of a resource): the same request again is a new use.
    var recordedUse = false

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
/// ``answer(_:file:gzipped:)`` decides every response from the request and the file; ``respond(to:context:)`` (the
/// Hummingbird route, which may read the database and compress) and ``fastAnswer(_:)`` (the event-loop fast path,
/// which answers only from memory) both use it, so the two cannot disagree.
struct ContentResponder: Sendable {
    let database: SatchelDatabase
    let blobStore: BlobStore
    let fileIO = FileIO()
    var gzip: GzipCache { GzipCache(blobStore: blobStore) }
    /// Where views and downloads are recorded; nil records nothing.
    var events: EventLog?
    /// Lookups, gzip copies and small blobs kept in memory.
    let cache = ContentCache()

    /// The Hummingbird route: looks the file up (in the database if need be), makes the gzip copy on first use, and
    /// reads small blobs into the memory cache.
    func respond(to request: Request, context: some RequestContext) async throws -> Response {
        let content = ContentRequest(request)
        guard let (bundleId, path) = ContentPath.parse(content.rawPath) else {
            throw HTTPError(.badRequest, message: "The path is not a valid bundle path.")
        }
        let file = try lookup(bundleId: bundleId, path: path)
        if shouldRecord(content, file: file), let resourceId = file.resourceId {
            let teacher = Sessions(database: database).current(request)?.1.id
            record(content, bundleId: bundleId, resourceId: resourceId, size: file.size, teacherId: teacher)
        }
        var gzipped: (path: String, size: Int64)?
        if wantsGzip(content, file: file) {
            gzipped = await gzip.compressed(file.sha256)
            cache.storeGzip(file.sha256, gzipped)
        }
        let answer = answer(content, file: file, gzipped: gzipped)
        NodeMetrics.contentBytes.increment(by: answer.bodyCount)
        switch answer.body {
        case .none:
            return Response(status: answer.status, headers: answer.headers)
        case .bytes(let buffer):
            return Response(status: answer.status, headers: answer.headers, body: ResponseBody(byteBuffer: buffer))
        case .file(let filePath, let offset, let count):
            let isWholeBlob = filePath == blobStore.path(for: file.sha256) && offset == 0 && count == file.size
            if isWholeBlob, count <= Int64(ContentCache.maxCachedBlob) {
                guard let buffer = keepInMemory(file) else {
                    cache.forget(bundleId: bundleId, path: path)
                    throw HTTPError(.notFound, message: "No such file in the installed bundles.")
                }
                return Response(status: answer.status, headers: answer.headers, body: ResponseBody(byteBuffer: buffer))
            }
            let body = try await fileIO.loadFile(
                path: filePath, range: Int(offset)...Int(offset + count - 1), context: context)
            return Response(status: answer.status, headers: answer.headers, body: body)
        }
    }

    /// The answer from memory alone, or nil when the request needs the Hummingbird route: an unparsable path (which
    /// gets its error there), a lookup or gzip copy not in memory yet, or a view by a logged-in teacher (whose session
    /// is in the database).
    func fastAnswer(_ request: ContentRequest) -> ContentAnswer? {
        guard let (bundleId, path) = ContentPath.parse(request.rawPath),
            let (file, ageing) = cache.entry(bundleId: bundleId, path: path)
        else { return nil }
        if ageing { refresh(bundleId: bundleId, path: path) }
        var gzipped: (path: String, size: Int64)?
        if wantsGzip(request, file: file) {
            guard let known = cache.gzip(file.sha256) else { return nil }
            gzipped = known
        }
        var recordedUse = false
        if shouldRecord(request, file: file), let resourceId = file.resourceId {
            if let cookie = request.cookie, Sessions.cookie(Sessions.cookieName, inHeader: cookie) != nil { return nil }
            record(request, bundleId: bundleId, resourceId: resourceId, size: file.size, teacherId: nil)
            recordedUse = true
        }
        var answer: ContentAnswer
        if gzipped == nil, request.isPlain {
            // The answer kept ready with the lookup: the same as answer(_:file:gzipped:) gives, built once.
            var body = ContentAnswer.Body.none
            if !request.isHead, file.size > 0 {
                body =
                    cache.blob(file.sha256).map { .bytes($0) }
                    ?? .file(path: blobStore.path(for: file.sha256), offset: 0, count: file.size)
            }
            answer = ContentAnswer(
                status: .ok, headers: [:], body: body, prebuilt: file.plainHeaders, prebuiltHead: file.plainHead)
        } else {
            answer = self.answer(request, file: file, gzipped: gzipped)
        }
        answer.recordedUse = recordedUse
        return answer
    }

    /// Reads the lookup of the content file at `rawPath` into memory in the background, then calls `done`, so that
    /// ``fastAnswer(_:)`` can answer it. False, and `done` is not called, when the path is not a bundle path.
    func warm(rawPath: String, done: @escaping @Sendable () -> Void) -> Bool {
        guard let (bundleId, path) = ContentPath.parse(rawPath) else { return false }
        DispatchQueue.global(qos: .userInitiated).async {
            if let file = try? lookup(bundleId: bundleId, path: path), file.size <= Int64(ContentCache.maxCachedBlob),
                cache.blob(file.sha256) == nil
            {
                _ = keepInMemory(file)
            }
            done()
        }
        return true
    }

    /// Small blobs are read whole once and served from memory afterwards: reads `file`'s blob into the memory cache.
    /// Nil when it cannot be read or is not the size the catalog says.
    private func keepInMemory(_ file: ContentCache.Entry) -> ByteBuffer? {
        guard let data = FileManager.default.contents(atPath: blobStore.path(for: file.sha256)),
            data.count == Int(file.size)
        else { return nil }
        let buffer = ByteBuffer(bytes: data)
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
            if let cached = cache.blob(file.sha256) {
                return ContentAnswer(status: .ok, headers: headers, body: .bytes(cached))
            }
            return ContentAnswer(
                status: .ok, headers: headers, body: .file(path: blobPath, offset: 0, count: file.size))
        }
    }

    private static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!

    /// Whether to send the gzip copy: a text type of a size worth compressing, no range asked for, gzip accepted.
    private func wantsGzip(_ request: ContentRequest, file: ContentCache.Entry) -> Bool {
        MediaType.isCompressible(file.mediaType) && request.range == nil && GzipCache.accepts(request.acceptEncoding)
            && (GzipCache.minSize...GzipCache.maxSize).contains(file.size)
    }

    /// The file at `path` in the served version of a bundle, from the cache or the database.
    private func lookup(bundleId: String, path: String) throws -> ContentCache.Entry {
        if let (cached, _) = cache.entry(bundleId: bundleId, path: path) { return cached }
        guard let found = try load(bundleId: bundleId, path: path) else {
            throw HTTPError(.notFound, message: "No such file in the installed bundles.")
        }
        cache.store(found, bundleId: bundleId, path: path)
        return found
    }

    /// Reads a lookup from the database, with its plain answer's headers ready.
    private func load(bundleId: String, path: String) throws -> ContentCache.Entry? {
        // One prepared statement, and only the columns a lookup needs: not the bundle's manifest, which can be
        // megabytes and would be read again every half second for each file in demand.
        try database.writer.read { db -> ContentCache.Entry? in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT bundleFile.sha256, bundleFile.size, bundleFile.mediaType, bundle.installedAt,
                                (SELECT id FROM resource WHERE resource.bundleId = bundleFile.bundleId
                                    AND resource.entry = bundleFile.path LIMIT 1) AS resourceId
                            FROM bundleFile JOIN bundle ON bundle.id = bundleFile.bundleId
                            WHERE bundleFile.bundleId = ? AND bundleFile.path = ?
                            """),
                    arguments: [bundleId, path])
            else { return nil }
            let installedAt: Date = row["installedAt"]
            var entry = ContentCache.Entry(
                sha256: row["sha256"], size: row["size"], mediaType: row["mediaType"], installedAt: installedAt,
                lastModified: HTTPDate.format(installedAt), resourceId: row["resourceId"],
                expires: Date().addingTimeInterval(ContentCache.lookupLifetime), plainHeaders: HTTPHeaders(),
                plainHead: ByteBuffer())
            let plain = answer(ContentRequest(plainPath: ""), file: entry, gzipped: nil)
            for field in plain.headers {
                entry.plainHeaders.add(name: field.name.rawName, value: field.value)
            }
            RawContentPath.writeHead(status: plain.status, fields: plain.headers, into: &entry.plainHead)
            return entry
        }
    }

    /// Reads a lookup again in the background while the cached one is still fresh, so that a file in steady demand
    /// never drops out of the fast path, and an import still shows within ``ContentCache/lookupLifetime``.
    private func refresh(bundleId: String, path: String) {
        DispatchQueue.global(qos: .utility).async {
            defer { cache.refreshed(bundleId: bundleId, path: path) }
            guard let found = try? load(bundleId: bundleId, path: path) else {
                cache.forget(bundleId: bundleId, path: path)
                return
            }
            cache.store(found, bundleId: bundleId, path: path)
        }
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

    /// Records the use in the background: recording does not delay the response.
    private func record(
        _ request: ContentRequest, bundleId: String, resourceId: String, size: Int64, teacherId: UUID?
    ) {
        guard let events else { return }
        let use = NodeEvent.ResourceUse(
            bundleId: bundleId, resourceId: resourceId, bytes: size,
            deviceClass: DeviceClass.of(userAgent: request.userAgent), teacherId: teacherId)
        let isDownload = QueryString(request.query)["dl"] == "1"
        let event = NodeEvent(isDownload ? .download(use) : .view(use))
        events.enqueue(event) { _ in }
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
