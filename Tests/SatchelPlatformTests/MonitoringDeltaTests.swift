import Foundation
import SatchelCore
import SatchelPlatform
import Testing

/// What a batch adds to the monitoring aggregates: weeks and years in Beijing time, rollups as the events they
/// replace, a module once, and the node's clock offset from its latest corrected event.
@Suite struct MonitoringDeltaTests {
    @Test(arguments: [
        // Sunday 2026-11-29 23:30 Beijing is still the week of Monday the 23rd; Monday 00:10 starts the next.
        (1_795_966_200.0, "2026-11-23"), (1_795_968_600.0, "2026-11-30"),
        // 2026-01-01 00:30 Beijing is 2025-12-31 16:30 UTC: a Thursday, in the week of Monday 2025-12-29.
        (1_767_198_600.0, "2025-12-29"),
    ])
    func weeksStartOnMondayInBeijingTime(time: Double, week: String) {
        #expect(MonitoringDelta.week(of: time) == week)
    }

    @Test func yearsAreBeijingYears() {
        #expect(MonitoringDelta.year(of: 1_767_198_600) == 2026)
        #expect(MonitoringDelta.year(of: 1_767_196_800 - 1) == 2025)
    }

    @Test func rollupsCountAsTheirEventsAndAModuleCountsOnce() throws {
        let teacher = UUID()
        let bodies: [NodeEvent.Body] = [
            .view(.init(bundleId: "b", resourceId: "r", bytes: 1, deviceClass: "phone")),
            .usageRollup(
                .init(
                    day: "2026-11-24", bundleId: "b", resourceId: "r", views: 10, downloads: 2, seconds: 300, bytes: 1,
                    events: 12)),
            .search(.init(query: "  光合  作用 ", results: 0)),
            .searchRollup(.init(day: "2026-11-24", query: "光合 作用", searches: 3, results: 0)),
            .searchRollup(.init(day: "2026-11-24", query: "分数", searches: 5, results: 2)),
            .moduleCompleted(.init(teacherId: teacher, bundleId: "c", resourceId: "m", creditHours: 2)),
            .moduleCompleted(.init(teacherId: teacher, bundleId: "c", resourceId: "m", creditHours: 2)),
            .teacher(.init(action: .registered, teacherId: teacher, name: "王芳")),
            .teacher(.init(action: .approved, teacherId: teacher, teacherNumber: "T-1")),
        ]
        let time = 1_795_485_600.0
        let events = try bodies.enumerated().map { index, body in
            ReceivedEvent(
                seq: Int64(index + 1), id: "e\(index)", type: NodeEvent(body).type,
                occurredAt: time + 120 + Double(index), payload: String(decoding: try body.payload(), as: UTF8.self),
                correctedAt: time + Double(index), timeSource: index == 0 ? "platform" : "node")
        }
        let delta = MonitoringDelta(events: events.reversed())
        let counts = try #require(delta.usage.values.first)
        #expect(delta.usage.count == 1 && counts.views == 11 && counts.downloads == 2 && counts.seconds == 300)
        #expect(delta.usage.keys.first?.week == "2026-11-23")
        #expect(delta.unansweredSearches.map { $0.key.query } == ["光合 作用"])
        #expect(delta.unansweredSearches.values.first == 4)
        #expect(delta.completions.count == 1 && delta.completions.first?.year == 2026)
        let known = try #require(delta.teachers[teacher.uuidString.lowercased()])
        #expect(known.name == "王芳" && known.number == "T-1" && !known.removed)
        // Only the first event was corrected by the platform's time: its node clock was 120 s ahead.
        #expect(delta.clockOffset == 120)
    }

    /// A node's figures are bounded, so that a node (trusted only for its own school) cannot overflow the totals.
    @Test func aNodesFiguresAreBounded() throws {
        let bodies: [NodeEvent.Body] = [
            .usageRollup(
                .init(
                    day: "2026-11-24", bundleId: "b", resourceId: "r", views: .max, downloads: -5, seconds: .max,
                    bytes: 1, events: 1)),
            .moduleCompleted(.init(teacherId: UUID(), bundleId: "c", resourceId: "m", creditHours: 1e300)),
        ]
        let events = try bodies.enumerated().map { index, body in
            ReceivedEvent(
                seq: Int64(index + 1), id: "e\(index)", type: NodeEvent(body).type, occurredAt: 1_795_485_600,
                payload: String(decoding: try body.payload(), as: UTF8.self), correctedAt: 1_795_485_600,
                timeSource: "node")
        }
        let delta = MonitoringDelta(
            events: events
                + events.map {
                    var copy = $0; copy.id += "-again"; return copy
                })
        let counts = try #require(delta.usage.values.first)
        #expect(counts.views == 200_000_000 && counts.downloads == 0 && counts.seconds == 200_000_000)
        #expect(delta.completions.map(\.hours) == [100])
    }
}
