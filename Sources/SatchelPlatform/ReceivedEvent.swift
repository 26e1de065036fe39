import Foundation
import SatchelCore
import SatchelSync

/// An event as the platform stores it, with the occurrence time it reports. The node corrects the time (it alone
/// knows its boots and the true times it learned in them) and sends its raw wall-clock time beside the correction;
/// the platform only decides whether to believe it.
public struct ReceivedEvent: Sendable, Hashable {
    /// The node's sequence number.
    public var seq: Int64
    /// The event id.
    public var id: String
    /// The event type.
    public var type: String
    /// When it happened by the node's wall clock, in seconds since 1970, as sent.
    public var occurredAt: Double
    /// The payload JSON.
    public var payload: String
    /// The corrected occurrence time the platform reports, or nil when it has none it believes.
    public var correctedAt: Double?
    /// Where ``correctedAt`` came from: `platform` or `phones` (the node's correction, and which true time it used),
    /// `node` (no correction; the node's wall clock was plausible and is reported as it was), nil (no time).
    public var timeSource: String?
    /// The boot the node recorded it in, when sent.
    public var bootId: String?
    /// The node's monotonic seconds then, when sent.
    public var monotonic: Double?

    /// How far after its arrival a reported occurrence time may be (the clocks' granularity and the network): later
    /// is impossible, and not believed.
    public static let futureSlack: Double = 300

    /// An event from its wire form, received at `receivedAt` by the platform's clock. A correction is believed when it
    /// is a plausible true time (``TrueTimeBounds``) no later than the arrival; without one, a plausible node time is
    /// reported as it is; otherwise the event has no corrected time.
    public init(wire: SyncProtocol.WireEvent, receivedAt: Date) {
        seq = wire.s
        id = wire.i
        type = wire.t
        occurredAt = wire.o
        payload = wire.p
        bootId = wire.b.flatMap(BootInstant.parseBootId)
        monotonic = bootId == nil ? nil : wire.m.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        let latest = receivedAt.timeIntervalSince1970 + Self.futureSlack
        func believable(_ time: Double?) -> Double? {
            guard let time, TrueTimeBounds.isPlausible(time), time <= latest else { return nil }
            return time
        }
        if let corrected = believable(wire.c), let source = wire.x.flatMap(ClockAnchor.Source.init(rawValue:)) {
            correctedAt = corrected
            timeSource = source.rawValue
        } else if let raw = believable(wire.o) {
            correctedAt = raw
            timeSource = "node"
        }
    }

    /// An event with every field given (tests, migrations).
    public init(
        seq: Int64, id: String, type: String, occurredAt: Double, payload: String, correctedAt: Double? = nil,
        timeSource: String? = nil
    ) {
        self.seq = seq
        self.id = id
        self.type = type
        self.occurredAt = occurredAt
        self.payload = payload
        self.correctedAt = correctedAt
        self.timeSource = timeSource
    }
}
