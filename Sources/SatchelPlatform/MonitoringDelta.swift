import Foundation
import SatchelCore

/// What one batch's newly stored events add to the monitoring aggregates of their node: weekly usage per resource,
/// searches that found nothing, completed training modules, teachers, and how far the node's wall clock is off.
///
/// Both stores build it from the events a batch actually inserted (never from duplicates) and apply it in the same
/// transaction, so the aggregates count every event exactly once, as the raw events are stored. Rollups count as the
/// events they replace: a node rolls up only events it has not had acknowledged, and the platform gets either the raw
/// events or their rollup, not both (docs/protocol.md §8).
public struct MonitoringDelta: Sendable, Equatable {
    /// One resource in one week.
    public struct UsageKey: Hashable, Sendable {
        /// The Monday the week starts on (``MonitoringDelta/week(of:)``), "" when the time is not known.
        public var week: String
        public var bundleId: String
        public var resourceId: String
    }

    /// Views, downloads and seconds spent.
    public struct UsageCounts: Equatable, Sendable {
        public var views = 0
        public var downloads = 0
        public var seconds = 0
    }

    /// A query that found nothing, in one week.
    public struct SearchKey: Hashable, Sendable {
        public var week: String
        /// Trimmed, lower-cased, with runs of white space as one space, at most 200 characters.
        public var query: String
    }

    /// A completed training module.
    public struct Completion: Hashable, Sendable {
        public var teacherId: String
        public var bundleId: String
        public var resourceId: String
        /// The calendar year in Beijing time it was completed in, 0 when the time is not known.
        public var year: Int
        public var hours: Double
    }

    /// What the node told about a teacher, the latest values of the batch.
    public struct Teacher: Equatable, Sendable {
        public var name: String?
        public var number: String?
        public var removed: Bool
    }

    /// Usage per resource and week.
    public var usage: [UsageKey: UsageCounts] = [:]
    /// Searches that found nothing, per query and week.
    public var unansweredSearches: [SearchKey: Int] = [:]
    /// Completed modules, once each (a teacher completes a module once; a repeat adds nothing).
    public var completions: [Completion] = []
    /// Teachers registered, approved or removed, by teacher id.
    public var teachers: [String: Teacher] = [:]
    /// The node's wall clock minus the true time, in seconds, at its latest event that carries a correction learned
    /// from the platform or from phones; nil when no event of the batch does.
    public var clockOffset: Double?

    /// The aggregates added by `events` (those a batch stored, in any order). Events whose payload cannot be read add
    /// nothing.
    public init(events: [ReceivedEvent]) {
        // One completion per teacher and module: the first of the batch (by sequence) is the one kept.
        var completedModules = Set<[String]>()
        var offsetSequence = Int64.min
        for event in events.sorted(by: { $0.seq < $1.seq }) {
            if let corrected = event.correctedAt, event.timeSource == "platform" || event.timeSource == "phones",
                event.seq > offsetSequence
            {
                clockOffset = event.occurredAt - corrected
                offsetSequence = event.seq
            }
            guard let body = try? NodeEvent.Body(type: event.type, payload: Data(event.payload.utf8)) else { continue }
            let week = event.correctedAt.map(Self.week(of:)) ?? ""
            switch body {
            case .view(let use):
                usage[UsageKey(week: week, bundleId: use.bundleId, resourceId: use.resourceId), default: .init()]
                    .views += 1
            case .download(let use):
                usage[UsageKey(week: week, bundleId: use.bundleId, resourceId: use.resourceId), default: .init()]
                    .downloads += 1
            case .timeSpent(let spent):
                usage[UsageKey(week: week, bundleId: spent.bundleId, resourceId: spent.resourceId), default: .init()]
                    .seconds += Self.bounded(spent.seconds)
            case .usageRollup(let rollup):
                var counts = usage[
                    UsageKey(week: week, bundleId: rollup.bundleId, resourceId: rollup.resourceId), default: .init()]
                counts.views += Self.bounded(rollup.views)
                counts.downloads += Self.bounded(rollup.downloads)
                counts.seconds += Self.bounded(rollup.seconds)
                usage[UsageKey(week: week, bundleId: rollup.bundleId, resourceId: rollup.resourceId)] = counts
            case .search(let search) where search.results == 0:
                addUnanswered(search.query, week: week, searches: 1)
            case .searchRollup(let rollup) where rollup.results == 0:
                // A rollup keeps the result count of the day's last search for the query: all its searches count.
                addUnanswered(rollup.query, week: week, searches: Self.bounded(rollup.searches))
            case .moduleCompleted(let completion) where completion.creditHours.isFinite:
                let teacher = completion.teacherId.uuidString.lowercased()
                guard completedModules.insert([teacher, completion.bundleId, completion.resourceId]).inserted else {
                    continue
                }
                completions.append(
                    Completion(
                        teacherId: teacher, bundleId: completion.bundleId, resourceId: completion.resourceId,
                        year: event.correctedAt.map(Self.year(of:)) ?? 0,
                        hours: min(max(0, completion.creditHours), Self.maxCreditHours)))
            case .teacher(let change):
                let id = change.teacherId.uuidString.lowercased()
                var teacher = teachers[id] ?? Teacher(removed: false)
                teacher.name = change.name ?? teacher.name
                teacher.number = change.teacherNumber ?? teacher.number
                teacher.removed = change.action == .removed
                teachers[id] = teacher
            default:
                break
            }
        }
    }

    /// Whether the batch adds nothing to the aggregates.
    public var isEmpty: Bool {
        usage.isEmpty && unansweredSearches.isEmpty && completions.isEmpty && teachers.isEmpty && clockOffset == nil
    }

    private mutating func addUnanswered(_ query: String, week: String, searches: Int) {
        let normalized = Self.normalizedQuery(query)
        guard !normalized.isEmpty, searches > 0 else { return }
        unansweredSearches[SearchKey(week: week, query: normalized), default: 0] += searches
    }

    /// The most one event may add to a count or to seconds: no school makes more in a day, and a node's figures (it
    /// is trusted only for its own school) cannot overflow the totals.
    static let maxCount = 100_000_000
    /// The most credit hours one module may bring.
    static let maxCreditHours = 100.0

    /// A count from a node, within 0 and ``maxCount``.
    static func bounded(_ count: Int) -> Int { min(max(0, count), maxCount) }

    /// A query as it is counted: trimmed, lower-cased, runs of white space as one space, at most 200 characters.
    public static func normalizedQuery(_ query: String) -> String {
        String(query.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ").prefix(200))
    }

    /// Beijing time (UTC+8, no daylight saving), in which weeks and years are counted: China has one time zone.
    static let beijingOffset: Double = 8 * 3600

    /// The week of an instant (seconds since 1970): the date of its Monday in Beijing time, `yyyy-MM-dd`.
    public static func week(of time: Double) -> String {
        let day = Int64(floor((time + beijingOffset) / 86_400))
        // 1970-01-01 was a Thursday: three days after a Monday.
        let monday = day - ((day % 7 + 7 + 3) % 7)
        return CivilDate.dayKey(secondsSince1970: Double(monday) * 86_400)
    }

    /// The calendar year of an instant in Beijing time.
    public static func year(of time: Double) -> Int {
        Int(CivilDate.date(days: Int64(floor((time + beijingOffset) / 86_400))).year)
    }
}
