import Foundation
import NIOCore
import NIOHTTP1
import SatchelStore

/// Keeps the hot path of content serving off SQLite and the disk: file lookups for a short time, which blobs have a
/// gzip copy, and the bytes of small blobs (which never change, being named by their hash) within a fixed memory
/// budget.
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
        /// The headers of the plain 200 answer (no range, no condition, no gzip), for the fast path.
        var plainHeaders: HTTPHeaders
        /// The same answer's status line and headers encoded, for ``RawContentPath``.
        var plainHead: ByteBuffer
    }

    static let lookupLifetime: TimeInterval = 1
    static let maxLookups = 20_000
    /// Blobs up to this size are kept in memory.
    static let maxCachedBlob = 256 * 1024
    /// The most bytes of blobs kept in memory.
    static let blobBudget = 16 * 1024 * 1024

    private let lock = NSLock()
    private var lookups: [String: Entry] = [:]
    private var refreshing: Set<String> = []
    private var blobs: [String: ByteBuffer] = [:]
    private var blobOrder: [String] = []
    private var blobBytes = 0
    private var gzipCopies: [String: GzipCopy] = [:]

    /// What is known of a blob's gzip copy.
    private enum GzipCopy {
        case copy(path: String, size: Int64)
        /// Compressing does not pay off (or failed): the blob is sent as it is.
        case none
    }

    /// The cached lookup for a path, if still fresh.
    ///
    /// `ageing` is true, once per lookup, when it is past half its lifetime: the caller should read it again in the
    /// background and ``store(_:bundleId:path:)`` it, then call ``refreshed(bundleId:path:)``.
    func entry(bundleId: String, path: String, now: Date = Date()) -> (Entry, ageing: Bool)? {
        let key = bundleId + "\u{0}" + path
        return lock.withLock {
            guard let entry = lookups[key], entry.expires > now else { return nil }
            guard entry.expires.timeIntervalSince(now) < Self.lookupLifetime / 2, !refreshing.contains(key) else {
                return (entry, false)
            }
            refreshing.insert(key)
            return (entry, true)
        }
    }

    /// Ends a background refresh started by ``entry(bundleId:path:now:)``.
    func refreshed(bundleId: String, path: String) {
        _ = lock.withLock { refreshing.remove(bundleId + "\u{0}" + path) }
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

    /// The blob's gzip copy: `.some(nil)` when it is known to have none, nil when nothing is known yet.
    func gzip(_ sha256: String) -> (path: String, size: Int64)?? {
        lock.withLock {
            switch gzipCopies[sha256] {
            case .copy(let path, let size): return .some((path, size))
            case .none?: return .some(nil)
            case nil: return nil
            }
        }
    }

    /// Remembers a blob's gzip copy, or that it has none.
    func storeGzip(_ sha256: String, _ copy: (path: String, size: Int64)?) {
        lock.withLock {
            if gzipCopies.count >= Self.maxLookups { gzipCopies.removeAll(keepingCapacity: true) }
            gzipCopies[sha256] = copy.map { .copy(path: $0.path, size: $0.size) } ?? GzipCopy.none
        }
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
