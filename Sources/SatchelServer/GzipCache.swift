import CompressNIO
import Foundation
import NIOCore
import NIOPosix
import SatchelBundles

/// gzip copies of text blobs (HTML, CSS, JavaScript, SVG, JSON), made on the first request that accepts gzip and kept
/// beside the blob as `<sha256>.gz`, so each is compressed once. Compression runs on NIO's thread pool, never on an
/// event loop.
struct GzipCache: Sendable {
    let blobStore: BlobStore

    /// Blobs larger than this are sent as they are: compressing them costs more than it saves on a LAN.
    static let maxSize: Int64 = 8 * 1024 * 1024
    /// Blobs smaller than this are sent as they are: gzip's header would outweigh the saving.
    static let minSize: Int64 = 512

    /// The path and size of the gzip copy of `sha256`, making it first if needed; nil when compressing does not
    /// pay off or fails (the caller then sends the blob as it is).
    func compressed(_ sha256: String) async -> (path: String, size: Int64)? {
        let target = blobStore.gzipPath(for: sha256)
        if let size = Self.size(of: target) { return (target, size) }
        let source = blobStore.path(for: sha256)
        return try? await NIOThreadPool.singleton.runIfActive { () -> (path: String, size: Int64)? in
            let data = try Data(contentsOf: URL(fileURLWithPath: source))
            var buffer = ByteBuffer(bytes: data)
            let compressed = try buffer.compress(with: .gzip())
            guard compressed.readableBytes < data.count * 9 / 10 else { return nil }
            let temporary = target + ".\(UUID().uuidString.prefix(8)).tmp"
            try Data(compressed.readableBytesView).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, target) == 0 else {
                try? FileManager.default.removeItem(atPath: temporary)
                return nil
            }
            return (target, Int64(compressed.readableBytes))
        }
    }

    /// Whether the request's Accept-Encoding allows gzip (RFC 9110 12.5.3: `gzip;q=0` refuses it).
    static func accepts(_ header: String?) -> Bool {
        guard let header else { return false }
        for item in header.lowercased().split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first == "gzip" || parts.first == "x-gzip" || parts.first == "*" else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if quality > 0 { return true }
        }
        return false
    }

    private static func size(of path: String) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil
    }
}
