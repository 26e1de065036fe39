import Foundation

/// Remembers which client viewed or downloaded which resource lately, so that usage counts visits, not requests: a
/// page reloaded, a video's many range requests, or a phone's prefetch are one view within ``window``.
final class RecentUses: @unchecked Sendable {
    /// A use by the same client of the same resource within this long is the same visit.
    static let window: TimeInterval = 30 * 60
    /// The most uses remembered; beyond it the expired ones are dropped, and if none has expired, all.
    static let capacity = 50_000

    private let lock = NSLock()
    private var seen: [String: Date] = [:]

    /// Whether this use is a new visit (and remembers it): false when the same client used the same resource the
    /// same way within ``window``.
    func isNew(client: String, bundleId: String, resourceId: String, download: Bool, now: Date = Date()) -> Bool {
        let key = [client, bundleId, resourceId, download ? "d" : "v"].joined(separator: "\u{0}")
        return lock.withLock {
            if let last = seen[key], now.timeIntervalSince(last) < Self.window { return false }
            if seen.count >= Self.capacity {
                seen = seen.filter { now.timeIntervalSince($0.value) < Self.window }
                if seen.count >= Self.capacity { seen.removeAll(keepingCapacity: true) }
            }
            seen[key] = now
            return true
        }
    }
}
