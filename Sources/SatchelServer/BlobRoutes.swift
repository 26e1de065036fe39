import Foundation
import Hummingbird
import NIOCore
import SatchelBundles
import SatchelStore
import SatchelSync

/// The peer side of sync on every node (and on the platform): `GET /api/v1/catalog?since=` lists installed bundle
/// versions with their exact signed manifests, and `GET /api/v1/blobs/{sha256}` serves blobs with byte ranges, so a
/// neighbouring node can pull what it lacks and verify it as it would any bundle.
public enum BlobRoutes {
    /// Adds `/api/v1/blobs/{sha256}` for `blobStore`.
    public static func addBlobRoute<Context: RequestContext>(to router: Router<Context>, blobStore: BlobStore) {
        let fileIO = FileIO()
        router.get("/api/v1/blobs/:sha") { request, context -> Response in
            let sha = try context.parameters.require("sha")
            guard sha.count == 64, sha.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else {
                throw APIError(
                    status: .badRequest, code: "bad_hash", message: "A blob is named by 64 lowercase hex digits.")
            }
            let path = blobStore.path(for: sha)
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil else {
                throw APIError.notFound("No blob \(sha).")
            }
            var headers: HTTPFields = [
                .eTag: "\"\(sha)\"", .acceptRanges: "bytes", .contentType: "application/octet-stream",
                .cacheControl: "public, max-age=31536000, immutable",
            ]
            switch ByteRange(header: request.headers[.range], length: size) {
            case .unsatisfiable:
                headers[.contentRange] = "bytes */\(size)"
                return Response(status: .rangeNotSatisfiable, headers: headers)
            case .partial(let range):
                headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
                headers[.contentLength] = String(range.count)
                return Response(
                    status: .partialContent, headers: headers,
                    body: try await fileIO.loadFile(
                        path: path, range: Int(range.lowerBound)...Int(range.upperBound),
                        context: context))
            case .full:
                headers[.contentLength] = String(size)
                if size == 0 { return Response(status: .ok, headers: headers) }
                return Response(
                    status: .ok, headers: headers, body: try await fileIO.loadFile(path: path, context: context))
            }
        }
    }

    /// Adds `/api/v1/catalog` listing a node's installed bundles for its LAN peers.
    static func addPeerCatalogRoute<Context: RequestContext>(to router: Router<Context>, database: SatchelDatabase) {
        router.get("/api/v1/catalog") { request, _ -> Response in
            let since = Int64(QueryString(request.uri.query)["since"] ?? "0") ?? 0
            // A node's "cursor" is the install time in milliseconds: a peer asks for what changed since.
            let entries = try database.bundles().compactMap { bundle -> SyncProtocol.CatalogEntry? in
                let cursor = Int64(bundle.installedAt.timeIntervalSince1970 * 1000)
                guard cursor > since else { return nil }
                return SyncProtocol.CatalogEntry(
                    cursor: cursor, id: bundle.id, version: bundle.version,
                    manifest: bundle.manifest.base64EncodedString(),
                    signature: bundle.signature.base64EncodedString())
            }
            let cursor = entries.map(\.cursor).max() ?? since
            return try CatalogAPI(database: database).json(SyncProtocol.Catalog(cursor: cursor, bundles: entries))
        }
    }
}
