import Foundation
import NIOCore
import SatchelCore
import SatchelHTTP
import SatchelStore

/// The usage beacon that resource pages send while they are visible: `{"bundleId", "resourceId", "seconds"}`, recorded
/// as a `timeSpent` event with the other usage of the next minute (see ``EventLog/record(_:)``), with an optional
/// `clientTime` (the phone's clock, Unix milliseconds) that counts towards the node's clock when a teacher is logged
/// in (see ``PhoneClocks``).
struct BeaconRecorder: Sendable {
    let database: SatchelDatabase
    let events: EventLog
    /// Resources recently confirmed to exist, so that a burst of beacons does not read the catalog each time.
    let knownResources = KnownResources()
    /// Logged-in teachers' phone clocks.
    let phoneClocks: PhoneClocks

    /// A recorder writing to `events`, crediting time by `visits`, dating boots in `database` by phones when nothing
    /// better is known.
    init(database: SatchelDatabase, events: EventLog, visits: VisitClock) {
        self.database = database
        self.events = events
        self.visits = visits
        phoneClocks = PhoneClocks(database: database)
    }

    /// The largest beacon body accepted.
    static let maxBytes = 4096
    /// The most seconds one beacon may report: a page's script reports at least every minute while visible.
    static let maxSeconds = 120

    /// A beacon's body.
    struct Beacon: Decodable {
        var bundleId: String
        var resourceId: String
        var seconds: Int
        /// The phone's clock, Unix milliseconds; optional.
        var clientTime: Double?
    }

    /// When each client opened each resource: a beacon is credited only the time the node saw pass.
    let visits: VisitClock

    /// Validates one beacon from `client` and records the time the node credits it (see ``VisitClock``); throws an
    /// ``APIError`` that says what was wrong. A beacon credited nothing is answered but writes nothing.
    func record(_ body: ByteBuffer, client: String, teacherId: UUID?) async throws {
        let beacon = try Self.decode(body)
        guard try knownResources.contains(bundleId: beacon.bundleId, resourceId: beacon.resourceId, database: database)
        else {
            throw APIError.notFound("No resource \(beacon.resourceId) in bundle \(beacon.bundleId).")
        }
        if let teacherId, let clientTime = beacon.clientTime {
            phoneClocks.record(clientTimeMilliseconds: clientTime, teacherId: teacherId)
        }
        let seconds = visits.credit(
            client: client, bundleId: beacon.bundleId, resourceId: beacon.resourceId, reported: beacon.seconds,
            cap: Self.maxSeconds)
        guard seconds > 0 else { return }
        events.record(event(beacon, seconds: seconds, teacherId: teacherId))
    }

    private static func decode(_ body: ByteBuffer) throws -> Beacon {
        guard let beacon = try? JSONDecoder().decode(Beacon.self, from: Data(buffer: body)), beacon.seconds > 0 else {
            throw APIError(
                status: .badRequest, code: "bad_beacon",
                message: "Send JSON {\"bundleId\", \"resourceId\", \"seconds\"} with seconds above 0.")
        }
        return beacon
    }

    private func event(_ beacon: Beacon, seconds: Int, teacherId: UUID?) -> NodeEvent {
        NodeEvent(
            .timeSpent(
                .init(bundleId: beacon.bundleId, resourceId: beacon.resourceId, seconds: seconds, teacherId: teacherId))
        )
    }
}
