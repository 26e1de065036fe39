import Foundation
import Hummingbird
import SatchelHTTP

/// Remembers which client used what lately, so that usage counts visits, not requests: a page reloaded, a video's many
/// range requests or a phone's prefetch are one view within half an hour, a file downloaded again the same day is one
/// download, and a search repeated within a minute is one search.
final class RecentUses: @unchecked Sendable {
    /// A view of the same resource by the same client within this long is the same visit.
    static let viewWindow: TimeInterval = 30 * 60
    /// A download of the same file by the same client within this long counts once.
    static let downloadWindow: TimeInterval = 24 * 3600
    /// The same query from the same client within this long is one search.
    static let searchWindow: TimeInterval = 60
    /// The most uses remembered; beyond it the expired ones are dropped, and if none has expired, all.
    static let capacity = 50_000

    private let lock = NSLock()
    private var seen: [String: (at: Date, window: TimeInterval)] = [:]

    /// Who is using the node, as the usage records tell clients apart: the teacher's session where there is one, else
    /// the address and browser (a whole class may share one address behind a Wi-Fi router). Nothing is read from the
    /// database.
    static func client(of request: Request, userAgent: String?) -> String {
        Sessions.cookie(Sessions.cookieName, in: request).map { "session\u{0}" + $0 }
            ?? request.clientAddress + "\u{0}" + (userAgent ?? "")
    }

    /// Whether this view or download is a new use (and remembers it): false when the same client viewed the same
    /// resource within ``viewWindow``, or downloaded it within ``downloadWindow``.
    func isNew(client: String, bundleId: String, resourceId: String, download: Bool, now: Date = Date()) -> Bool {
        isNew(
            key: [client, bundleId, resourceId, download ? "d" : "v"].joined(separator: "\u{0}"),
            window: download ? Self.downloadWindow : Self.viewWindow, now: now)
    }

    /// Whether this search is new (and remembers it): false when the same client searched for the same words within
    /// ``searchWindow``. Case and surrounding space do not make a query different.
    func isNewSearch(client: String, query: String, now: Date = Date()) -> Bool {
        let words = query.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return isNew(key: [client, "q", words].joined(separator: "\u{0}"), window: Self.searchWindow, now: now)
    }

    private func isNew(key: String, window: TimeInterval, now: Date) -> Bool {
        lock.withLock {
            if let last = seen[key], now.timeIntervalSince(last.at) < last.window { return false }
            if seen.count >= Self.capacity {
                seen = seen.filter { now.timeIntervalSince($0.value.at) < $0.value.window }
                if seen.count >= Self.capacity { seen.removeAll(keepingCapacity: true) }
            }
            seen[key] = (now, window)
            return true
        }
    }
}
