import Foundation
import SatchelCore
import SatchelStore
import SatchelTestSupport
import Testing

@testable import SatchelSync

/// The node learns the platform's time from its answers, and ignores a lying or malformed one.
@Suite struct PlatformClockTests {
    @Test func aLyingOrSlowAnswerTeachesNothing() throws {
        let test = try TestNode()
        let clock = PlatformClock(database: test.node.database)
        let sent = try #require(BootInstant.now())
        let received = BootInstant(bootId: sent.bootId, monotonic: sent.monotonic + 0.2)
        func answer(_ headers: [String: String]) -> CurlTransport.Response {
            CurlTransport.Response(status: 200, body: Data(), headers: headers)
        }
        #expect(!clock.learn(from: answer(["date": "Fri, 31 Dec 9999 23:59:59 GMT"]), sent: sent, received: received))
        #expect(!clock.learn(from: answer(["date": "Thu, 01 Jan 1970 00:00:00 GMT"]), sent: sent, received: received))
        #expect(!clock.learn(from: answer(["x-satchel-platform-time": "1e400"]), sent: sent, received: received))
        #expect(!clock.learn(from: answer([:]), sent: sent, received: received))
        let slow = BootInstant(bootId: sent.bootId, monotonic: sent.monotonic + PlatformClock.maxRoundTrip + 1)
        #expect(!clock.learn(from: answer(["date": "Tue, 01 Dec 2026 00:00:00 GMT"]), sent: sent, received: slow))
        #expect(try test.node.database.clockAnchors().anchors.isEmpty)

        #expect(clock.learn(from: answer(["date": "Tue, 01 Dec 2026 00:00:00 GMT"]), sent: sent, received: received))
        let anchor = try #require(try test.node.database.clockAnchors().anchor(boot: sent.bootId))
        #expect(anchor.trueTime == 1_796_083_200.5)
        #expect(abs(anchor.monotonic - (sent.monotonic + 0.1)) < 0.000_1)
        #expect(anchor.source == .platform)
    }
}

/// Events carry their boot instant to the platform, with the corrected time once their boot learned one.
@Suite struct EventCorrectionTests {
    @Test func eventsRecordedBeforeTheBootLearnedATimeAreCorrectedOnceItDoes() throws {
        let test = try TestNode()
        let database = test.node.database
        let bootId = try #require(BootInstant.currentBootId)
        try database.append(
            NodeEvent(
                occurredAt: Date(timeIntervalSince1970: 5), boot: BootInstant(bootId: bootId, monotonic: 100),
                .search(.init(query: "early", results: 0))))
        try database.append(NodeEvent(.search(.init(query: "now", results: 0))))
        try database.append(
            NodeEvent(occurredAt: Date(timeIntervalSince1970: 7), .search(.init(query: "untimed", results: 0))))

        var wire = try EventExport.events(after: 0, limit: 10, database: database)
        #expect(wire.map(\.b) == [bootId, bootId, nil])
        #expect(wire[0].m == 100)
        #expect(wire.allSatisfy { $0.c == nil && $0.x == nil })

        try database.learnClock(
            ClockAnchor(at: BootInstant(bootId: bootId, monotonic: 400), trueTime: 1_790_000_000, source: .platform))
        wire = try EventExport.events(after: 0, limit: 10, database: database)
        #expect(abs((wire[0].c ?? 0) - (1_790_000_000 - 300)) < 0.001)
        #expect(wire[0].x == "platform")
        #expect(wire[0].o == 5, "the raw wall clock is sent as it was")
        #expect(wire[1].c != nil)
        #expect(wire[2].c == nil)

        // An older platform reads the new batch, and a new platform an old one.
        let json = try JSONEncoder().encode(wire)
        let old = try JSONDecoder().decode([OldWireEvent].self, from: json)
        #expect(old.map(\.s) == wire.map(\.s))
        let fromOld = try JSONDecoder().decode(
            [SyncProtocol.WireEvent].self, from: Data(#"[{"s":1,"i":"a","t":"view","o":5,"p":"{}"}]"#.utf8))
        #expect(fromOld.first?.c == nil && fromOld.first?.b == nil)
    }

    /// The wire event of protocol v1 before time correction.
    struct OldWireEvent: Codable {
        var s: Int64
        var i: String
        var t: String
        var o: Double
        var p: String
    }
}
