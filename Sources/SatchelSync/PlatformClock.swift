import Foundation
import SatchelCore
import SatchelStore

/// The node's view of the platform's time. Every answer of the enrolled platform carries its time (the `Date` header,
/// and ``RequestSignature/platformTimeHeader`` on a refusal for clock skew); each one is kept as this boot's
/// ``ClockAnchor`` in the store's sync state, so that requests are signed with the platform's time and events are
/// dated by it, whatever the board's clock says.
public struct PlatformClock: Sendable {
    let database: SatchelDatabase

    /// An answer that took longer than this (seconds, request sent to answer received) does not date the boot: its
    /// time could have been made anywhere in that span.
    public static let maxRoundTrip: Double = 30

    /// The clock kept in `database`.
    public init(database: SatchelDatabase) {
        self.database = database
    }

    /// The best estimate of the true time now: the platform's (or phones') time learned in this boot, moved on by the
    /// monotonic clock, or the wall clock when this boot learned none.
    public func now() -> Date {
        (try? database.clockAnchors())?.now() ?? Date()
    }

    /// Learns the platform's time from an answer to a request sent at `sent` and answered at `received`; an answer
    /// without a usable time, or with an implausible one (see ``TrueTimeBounds``), changes nothing. Returns whether
    /// it learned.
    @discardableResult
    public func learn(from response: CurlTransport.Response, sent: BootInstant?, received: BootInstant?) -> Bool {
        // The time header of a refusal has sub-second precision; a Date header is truncated to the second, so the
        // middle of that second is the best estimate.
        let time =
            response.headers[RequestSignature.platformTimeHeader.lowercased()].flatMap(Self.parsePlatformTime)
            ?? response.headers["date"].flatMap(HTTPDate.parse).map { $0.timeIntervalSince1970 + 0.5 }
        guard let time else { return false }
        return learn(platformTime: time, sent: sent, received: received)
    }

    /// Learns that the platform's clock said `platformTime` between `sent` and `received`.
    @discardableResult
    public func learn(platformTime: Double, sent: BootInstant?, received: BootInstant?) -> Bool {
        guard let sent, let received, sent.bootId == received.bootId,
            received.monotonic >= sent.monotonic, received.monotonic - sent.monotonic <= Self.maxRoundTrip,
            TrueTimeBounds.isPlausible(platformTime)
        else { return false }
        let middle = BootInstant(bootId: sent.bootId, monotonic: (sent.monotonic + received.monotonic) / 2)
        return (try? database.learnClock(ClockAnchor(at: middle, trueTime: platformTime, source: .platform))) ?? false
    }

    /// Seconds since 1970 from a ``RequestSignature/platformTimeHeader`` value: a decimal number of at most 20
    /// characters, within ``TrueTimeBounds``.
    public static func parsePlatformTime(_ text: String) -> Double? {
        guard text.utf8.count <= 20, let seconds = Double(text), TrueTimeBounds.isPlausible(seconds) else { return nil }
        return seconds
    }
}
