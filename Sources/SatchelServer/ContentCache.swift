import Foundation
import NIOCore
import SatchelStore

/// Keeps the hot path of content serving off SQLite and the disk: file lookups for a short time, and the bytes of
/// small blobs (which never change, being named by their hash) within a fixed memory budget.
///
/// Lookups expire after ``lookupLifetime`` so that an import by another process shows within a second; a served blob
/// that has meanwhile been garbage-collected makes the caller drop the entry and look again.
final class ContentCache: @unchecked Sendable {
    /// A bundle file as served: enough to answer without touching the database.
    struct Entry {
        var sha256: String
        var size: Int64
        var mediaType: String
        var installedAt: Date
        var lastModified: String
        var resourceId: String?
        var expires: Date
    }

    static let lookupLifetime: TimeInterval = 1
    static let maxLookups = 20_000
    /// Blobs up to this size are kept in memory.
    static let maxCachedBlob = 256 * 1024
    /// The most bytes of blobs kept in memory.
    static let blobBudget = 16 * 1024 * 1024

    private let lock = NSLock()
    private var lookups: [String: Entry] = [:]
    private var blobs: [String: ByteBuffer] = [:]
    private var blobOrder: [String] = []
    private var blobBytes = 0

    /// The cached lookup for a path, if still fresh.
    func entry(bundleId: String, path: String, now: Date = Date()) -> Entry? {
        lock.withLock {
            guard let entry = lookups[bundleId + "\u{0}" + path], entry.expires > now else { return nil }
            return entry
        }
    }

    /// Remembers a lookup.
    func store(_ entry: Entry, bundleId: String, path: String) {
        lock.withLock {
            if lookups.count >= Self.maxLookups { lookups.removeAll(keepingCapacity: true) }
            lookups[bundleId + "\u{0}" + path] = entry
        }
    }

    /// Forgets a lookup whose blob turned out to be gone.
    func forget(bundleId: String, path: String) {
        lock.withLock { _ = lookups.removeValue(forKey: bundleId + "\u{0}" + path) }
    }

    /// The bytes of a small blob, if cached.
    func blob(_ sha256: String) -> ByteBuffer? {
        lock.withLock { blobs[sha256] }
    }

    /// Keeps a small blob's bytes, evicting the oldest ones beyond the budget.
    func storeBlob(_ sha256: String, _ buffer: ByteBuffer) {
        guard buffer.readableBytes <= Self.maxCachedBlob else { return }
        lock.withLock {
            guard blobs[sha256] == nil else { return }
            blobs[sha256] = buffer
            blobOrder.append(sha256)
            blobBytes += buffer.readableBytes
            while blobBytes > Self.blobBudget, !blobOrder.isEmpty {
                let oldest = blobOrder.removeFirst()
                blobBytes -= blobs.removeValue(forKey: oldest)?.readableBytes ?? 0
            }
        }
    }
}
