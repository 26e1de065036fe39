import Foundation
import GRDB
import SatchelCore
import SatchelStore
import SatchelTestSupport
import Testing

/// The teacher's lists are bounded: 最近浏览 keeps the latest 30, a lesson plan holds at most 40 resources, and a
/// teacher's lists go with the account.
@Suite struct TeacherToolsStoreTests {
    @Test func recentViewsKeepTheLatestAndListsAreBounded() async throws {
        let folder = TemporaryDirectory("teacher-tools")
        let database = try SatchelDatabase(path: folder.file("s.sqlite"))
        let teacher = UUID()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<(SatchelDatabase.recentViewsKept + 5) {
            database.noteRecentView(
                teacherId: teacher, bundleId: "b", resourceId: "r\(index)", at: start.addingTimeInterval(Double(index)))
        }
        // Opening r2 again brings it back among the kept ones.
        database.noteRecentView(
            teacherId: teacher, bundleId: "b", resourceId: "r2", at: start.addingTimeInterval(99))
        // Opening pages writes nothing by itself (an SD card pays a WAL write and an fsync per transaction): the notes
        // go with the event log's next write, or here, explicitly.
        #expect(try await database.reader.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM recentView") } == 0)
        let log = EventLog(database: database, usageDelay: 0)
        try await log.append(NodeEvent(occurredAt: start, .search(.init(query: "分数", results: 1))))
        let kept = try await database.reader.read { try String.fetchSet($0, sql: "SELECT resourceId FROM recentView") }
        #expect(kept.count == SatchelDatabase.recentViewsKept)
        #expect(kept.contains("r2") && kept.contains("r34") && !kept.contains("r5") && !kept.contains("r0"))

        // A removed teacher's notes still waiting are forgotten with her lists.
        let other = UUID()
        database.noteRecentView(teacherId: other, bundleId: "b", resourceId: "r1", at: start)
        try database.removeTeacher(id: other)
        try database.writeHeldRecentViews()
        #expect(
            try await database.reader.read {
                try Int.fetchOne(
                    $0, sql: "SELECT COUNT(*) FROM recentView WHERE teacherId = ?",
                    arguments: [other.uuidString.lowercased()])
            } == 0)

        let plan = try #require(try database.createLessonPlan(teacherId: teacher, title: "明天", className: nil))
        for index in 0..<SatchelDatabase.maxLessonPlanItems {
            #expect(
                try database.addToLessonPlan(id: plan.id, teacherId: teacher, bundleId: "b", resourceId: "r\(index)")
                    == .changed)
        }
        #expect(
            try database.addToLessonPlan(id: plan.id, teacherId: teacher, bundleId: "b", resourceId: "extra") == .full)
        // The same resource again is already there, not a second copy.
        #expect(
            try database.addToLessonPlan(id: plan.id, teacherId: teacher, bundleId: "b", resourceId: "r0") == .changed)
        #expect(try database.lessonPlan(id: plan.id, teacherId: teacher)?.1.count == SatchelDatabase.maxLessonPlanItems)
        #expect(try database.lessonPlan(id: plan.id, teacherId: UUID()) == nil)

        for index in 1..<SatchelDatabase.maxLessonPlans {
            #expect(try database.createLessonPlan(teacherId: teacher, title: "课 \(index)", className: nil) != nil)
        }
        #expect(try database.createLessonPlan(teacherId: teacher, title: "one too many", className: nil) == nil)
    }
}
