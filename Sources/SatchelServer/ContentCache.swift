import Foundation
import NIOCore
import SatchelCore
import SatchelHTTP
import SatchelStore

/// Keeps the content route off SQLite and the disk for most requests: file lookups for a short time, which blobs have
/// a gzip copy, and the bytes of small blobs (which never change, being named by their hash) within a fixed memory
/// budget.
///
/// Lookups are dropped when the catalog changes, which ``ContentResponder`` checks at most once every
/// ``catalogCheckInterval`` (so that an import by another process shows within about a second), and expire after
/// ``lookupLifetime`` in any case; a served blob that has meanwhile been garbage-collected is answered 404 by
/// ``ConnectionGuard`` when it cannot be opened.
final class ContentCache: @unchecked Sendable {
    /// A bundle file as served: enough to answer without touching the database. Its file's fields read through.
    @dynamicMemberLookup
    struct Entry {
        var file: ContentFileRecord
        /// `Last-Modified`, formatted once.
        var lastModified: String
        var expires: Date

        subscript<T>(dynamicMember field: KeyPath<ContentFileRecord, T>) -> T { file[keyPath: field] }
    }

    static let lookupLifetime: TimeInterval = 600
    static let catalogCheckInterval: TimeInterval = 1
    static let maxLookups = 20_000
    /// Blobs up to this size are kept in memory.
    static let maxCachedBlob = 256 * 1024
    /// The most bytes of blobs kept in memory.
    static let blobBudget = 16 * 1024 * 1024

    private let lock = NSLock()
    private var lookups: [String: Entry] = [:]
    private var blobs: [String: ByteBuffer] = [:]
    private var blobBytes = 0
    private var gzipCopies: [String: GzipCopy] = [:]
    private var catalogVersion: String?
    private var catalogCheckedAt = Date.distantPast

    /// What is known of a blob's gzip copy.
    private enum GzipCopy {
        case copy(path: String, size: Int64)
        /// Compressing does not pay off (or failed): the blob is sent as it is.
        case none
    }

    /// Whether the catalog's version should be read now: true at most once per ``catalogCheckInterval``.
    func catalogCheckDue(now: Date = Date()) -> Bool {
        lock.withLock {
            guard now.timeIntervalSince(catalogCheckedAt) >= Self.catalogCheckInterval else { return false }
            catalogCheckedAt = now
            return true
        }
    }

    /// Takes the catalog's current version; every lookup and blob in memory is dropped when it differs from the last
    /// one seen, so that the blobs kept follow what is installed and asked for.
    func catalog(is version: String) {
        lock.withLock {
            if version != catalogVersion {
                lookups.removeAll(keepingCapacity: true)
                blobs.removeAll()
                blobBytes = 0
            }
            catalogVersion = version
        }
    }

    /// The cached lookup for a path, if still fresh.
    func entry(bundleId: String, path: String, now: Date = Date()) -> Entry? {
        lock.withLock {
            guard let entry = lookups[bundleId + "\u{0}" + path], entry.expires > now else { return nil }
            return entry
        }
    }

    /// Remembers a lookup for ``lookupLifetime``.
    func store(_ file: ContentFileRecord, bundleId: String, path: String) -> Entry {
        let entry = Entry(
            file: file, lastModified: HTTPDate.format(file.installedAt),
            expires: Date().addingTimeInterval(Self.lookupLifetime))
        lock.withLock {
            if lookups.count >= Self.maxLookups { lookups.removeAll(keepingCapacity: true) }
            lookups[bundleId + "\u{0}" + path] = entry
        }
        return entry
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

    /// Whether a blob of `size` bytes would be kept in memory: small enough, and room left in the budget.
    ///
    /// Nothing is evicted to make room: a school walks through far more pages than the budget holds, and reading
    /// each into memory only to push another out costs more than sending it from the file with sendfile. The blobs
    /// kept are the first ones asked for since the catalog last changed.
    func hasRoom(for size: Int64) -> Bool {
        size <= Int64(Self.maxCachedBlob) && lock.withLock { blobBytes + Int(size) <= Self.blobBudget }
    }

    /// Keeps a small blob's bytes, if there is room.
    func storeBlob(_ sha256: String, _ buffer: ByteBuffer) {
        lock.withLock {
            guard blobs[sha256] == nil, buffer.readableBytes <= Self.maxCachedBlob,
                blobBytes + buffer.readableBytes <= Self.blobBudget
            else { return }
            blobs[sha256] = buffer
            blobBytes += buffer.readableBytes
        }
    }
}
