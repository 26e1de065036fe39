import Foundation
import Logging
import SatchelCore
import SatchelNode
import SatchelStore
import SatchelTestSupport
import Testing

/// A node that never reaches a platform keeps a bounded event log: compaction runs on its own schedule, not only
/// after a successful push.
@Suite(.serialized) struct RecordsCompactionTests {
    /// `count` views of a lesson spread over the day `daysAgo` days back.
    static func views(_ count: Int, daysAgo: Int) -> [NodeEvent] {
        let day = Date().addingTimeInterval(-Double(daysAgo) * 86_400)
        return (0..<count).map { index in
            NodeEvent(
                occurredAt: day.addingTimeInterval(Double(index)),
                .view(.init(bundleId: "maths", resourceId: "r\(index % 20)", bytes: 1000, deviceClass: "phone")))
        }
    }

    static func pendingUsage(_ database: SatchelDatabase) async throws -> Int {
        try await database.reader.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM event WHERE type IN ('view', 'download', 'search')") ?? 0
        }
    }

    @Test func anOfflineNodeCompactsItsLogWhenItStarts() async throws {
        let test = try TestNode()
        try test.node.database.append(contentsOf: Self.views(1500, daysAgo: 3) + Self.views(1500, daysAgo: 2))
        #expect(try await Self.pendingUsage(test.node.database) == 3000)
        // No platform, no peer: only the records service runs beside the server.
        let server = try BackgroundProcess(
            ["serve", "--data", test.node.directory.root, "--port", "0", "--host", "127.0.0.1"],
            environment: ["SATCHEL_MAX_PENDING_USAGE_EVENTS": "1000"])
        _ = try await server.waitFor(#"satchel\.http\.port=(\d+)"#)
        let deadline = Date().addingTimeInterval(60)
        while try test.node.database.counter("rolledUpEvents") == 0, Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(await server.stop() == 0)
        let pending = try await Self.pendingUsage(test.node.database)
        print("offline node: 3000 raw views became \(pending) raw + rollups")
        #expect(pending <= 1000, "\(pending) raw usage events left above the cap of 1000")
        // The totals a school report shows are unchanged: rollups replace events that were already counted.
        let views = try test.node.database.usageReport().map(\.views).reduce(0, +)
        #expect(views == 3000)
        #expect(try test.node.database.rebuildDerivedTables() > 0)
        #expect(try test.node.database.usageReport().map(\.views).reduce(0, +) == 3000)
    }

    @Test func compactionRepeatsOnItsInterval() async throws {
        let test = try TestNode { $0.maxPendingUsageEvents = 1000 }
        let events = EventLog(database: test.node.database)
        let service = RecordsMaintenance(
            node: test.node, events: events, logger: Logger(label: "test"), interval: .milliseconds(200))
        let running = Task { try await service.run() }
        var rolledUp: [Int64] = []
        for daysAgo in [6, 5, 4] {
            try test.node.database.append(contentsOf: Self.views(1500, daysAgo: daysAgo))
            let before = try test.node.database.counter("rolledUpEvents")
            let deadline = Date().addingTimeInterval(30)
            while try test.node.database.counter("rolledUpEvents") == before, Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            rolledUp.append(try test.node.database.counter("rolledUpEvents"))
        }
        running.cancel()
        try? await running.value
        print("events rolled up after each of three backlogs: \(rolledUp)")
        #expect(rolledUp.count == 3 && rolledUp[0] > 0 && rolledUp[1] > rolledUp[0] && rolledUp[2] > rolledUp[1])
    }
}
