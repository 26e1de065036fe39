import Foundation

/// A true time learned in one boot: at `monotonic` seconds into boot `bootId` it was `trueTime` seconds since 1970.
/// Every instant of the same boot is then dated as `trueTime - (monotonic - instant.monotonic)`, whatever the wall
/// clock said (or was set to) in between; instants of other boots are not dated by it.
public struct ClockAnchor: Sendable, Hashable, Codable {
    /// Where the true time came from. The platform always wins over phones.
    public enum Source: String, Sendable, Hashable, Codable {
        /// The `Date` header or the time in a clock-skew refusal of the enrolled platform.
        case platform
        /// The median of logged-in teachers' phone clocks, sent with usage beacons.
        case phones
    }

    /// The boot the anchor dates.
    public var bootId: String
    /// Seconds since that boot when the true time was learned.
    public var monotonic: Double
    /// The true time then, in seconds since 1970.
    public var trueTime: Double
    /// Where it came from.
    public var source: Source

    /// An anchor learned at `instant`.
    public init(at instant: BootInstant, trueTime: Double, source: Source) {
        bootId = instant.bootId
        monotonic = instant.monotonic
        self.trueTime = trueTime
        self.source = source
    }

    /// The true time of `instant`, or nil when it belongs to another boot.
    public func trueTime(of instant: BootInstant) -> Double? {
        guard instant.bootId == bootId else { return nil }
        return trueTime - (monotonic - instant.monotonic)
    }
}

/// The plausible range of a true time. A time from outside (a `Date` header, a refusal, a phone) before ``earliest``
/// (a date before this code was written, so before any binary that runs it was built) or after ``latest`` is a lie
/// or a broken clock and is ignored.
public enum TrueTimeBounds {
    /// 2025-01-01T00:00:00Z.
    public static let earliest: Double = 1_735_689_600
    /// 2100-01-01T00:00:00Z.
    public static let latest: Double = 4_102_444_800

    /// Whether `seconds` since 1970 can be a true time now.
    public static func isPlausible(_ seconds: Double) -> Bool {
        seconds.isFinite && seconds >= earliest && seconds <= latest
    }
}

/// The anchors of recent boots, as kept in the node's sync state: at most one a boot, at most ``maxBoots`` boots
/// (the newest learned), so that events still unsent from a few boots ago are dated by what their boot learned.
public struct ClockAnchors: Sendable, Hashable, Codable {
    /// The most boots remembered.
    public static let maxBoots = 16
    /// Two true times this close are the same for dating events: a new one does not replace the anchor.
    public static let sameTime: Double = 1

    /// Newest learned last.
    public private(set) var anchors: [ClockAnchor]

    /// Anchors as stored.
    public init(_ anchors: [ClockAnchor] = []) {
        self.anchors = Array(anchors.suffix(Self.maxBoots))
    }

    /// Decodes stored anchors, keeping at most ``maxBoots``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try container.decode([ClockAnchor].self, forKey: .anchors))
    }

    /// The anchor of a boot.
    public func anchor(boot bootId: String) -> ClockAnchor? {
        anchors.last { $0.bootId == bootId }
    }

    /// Adds `anchor` unless it is implausible or a phones anchor where the platform already dated this boot; a newer
    /// anchor replaces its boot's older one. Returns whether anything changed.
    @discardableResult
    public mutating func learn(_ anchor: ClockAnchor) -> Bool {
        guard TrueTimeBounds.isPlausible(anchor.trueTime), anchor.monotonic.isFinite, anchor.monotonic >= 0 else {
            return false
        }
        if let existing = self.anchor(boot: anchor.bootId), existing.source == .platform, anchor.source == .phones {
            return false
        }
        // A time that the anchor already kept predicts to within a second changes nothing (and costs no write).
        if let existing = self.anchor(boot: anchor.bootId), existing.source == anchor.source,
            let predicted = existing.trueTime(of: BootInstant(bootId: anchor.bootId, monotonic: anchor.monotonic)),
            abs(predicted - anchor.trueTime) < Self.sameTime
        {
            return false
        }
        anchors.removeAll { $0.bootId == anchor.bootId }
        anchors.append(anchor)
        if anchors.count > Self.maxBoots { anchors.removeFirst(anchors.count - Self.maxBoots) }
        return true
    }

    /// The corrected time of an event recorded at `instant` (the true time and where it came from), or nil when its
    /// boot learned no true time.
    public func corrected(_ instant: BootInstant?) -> (time: Double, source: ClockAnchor.Source)? {
        guard let instant, let anchor = anchor(boot: instant.bootId), let time = anchor.trueTime(of: instant) else {
            return nil
        }
        return (time, anchor.source)
    }

    /// The best estimate of the true time now: the corrected time when this boot learned one, else `wallClock`.
    public func now(wallClock: Date = Date(), at instant: BootInstant? = BootInstant.now()) -> Date {
        corrected(instant).map { Date(timeIntervalSince1970: $0.time) } ?? wallClock
    }
}
