import Foundation
import Hummingbird
import SatchelHTTP
import SatchelStore
import SatchelSync

/// The peer side of sync on every node: `GET /api/v1/catalog?since=` lists installed bundle versions with their exact
/// signed manifests, so a neighbouring node can pull what it lacks (blobs come from ``BlobRoute``).
enum PeerCatalogRoute {
    /// Adds `/api/v1/catalog` listing a node's installed bundles for its LAN peers.
    static func add(to router: Router<BasicRequestContext>, database: SatchelDatabase) {
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
