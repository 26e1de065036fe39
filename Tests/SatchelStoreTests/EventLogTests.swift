import Foundation
import GRDB
import SatchelCore
import SatchelTestSupport
import Testing

@testable import SatchelStore

/// The append-only event log over a real SQLite file: group commit, derived tables, compaction and rollup.
@Suite struct EventLogTests {
    static func view(_ resource: String = "r1", day: Int = 0) -> NodeEvent {
        NodeEvent(
            occurredAt: Date(timeIntervalSince1970: 1_780_000_000 + Double(day) * 86_400),
            .view(.init(bundleId: "b", resourceId: resource, bytes: 100, deviceClass: "phone")))
    }

    @Test func concurrentAppendsGetDistinctSequencesAndAllLand() async throws {
        let folder = TemporaryDirectory("events")
        let database = try SatchelDatabase(path: folder.file("e.sqlite"))
        let log = EventLog(database: database)
        let sequences = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<2000 { group.addTask { try await log.append(Self.view("r\(index % 10)")) } }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(Set(sequences).count == 2000)
        #expect(try database.pendingEventCount() == 2000)
        let views = try await database.reader.read { try Int.fetchOne($0, sql: "SELECT SUM(views) FROM usageDaily") }
        #expect(views == 2000)
    }

    @Test func usageHeldForItsDelayIsWrittenTogetherWithAPagesTimeAddedUp() async throws {
        let folder = TemporaryDirectory("events")
        let database = try SatchelDatabase(path: folder.file("e.sqlite"))
        let log = EventLog(database: database, usageDelay: 3600)
        log.record(Self.view("r1"))
        for _ in 0..<30 {
            log.record(NodeEvent(.timeSpent(.init(bundleId: "b", resourceId: "r1", seconds: 60))))
        }
        log.record(NodeEvent(.timeSpent(.init(bundleId: "b", resourceId: "r2", seconds: 5))))
        // Held in memory: nothing written yet, until a flush (a decision that reads them, or shutdown).
        #expect(try database.pendingEventCount() == 0)
        await log.flush()
        let rows = try await database.reader.read {
            try Row.fetchAll(
                $0, sql: "SELECT type, json_extract(payload, '$.seconds') AS seconds FROM event ORDER BY seq")
        }
        #expect(rows.map { $0["type"] as String } == ["view", "timeSpent", "timeSpent"])
        #expect(rows.map { $0["seconds"] as Int? } == [nil, 1800, 5])
        // A training record is written before append returns, whatever the delay.
        try await log.append(NodeEvent(.enrol(.init(teacherId: UUID(), bundleId: "ict"))))
        #expect(try database.pendingEventCount() == 4)
    }

    @Test func derivedTablesRebuildToTheSameTotals() throws {
        let folder = TemporaryDirectory("events")
        let database = try SatchelDatabase(path: folder.file("e.sqlite"))
        let teacher = UUID()
        for day in 0..<3 {
            try database.append(Self.view("r1", day: day))
            try database.append(NodeEvent(.timeSpent(.init(bundleId: "b", resourceId: "r1", seconds: 60))))
        }
        try database.append(NodeEvent(.search(.init(query: "化学", results: 0))))
        try database.append(NodeEvent(.enrol(.init(teacherId: teacher, bundleId: "course"))))
        try database.append(
            NodeEvent(
                .moduleCompleted(
                    .init(
                        teacherId: teacher, bundleId: "course", resourceId: "m1", creditHours: 2, score: 90))))
        func snapshot() throws -> [String] {
            try database.reader.read { db in
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT day || bundleId || resourceId || views || downloads || seconds || bytes FROM usageDaily
                        UNION ALL SELECT query || searches || results FROM searchDaily
                        UNION ALL SELECT teacherId || resourceId || creditedHours || COALESCE(score, '') FROM moduleProgress
                        ORDER BY 1
                        """)
            }
        }
        let live = try snapshot()
        #expect(try database.rebuildDerivedTables() == 9)
        #expect(try snapshot() == live)
        #expect(try database.zeroResultSearches().map(\.query) == ["化学"])
        #expect(try database.progress(teacherId: teacher).first?.creditedHours == 2)
    }

    @Test func acknowledgedUsageIsCompactedButTrainingIsKept() throws {
        let folder = TemporaryDirectory("events")
        let database = try SatchelDatabase(path: folder.file("e.sqlite"))
        let teacher = UUID()
        for day in 0..<5 { try database.append(Self.view(day: day)) }
        try database.append(
            NodeEvent(
                occurredAt: Date(timeIntervalSince1970: 1_780_000_000),
                .moduleCompleted(.init(teacherId: teacher, bundleId: "c", resourceId: "m", creditHours: 1))))
        try database.append(
            NodeEvent(
                occurredAt: Date(timeIntervalSince1970: 1_780_000_000),
                .timeSpent(.init(bundleId: "c", resourceId: "m", seconds: 30, teacherId: teacher))))
        try database.setAcknowledgedSequence(7)
        let report = try database.compact(
            olderThan: Date(timeIntervalSince1970: 1_780_000_000 + 3 * 86_400),
            maxPendingUsageEvents: 1_000_000)
        #expect(report.compacted == 3)
        let remaining = try database.reader.read { try String.fetchAll($0, sql: "SELECT type FROM event ORDER BY seq") }
        #expect(remaining == ["view", "view", "moduleCompleted", "timeSpent"])
        let before = try database.usageReport()
        try database.rebuildDerivedTables()
        #expect(try database.usageReport() == before, "compacted totals are lost on rebuild")
        #expect(try database.counter("compactedEvents") == 3)
    }

    @Test func anOversizedBacklogIsRolledUpIntoDailyTotals() throws {
        let folder = TemporaryDirectory("events")
        let database = try SatchelDatabase(path: folder.file("e.sqlite"))
        let teacher = UUID()
        for day in 0..<4 {
            for index in 0..<50 { try database.append(Self.view("r\(index % 2)", day: day)) }
        }
        try database.append(NodeEvent(.enrol(.init(teacherId: teacher, bundleId: "c"))))
        let usageBefore = try database.usageReport()
        let report = try database.compact(olderThan: .distantPast, maxPendingUsageEvents: 100)
        #expect(report.rolledUp >= 100)
        #expect(report.rollups == report.rolledUp / 50 * 2)
        #expect(try database.pendingEventCount() <= 100)
        #expect(try database.usageReport() == usageBefore, "rollups changed the totals")
        try database.rebuildDerivedTables()
        #expect(try database.usageReport() == usageBefore, "rebuilding from rollups changed the totals")
        let enrolments = try database.reader.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM event WHERE type = 'enrol'")
        }
        #expect(enrolments == 1)
        #expect(try database.counter("rolledUpEvents") == Int64(report.rolledUp))
    }

    @Test func removingATeacherErasesTheirPersonalData() throws {
        let folder = TemporaryDirectory("events")
        let database = try SatchelDatabase(path: folder.file("e.sqlite"))
        let teacher = TeacherRecord(
            username: "li.wei", name: "李伟", teacherNumber: "T-0042", subjects: "数学", role: .teacher,
            status: .active, passwordHash: "x")
        try database.addTeacher(teacher)
        try database.append(NodeEvent(.enrol(.init(teacherId: teacher.id, bundleId: "c"))))
        try database.removeTeacher(id: teacher.id)
        #expect(try database.teacher("li.wei") == nil)
        let text = try database.reader.read { try String.fetchAll($0, sql: "SELECT payload FROM event") }.joined()
        #expect(!text.contains("李伟") && !text.contains("T-0042"))
        #expect(text.contains("removed"))
    }
}

/// Daily totals are keyed by the UTC day, computed without Calendar.
@Suite struct DayKeyTests {
    @Test(arguments: [0.0, 86_399, 86_400, 951_782_400, 1_709_164_800, 1_780_000_000, 4_102_444_799, -86_400])
    func matchesTheGregorianCalendar(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let calendar = Calendar(identifier: .gregorian)
        let parts = calendar.dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        let expected = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
        #expect(SatchelDatabase.day(date) == expected)
    }
}
