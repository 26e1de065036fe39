import Synchronization

/// Counts the bytes sync moved over the network as the kernel counted them on each TCP connection: requests and
/// answers with their headers, TLS and a proxy's handshake, and the bytes of transfers that were stopped or broke off.
/// A metered link is billed for these, not for the sizes of the files that arrived.
public final class WireMeter: Sendable {
    /// Bytes each way.
    public struct Count: Sendable, Equatable, Codable {
        /// Bytes the node sent (and the far end acknowledged).
        public var sent: Int64
        /// Bytes the node received.
        public var received: Int64

        /// A count of `sent` and `received` bytes.
        public init(sent: Int64 = 0, received: Int64 = 0) {
            self.sent = sent
            self.received = received
        }

        /// Whether no byte was counted.
        public var isZero: Bool { sent == 0 && received == 0 }

        /// Both directions added.
        public static func + (left: Count, right: Count) -> Count {
            Count(sent: left.sent + right.sent, received: left.received + right.received)
        }
    }

    private let counts = Mutex<(total: Count, unrecorded: Count)>((Count(), Count()))

    /// A meter at zero.
    public init() {}

    /// Adds bytes that crossed the wire.
    func add(_ count: Count) {
        counts.withLock {
            $0.total = $0.total + count
            $0.unrecorded = $0.unrecorded + count
        }
    }

    /// Everything counted since the meter was made.
    public var total: Count { counts.withLock { $0.total } }

    /// The bytes counted since the last call, which the caller now records; ``giveBack(_:)`` returns them when the
    /// record could not be written.
    public func takeUnrecorded() -> Count {
        counts.withLock { counts in
            let taken = counts.unrecorded
            counts.unrecorded = Count()
            return taken
        }
    }

    /// Returns bytes taken by ``takeUnrecorded()`` that were not recorded after all.
    public func giveBack(_ count: Count) {
        counts.withLock { $0.unrecorded = $0.unrecorded + count }
    }
}
