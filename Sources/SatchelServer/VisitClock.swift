import Foundation

/// The node's own view of how long a client has been on a resource: time reported by a page's beacon is credited only
/// as far as the node's clock saw it pass since that client opened the resource or since its previous beacon.
///
/// A page that reports two minutes every second is credited one second per beacon; a beacon with no visit the node
/// saw (a restart lost the memory, or the content was never opened) is credited nothing but starts the clock.
final class VisitClock: @unchecked Sendable {
    /// The most visits remembered; beyond it, marks older than ``forgetAfter`` are dropped, and if none is, all.
    static let capacity = 50_000
    /// A mark older than this is dropped when room is needed.
    static let forgetAfter: Duration = .seconds(2 * 3600)

    private let lock = NSLock()
    private var marks: [String: ContinuousClock.Instant] = [:]
    private let clock = ContinuousClock()

    private static func key(_ client: String, _ bundleId: String, _ resourceId: String) -> String {
        [client, bundleId, resourceId].joined(separator: "\u{0}")
    }

    /// Notes that `client` opened the resource now, unless its visit is already being timed.
    func opened(client: String, bundleId: String, resourceId: String) {
        let key = Self.key(client, bundleId, resourceId)
        let now = clock.now
        lock.withLock {
            if marks[key] == nil {
                makeRoom(now)
                marks[key] = now
            }
        }
    }

    /// The seconds to credit for a beacon reporting `reported` seconds: no more than the whole seconds the node saw
    /// pass since the last mark, and no more than `cap`. The mark moves on by what was credited when the node's view
    /// was the limit (a fraction of a second carries over to the next beacon), else to now (time the page says it
    /// was hidden is not credited later).
    func credit(client: String, bundleId: String, resourceId: String, reported: Int, cap: Int) -> Int {
        let key = Self.key(client, bundleId, resourceId)
        let now = clock.now
        return lock.withLock {
            guard let last = marks[key] else {
                makeRoom(now)
                marks[key] = now
                return 0
            }
            let seen = Int((now - last).components.seconds)
            let credited = max(0, min(reported, seen, cap))
            marks[key] = credited == seen ? last + .seconds(credited) : now
            return credited
        }
    }

    private func makeRoom(_ now: ContinuousClock.Instant) {
        guard marks.count >= Self.capacity else { return }
        marks = marks.filter { now - $0.value < Self.forgetAfter }
        if marks.count >= Self.capacity { marks.removeAll(keepingCapacity: true) }
    }
}
