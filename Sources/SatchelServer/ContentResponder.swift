import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore
import SatchelBundles
import SatchelCore
import SatchelStore

/// Serves bundle files from the blob store at `/content/{bundleId}/{path}` with strong ETags (the SHA-256),
/// conditional requests and byte ranges as RFC 9110 specifies.
struct ContentResponder: Sendable {
    let database: SatchelDatabase
    let blobStore: BlobStore
    let fileIO = FileIO()
    var gzip: GzipCache { GzipCache(blobStore: blobStore) }
    /// Where views and downloads are recorded; nil records nothing.
    var events: EventLog?
    /// Lookups and small blobs kept in memory.
    let cache = ContentCache()

    func respond(to request: Request, context: some RequestContext) async throws -> Response {
        guard let (bundleId, path) = ContentPath.parse(request.uri.path) else {
            throw HTTPError(.badRequest, message: "The path is not a valid bundle path.")
        }
        let file = try lookup(bundleId: bundleId, path: path)
        if request.method == .get, file.resourceId != nil {
            recordUse(request, bundleId: bundleId, resourceId: file.resourceId!, size: file.size)
        }
        let compressible = MediaType.isCompressible(file.mediaType)
        // A gzip copy is a different representation, so it gets its own strong ETag; ranges are served from the
        // identity representation only.
        var gzipped: (path: String, size: Int64)?
        if compressible, request.headers[.range] == nil, GzipCache.accepts(request.headers[.acceptEncoding]),
            (GzipCache.minSize...GzipCache.maxSize).contains(file.size)
        {
            gzipped = await gzip.compressed(file.sha256)
        }
        let etag = gzipped == nil ? "\"\(file.sha256)\"" : "\"\(file.sha256)-gzip\""
        let lastModified = file.lastModified
        var headers: HTTPFields = [
            .eTag: etag,
            .lastModified: lastModified,
            .acceptRanges: "bytes",
            .cacheControl: "public, no-cache",
            .contentType: file.mediaType,
        ]
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        if compressible { headers[.vary] = "Accept-Encoding" }
        if let gzipped {
            headers[.contentEncoding] = "gzip"
            headers[.contentLength] = String(gzipped.size)
            if notModified(request: request, etag: etag, lastModified: file.installedAt) {
                headers[.contentLength] = nil
                return Response(status: .notModified, headers: headers)
            }
            if request.method == .head { return Response(status: .ok, headers: headers) }
            NodeMetrics.contentBytes.increment(by: gzipped.size)
            return Response(
                status: .ok, headers: headers, body: try await fileIO.loadFile(path: gzipped.path, context: context))
        }

        if notModified(request: request, etag: etag, lastModified: file.installedAt) {
            return Response(status: .notModified, headers: headers)
        }
        var range = ByteRange(header: request.headers[.range], length: file.size)
        if case .full = range {
        } else if !ifRangeMatches(request: request, etag: etag, lastModified: file.installedAt) {
            range = .full
        }
        let blobPath = blobStore.path(for: file.sha256)
        switch range {
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(file.size)"
            headers[.contentLength] = "0"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        case .partial(let bytes):
            headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(file.size)"
            headers[.contentLength] = String(bytes.count)
            if request.method == .head { return Response(status: .partialContent, headers: headers) }
            NodeMetrics.contentBytes.increment(by: Int64(bytes.count))
            let body = try await fileIO.loadFile(
                path: blobPath, range: Int(bytes.lowerBound)...Int(bytes.upperBound), context: context
            )
            return Response(status: .partialContent, headers: headers, body: body)
        case .full:
            headers[.contentLength] = String(file.size)
            if request.method == .head || file.size == 0 { return Response(status: .ok, headers: headers) }
            NodeMetrics.contentBytes.increment(by: file.size)
            if let cached = cache.blob(file.sha256) {
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: cached))
            }
            if file.size <= Int64(ContentCache.maxCachedBlob) {
                // Small blobs are read whole once and served from memory afterwards.
                guard let data = FileManager.default.contents(atPath: blobPath), data.count == Int(file.size) else {
                    cache.forget(bundleId: bundleId, path: path)
                    throw HTTPError(.notFound, message: "No such file in the installed bundles.")
                }
                let buffer = ByteBuffer(bytes: data)
                cache.storeBlob(file.sha256, buffer)
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: buffer))
            }
            let body = try await fileIO.loadFile(path: blobPath, context: context)
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    /// The file at `path` in the served version of a bundle, from the cache or the database.
    private func lookup(bundleId: String, path: String) throws -> ContentCache.Entry {
        if let cached = cache.entry(bundleId: bundleId, path: path) { return cached }
        let found = try database.writer.read { db -> ContentCache.Entry? in
            guard let bundle = try BundleRecord.fetchOne(db, key: bundleId),
                let file = try BundleFileRecord.fetchOne(db, key: ["bundleId": bundleId, "path": path])
            else { return nil }
            let resourceId = try String.fetchOne(
                db, sql: "SELECT id FROM resource WHERE bundleId = ? AND entry = ? LIMIT 1",
                arguments: [bundleId, path])
            return ContentCache.Entry(
                sha256: file.sha256, size: file.size, mediaType: file.mediaType, installedAt: bundle.installedAt,
                lastModified: HTTPDate.format(bundle.installedAt), resourceId: resourceId,
                expires: Date().addingTimeInterval(ContentCache.lookupLifetime))
        }
        guard let found else { throw HTTPError(.notFound, message: "No such file in the installed bundles.") }
        cache.store(found, bundleId: bundleId, path: path)
        return found
    }

    /// Records a view (or, with `?dl=1`, a download) when a resource's entry file is requested from its start; the
    /// further range requests of a video being watched are not counted again. Recording does not delay the response.
    private func recordUse(_ request: Request, bundleId: String, resourceId: String, size: Int64) {
        guard let events else { return }
        if let range = request.headers[.range], !range.replacingOccurrences(of: " ", with: "").hasPrefix("bytes=0-") {
            return
        }
        if request.headers[.ifNoneMatch] != nil || request.headers[.ifModifiedSince] != nil { return }
        let teacher = Sessions(database: database).current(request)?.1.id
        let use = NodeEvent.ResourceUse(
            bundleId: bundleId, resourceId: resourceId, bytes: size,
            deviceClass: DeviceClass.of(userAgent: request.headers[.userAgent]), teacherId: teacher)
        let isDownload = QueryString(request.uri.query)["dl"] == "1"
        let event = NodeEvent(isDownload ? .download(use) : .view(use))
        Task { try? await events.append(event) }
    }

    /// RFC 9110 13.2.2: If-None-Match first (weak comparison); If-Modified-Since only without it.
    private func notModified(request: Request, etag: String, lastModified: Date) -> Bool {
        guard request.method == .get || request.method == .head else { return false }
        if let ifNoneMatch = request.headers[.ifNoneMatch] {
            let tags = ifNoneMatch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return tags.contains { $0 == "*" || $0 == etag || $0 == "W/" + etag }
        }
        if let since = request.headers[.ifModifiedSince].flatMap(HTTPDate.parse) {
            return floor(lastModified.timeIntervalSince1970) <= since.timeIntervalSince1970
        }
        return false
    }

    /// RFC 9110 13.1.5: a Range applies only if If-Range names the current strong ETag or exact Last-Modified date.
    private func ifRangeMatches(request: Request, etag: String, lastModified: Date) -> Bool {
        guard let ifRange = request.headers[.ifRange]?.trimmingCharacters(in: .whitespaces) else { return true }
        if ifRange.hasPrefix("\"") { return ifRange == etag }
        if ifRange.hasPrefix("W/") { return false }
        guard let date = HTTPDate.parse(ifRange) else { return false }
        return date.timeIntervalSince1970 == floor(lastModified.timeIntervalSince1970)
    }
}

/// IMF-fixdate formatting and parsing for HTTP headers.
enum HTTPDate {
    private static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }()
    private static let lock = NSLock()

    static func format(_ date: Date) -> String {
        lock.withLock { formatter.string(from: date) }
    }

    static func parse(_ text: String) -> Date? {
        lock.withLock { formatter.date(from: text.trimmingCharacters(in: .whitespaces)) }
    }
}
