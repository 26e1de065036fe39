import Foundation
import SatchelCore
import SatchelStore

/// The clocks of logged-in teachers' phones, as their usage beacons report them: a node that cannot reach the
/// platform takes the median of recent ones as this boot's true time (a ``ClockAnchor`` with source `phones`). Phones
/// never override a time the platform gave in this boot (``ClockAnchors/learn(_:)``). Bounded: one sample a teacher,
/// only the last ``maxAge`` seconds, at most ``maxTeachers`` teachers, and at most one store write a
/// ``learnInterval``.
final class PhoneClocks: @unchecked Sendable {
    /// The most teachers whose samples are kept.
    static let maxTeachers = 32
    /// Samples older than this (monotonic seconds) are dropped.
    static let maxAge: Double = 600
    /// The least time between two anchors learned from phones.
    static let learnInterval: Double = 60

    private struct Sample {
        /// The phone's time minus the monotonic seconds it was received at: the true time at monotonic zero, as this
        /// phone sees it.
        var trueTimeAtZero: Double
        var receivedAt: Double
    }

    private let database: SatchelDatabase
    private let lock = NSLock()
    private var samples: [UUID: Sample] = [:]
    private var lastLearnedAt: Double?

    /// Phone clocks that date boots in `database`.
    init(database: SatchelDatabase) {
        self.database = database
    }

    /// Takes a phone's `clientTime` (Unix milliseconds) from a beacon of `teacherId` received at `instant`; an
    /// implausible time (see ``TrueTimeBounds``) is ignored.
    func record(clientTimeMilliseconds: Double, teacherId: UUID, at instant: BootInstant? = BootInstant.now()) {
        let seconds = clientTimeMilliseconds / 1000
        guard let instant, TrueTimeBounds.isPlausible(seconds) else { return }
        let anchor = lock.withLock { () -> ClockAnchor? in
            samples[teacherId] = Sample(trueTimeAtZero: seconds - instant.monotonic, receivedAt: instant.monotonic)
            samples = samples.filter { instant.monotonic - $0.value.receivedAt <= Self.maxAge }
            if samples.count > Self.maxTeachers {
                let oldest = samples.sorted { $0.value.receivedAt < $1.value.receivedAt }
                for (teacher, _) in oldest.prefix(samples.count - Self.maxTeachers) { samples[teacher] = nil }
            }
            if let last = lastLearnedAt, instant.monotonic - last < Self.learnInterval { return nil }
            lastLearnedAt = instant.monotonic
            let median = Self.median(samples.values.map(\.trueTimeAtZero))
            return ClockAnchor(at: instant, trueTime: median + instant.monotonic, source: .phones)
        }
        if let anchor { _ = try? database.learnClock(anchor) }
    }

    /// The median of a non-empty list.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
