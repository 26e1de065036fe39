import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import SatchelBundles
import SatchelCore
import SatchelHTTP
import SatchelStore

/// `GET /download/{bundle}/{id}`: a resource saved to keep, named after its title.
///
/// A page (an HTML lesson, an exercise, a course module) comes as one HTML file with its pictures, styles and scripts
/// inside (``OfflinePage``), so that it opens on a phone with no network. Any other resource is its entry file,
/// served by ``ContentResponder`` (byte ranges and all) with a `Content-Disposition` that names it. Either counts as a
/// download, once per client and day, as `?dl=1` on `/content/...` does.
struct DownloadRoute: Sendable {
    let database: SatchelDatabase
    let blobStore: BlobStore
    let content: ContentResponder
    let pages: WebPages
    /// How much a saved page may take in.
    var limits = OfflinePage.Limits()

    /// Whether a resource of `type` is a page shown in a frame (and saved as a self-contained HTML file).
    static func isPage(_ type: String) -> Bool {
        ["html", "exercise", "course-module"].contains(type)
    }

    /// Adds the route to `router`.
    func register(on router: Router<BasicRequestContext>) {
        router.get("/download/:bundle/:id") { request, context in
            try await respond(
                to: request, context: context, bundleId: try context.parameters.require("bundle"),
                id: try context.parameters.require("id"))
        }
    }

    /// The download of resource `id` of bundle `bundleId`, or the not-found page.
    func respond(
        to request: Request, context: some RequestContext, bundleId: String, id: String
    ) async throws -> Response {
        guard let resource = try database.resource(bundleId: bundleId, id: id),
            let file = try database.file(bundleId: bundleId, path: resource.entry)
        else { return try pages.notFound(request) }
        let title = resource.title(pages.language(for: request))
        var use = ContentRequest(request)
        use.isDownload = true
        guard Self.isPage(resource.type), file.mediaType.hasPrefix("text/html"),
            file.size <= Int64(limits.maxInlinedBytes)
        else {
            let disposition = Self.disposition(
                title: title, fallback: resource.id, fileExtension: Self.fileExtension(of: resource.entry))
            return try await content.respond(
                to: request, use, context: context, bundleId: bundleId, path: resource.entry, disposition: disposition)
        }
        let page = try await offlinePage(bundleId: bundleId, entry: file, remoteBase: remoteBase(request, bundleId))
        if !use.isHead {
            content.recordUse(request, use, bundleId: bundleId, resourceId: resource.id, size: Int64(page.count))
        }
        let isUTF8 = page.starts(with: [0xEF, 0xBB, 0xBF])
        var headers: HTTPFields = [
            .contentType: isUTF8 ? "text/html; charset=utf-8" : "text/html",
            .contentDisposition: Self.disposition(title: title, fallback: resource.id, fileExtension: "html"),
            .cacheControl: "no-cache",
            .contentSecurityPolicy: ContentResponder.sandbox,
        ]
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: page)))
    }

    /// Builds the self-contained page from `entry` off the event loops: it reads files and may encode megabytes.
    private func offlinePage(bundleId: String, entry: BundleFileRecord, remoteBase: String?) async throws -> [UInt8] {
        let (database, blobStore, limits) = (database, blobStore, limits)
        return try await NIOThreadPool.singleton.runIfActive {
            guard let html = Self.read(blobStore.path(for: entry.sha256), size: entry.size) else {
                throw HTTPError(.internalServerError, message: "The lesson's file cannot be read.")
            }
            var page = OfflinePage(entryPath: entry.path, remoteBase: remoteBase, limits: limits) { path in
                guard let found = try? database.file(bundleId: bundleId, path: path) else { return nil }
                return OfflinePage.Asset(size: found.size, mediaType: found.mediaType) {
                    Self.read(blobStore.path(for: found.sha256), size: found.size)
                }
            }
            return page.build(html)
        }
    }

    /// The bytes of the blob at `path`, or nil when it cannot be read or is not `size` bytes long.
    private static func read(_ path: String, size: Int64) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path), data.count == size else { return nil }
        return [UInt8](data)
    }

    /// Where the files left outside a saved page load from: this node's address for the bundle, as the phone reached
    /// it (its `Host`), or nil when the request names no plain host.
    private func remoteBase(_ request: Request, _ bundleId: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        guard let host = request.head.authority, (1...255).contains(host.count), host.allSatisfy(allowed.contains)
        else { return nil }
        return "http://\(host)/content/\(HTMLText.segment(bundleId))/"
    }

    // MARK: - File names

    /// The most characters of a title kept in a file name.
    static let maxNameLength = 60

    /// A `Content-Disposition` for saving a file named after `title` (RFC 6266, with the UTF-8 name as RFC 8187
    /// `filename*`); `fallback` (the resource id) names it for clients that only read the ASCII `filename`.
    static func disposition(title: String, fallback: String, fileExtension: String) -> String {
        let suffix = fileExtension.isEmpty ? "" : "." + fileExtension
        var name = fileName(title)
        let ascii = String(
            fallback.unicodeScalars.prefix(maxNameLength).map { scalar -> Character in
                scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar))
                    ? Character(scalar) : "_"
            })
        let asciiName = (ascii.trimmingCharacters(in: CharacterSet(charactersIn: "._")).isEmpty ? "download" : ascii)
        if name.isEmpty { name = asciiName }
        return "attachment; filename=\"\(asciiName)\(suffix)\"; filename*=UTF-8''\(attributeValue(name + suffix))"
    }

    /// `title` made safe as a file name on phones and PCs: without `/ \ : * ? " < > |` and control characters,
    /// without leading or trailing spaces and dots, at most ``maxNameLength`` characters.
    static func fileName(_ title: String) -> String {
        let forbidden = CharacterSet(charactersIn: "/\\:*?\"<>|").union(.controlCharacters)
        let kept = String(String.UnicodeScalarView(title.unicodeScalars.filter { !forbidden.contains($0) }))
        let trimmed = kept.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: ".")))
        return String(trimmed.prefix(maxNameLength)).trimmingCharacters(in: .whitespaces)
    }

    /// `text` percent-encoded as an RFC 8187 `value-chars`: UTF-8, with only `attr-char` left as it is.
    static func attributeValue(_ text: String) -> String {
        let attributeCharacters = Set(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&+-.^_`|~".utf8)
        return text.utf8.map {
            attributeCharacters.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0)
        }.joined()
    }

    /// The extension of `path` (lowercased; letters and digits only, at most 10), or "" when it has none.
    static func fileExtension(of path: String) -> String {
        let name = path.split(separator: "/").last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        let ext = name[name.index(after: dot)...].lowercased()
        guard (1...10).contains(ext.count), ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            return ""
        }
        return ext
    }
}
