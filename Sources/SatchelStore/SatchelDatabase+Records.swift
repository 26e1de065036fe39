import Foundation
import GRDB
import SatchelCore

extension SatchelDatabase {
    // MARK: Teachers

    /// Creates a teacher account and records the registration event in the same transaction.
    public func addTeacher(_ teacher: TeacherRecord) throws {
        try writer.write { db in
            if try TeacherRecord.filter(Column("username") == teacher.username).fetchCount(db) > 0 {
                throw StoreError(
                    code: .conflict,
                    message: LocalizedText(
                        zh: "用户名 \(teacher.username) 已被使用，请换一个。",
                        en: "The user name \(teacher.username) is taken; choose another."))
            }
            try teacher.insert(db)
            try Self.insert(
                NodeEvent(
                    .teacher(
                        .init(
                            action: .registered, teacherId: teacher.id, teacherNumber: teacher.teacherNumber,
                            name: teacher.name))), db)
            if teacher.status == .active {
                try Self.insert(NodeEvent(.teacher(.init(action: .approved, teacherId: teacher.id))), db)
            }
        }
    }

    /// Every teacher account, pending ones first, then by name.
    public func teachers() throws -> [TeacherRecord] {
        try writer.read { try TeacherRecord.order(Column("status").desc, Column("name")).fetchAll($0) }
    }

    /// The account with this id or user name.
    public func teacher(_ idOrUsername: String) throws -> TeacherRecord? {
        try writer.read { db in
            if let id = UUID(uuidString: idOrUsername),
                let found = try TeacherRecord.fetchOne(db, key: id.uuidString.lowercased())
            {
                return found
            }
            return try TeacherRecord.filter(Column("username") == idOrUsername).fetchOne(db)
        }
    }

    /// Approves a pending account so that it can log in.
    @discardableResult
    public func approveTeacher(id: UUID, at date: Date = Date()) throws -> Bool {
        try writer.write { db in
            guard var teacher = try TeacherRecord.fetchOne(db, key: id.uuidString.lowercased()),
                teacher.status == .pending
            else {
                return false
            }
            teacher.status = .active
            teacher.approvedAt = date
            try teacher.update(db)
            try Self.insert(NodeEvent(occurredAt: date, .teacher(.init(action: .approved, teacherId: id))), db)
            return true
        }
    }

    /// Deletes a teacher's account, sessions and personal data. Training totals stay as anonymous counts.
    @discardableResult
    public func removeTeacher(id: UUID) throws -> Bool {
        recentViewNotes.discard(teacherKey: id.uuidString.lowercased())
        return try writer.write { db in
            guard try TeacherRecord.deleteOne(db, key: id.uuidString.lowercased()) else { return false }
            let key = id.uuidString.lowercased()
            try db.execute(sql: "DELETE FROM session WHERE teacherId = ?", arguments: [key])
            try db.execute(sql: "DELETE FROM enrolment WHERE teacherId = ?", arguments: [key])
            try db.execute(sql: "DELETE FROM moduleProgress WHERE teacherId = ?", arguments: [key])
            try Self.deleteTeacherTools(db, teacherKey: key)
            // The name and number in the local log go too; the platform learns of the removal by the event below.
            try db.execute(
                sql: """
                    UPDATE event SET payload = json_remove(payload, '$.name', '$.teacherNumber')
                    WHERE type = 'teacher' AND json_extract(payload, '$.teacherId') = ?
                    """,
                arguments: [id.uuidString])
            try Self.insert(NodeEvent(.teacher(.init(action: .removed, teacherId: id))), db)
            return true
        }
    }

    /// Sets a teacher's password hash and ends the teacher's sessions. Returns false when there is no such account.
    @discardableResult
    public func setPassword(teacherId: UUID, passwordHash: String) throws -> Bool {
        try writer.write { db in
            let key = teacherId.uuidString.lowercased()
            try db.execute(sql: "UPDATE teacher SET passwordHash = ? WHERE id = ?", arguments: [passwordHash, key])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "DELETE FROM session WHERE teacherId = ?", arguments: [key])
            return true
        }
    }

    // MARK: Sessions

    /// Stores a new session.
    public func createSession(_ session: SessionRecord) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM session WHERE expiresAt < ?", arguments: [session.createdAt])
            try session.insert(db)
        }
    }

    /// The live session and its teacher for a token hash, or nil when unknown, expired or the account is not active.
    public func session(tokenHash: String, now: Date = Date()) throws -> (SessionRecord, TeacherRecord)? {
        try writer.read { db in
            guard let session = try SessionRecord.fetchOne(db, key: tokenHash), session.expiresAt > now,
                let teacher = try TeacherRecord.fetchOne(db, key: session.teacherId.uuidString.lowercased()),
                teacher.status == .active
            else { return nil }
            return (session, teacher)
        }
    }

    /// Ends a session.
    public func deleteSession(tokenHash: String) throws {
        try writer.write { _ = try SessionRecord.deleteOne($0, key: tokenHash) }
    }

    // MARK: Training

    /// The courses a teacher is enrolled in, with when.
    public func enrolments(teacherId: UUID) throws -> [(bundleId: String, enrolledAt: Date)] {
        try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT bundleId, enrolledAt FROM enrolment WHERE teacherId = ? ORDER BY enrolledAt",
                arguments: [teacherId.uuidString.lowercased()]
            )
            .map { ($0["bundleId"], $0["enrolledAt"]) }
        }
    }

    /// A teacher's progress in every module they have touched.
    public func progress(teacherId: UUID) throws -> [ModuleProgressRecord] {
        try writer.read { db in
            try ModuleProgressRecord.fetchAll(
                db, sql: "SELECT * FROM moduleProgress WHERE teacherId = ? ORDER BY bundleId, resourceId",
                arguments: [teacherId.uuidString.lowercased()])
        }
    }

    // MARK: Backlog, compaction and rollup

    /// The sequence number up to which the platform has acknowledged events.
    public func acknowledgedSequence() throws -> Int64 {
        try counter("ackedSequence")
    }

    /// Records the platform's acknowledged cursor; it never moves backwards.
    public func setAcknowledgedSequence(_ sequence: Int64) throws {
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO syncState (key, value) VALUES ('ackedSequence', ?)
                    ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))
                    """,
                arguments: [String(sequence)])
        }
    }

    /// A value kept in `syncState`, or nil.
    public func syncValue(_ key: String) throws -> String? {
        try writer.read { try String.fetchOne($0, sql: "SELECT value FROM syncState WHERE key = ?", arguments: [key]) }
    }

    /// The values kept in `syncState` under `keys`, read together; keys without a value are absent.
    public func syncValues(_ keys: [String]) throws -> [String: String] {
        try writer.read { db in
            var values: [String: String] = [:]
            for key in keys {
                values[key] = try String.fetchOne(
                    db, sql: "SELECT value FROM syncState WHERE key = ?", arguments: [key])
            }
            return values
        }
    }

    /// Sets (or with nil, removes) a value in `syncState`.
    public func setSyncValue(_ key: String, _ value: String?) throws {
        try setSyncValues([(key, value)])
    }

    /// Sets (or with nil, removes) several values in `syncState` in one transaction.
    public func setSyncValues(_ values: [(key: String, value: String?)]) throws {
        try writer.write { db in
            for (key, value) in values {
                if let value {
                    try db.execute(
                        sql:
                            "INSERT INTO syncState (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        arguments: [key, value])
                } else {
                    try db.execute(sql: "DELETE FROM syncState WHERE key = ?", arguments: [key])
                }
            }
        }
    }

    /// Up to `limit` events of the log with a sequence above `after`, oldest first, as stored.
    public func storedEvents(after: Int64, limit: Int) throws -> [StoredEvent] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, id, type, occurredAt, payload, bootId, monotonic FROM event
                    WHERE seq > ? ORDER BY seq LIMIT ?
                    """,
                arguments: [after, limit]
            ).map { row in
                var boot: BootInstant?
                if let bootId = row["bootId"] as String?, let monotonic = row["monotonic"] as Double? {
                    boot = BootInstant(bootId: bootId, monotonic: monotonic)
                }
                return StoredEvent(
                    sequence: row["seq"], id: row["id"], type: row["type"], occurredAt: row["occurredAt"],
                    payload: row["payload"], boot: boot)
            }
        }
    }

    /// Makes sure new events are numbered after `sequence`: for a node restored from a backup older than what the
    /// platform has already received.
    public func reserveSequences(through sequence: Int64) throws {
        try writer.write { db in
            let current = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM event") ?? 0
            guard sequence > current else { return }
            // AUTOINCREMENT continues after the highest number sqlite_sequence remembers.
            try db.execute(
                sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = 'event' AND seq < ?",
                arguments: [sequence, sequence])
            if db.changesCount == 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'event'") == 0
            {
                try db.execute(
                    sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('event', ?)", arguments: [sequence])
            }
        }
    }

    /// Events written but not yet acknowledged by the platform.
    public func pendingEventCount() throws -> Int {
        let acknowledged = try acknowledgedSequence()
        return try writer.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM event WHERE seq > ?", arguments: [acknowledged]) ?? 0
        }
    }

    /// A value kept in `syncState` as an integer (counters for `satchel status`).
    public func counter(_ key: String) throws -> Int64 {
        try writer.read {
            try Int64.fetchOne($0, sql: "SELECT CAST(value AS INTEGER) FROM syncState WHERE key = ?", arguments: [key])
                ?? 0
        }
    }

    /// What ``compact(olderThan:maxPendingUsageEvents:)`` did.
    public struct CompactionReport: Sendable, Equatable {
        /// Acknowledged usage events deleted after their totals were archived.
        public var compacted: Int
        /// Unsynced usage events replaced by daily rollup events.
        public var rolledUp: Int
        /// Rollup events written in their place.
        public var rollups: Int
    }

    /// Keeps the log bounded. Acknowledged usage events older than `olderThan` are folded into `usageArchive` and
    /// deleted. When more than `maxPendingUsageEvents` usage events wait for the platform, the oldest days are
    /// replaced by one rollup event per day and resource, which the platform receives instead. Training records are
    /// never touched.
    @discardableResult
    public func compact(olderThan cutoff: Date, maxPendingUsageEvents: Int) throws -> CompactionReport {
        // Usage only: views, downloads, searches, and time spent by nobody logged in (a teacher's time is training).
        let usageCondition = """
            type IN ('view', 'download', 'search', 'timeSpent')
            AND NOT (type = 'timeSpent' AND json_extract(payload, '$.teacherId') IS NOT NULL)
            """
        return try writer.write { db in
            let acknowledged =
                try Int64.fetchOne(
                    db, sql: "SELECT CAST(value AS INTEGER) FROM syncState WHERE key = 'ackedSequence'") ?? 0
            var report = CompactionReport(compacted: 0, rolledUp: 0, rollups: 0)
            let old = try Self.usageEvents(
                db, where: "seq <= ? AND occurredAt < ? AND \(usageCondition)",
                arguments: [acknowledged, cutoff])
            for event in old {
                guard case .search(let search) = event.body else { continue }
                try Self.addSearches(
                    db, table: "searchArchive", day: Self.day(event.occurredAt), query: search.query, searches: 1,
                    results: search.results)
            }
            for (key, totals) in Self.usageTotals(old) {
                try Self.addUsage(
                    db, table: "usageArchive", day: key.day, bundleId: key.bundleId, resourceId: key.resourceId,
                    views: totals.views, downloads: totals.downloads, seconds: totals.seconds, bytes: totals.bytes)
            }
            try db.execute(
                sql: "DELETE FROM event WHERE seq <= ? AND occurredAt < ? AND \(usageCondition)",
                arguments: [acknowledged, cutoff])
            report.compacted = db.changesCount
            // Rollups the platform has acknowledged go the same way once old: their totals into the archive.
            let oldRollups = try Self.usageEvents(
                db, where: "seq <= ? AND occurredAt < ? AND type IN ('usageRollup', 'searchRollup')",
                arguments: [acknowledged, cutoff])
            for event in oldRollups {
                switch event.body {
                case .usageRollup(let rollup):
                    try Self.addUsage(
                        db, table: "usageArchive", day: rollup.day, bundleId: rollup.bundleId,
                        resourceId: rollup.resourceId, views: rollup.views, downloads: rollup.downloads,
                        seconds: rollup.seconds, bytes: rollup.bytes)
                case .searchRollup(let rollup):
                    try Self.addSearches(
                        db, table: "searchArchive", day: rollup.day, query: rollup.query, searches: rollup.searches,
                        results: rollup.results)
                default:
                    break
                }
            }
            try db.execute(
                sql: """
                    DELETE FROM event WHERE seq <= ? AND occurredAt < ? AND type IN ('usageRollup', 'searchRollup')
                    """,
                arguments: [acknowledged, cutoff])
            report.compacted += db.changesCount

            let rollable = """
                type IN ('view', 'download', 'timeSpent', 'search')
                AND NOT (type = 'timeSpent' AND json_extract(payload, '$.teacherId') IS NOT NULL)
                """
            let pending =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM event WHERE seq > ? AND \(rollable)", arguments: [acknowledged]) ?? 0
            if pending > maxPendingUsageEvents {
                // Roll up whole days, oldest first, until the backlog is under half the cap.
                let days = try String.fetchAll(
                    db,
                    sql: """
                        SELECT DISTINCT date(occurredAt) FROM event WHERE seq > ? AND \(rollable) ORDER BY 1
                        """,
                    arguments: [acknowledged])
                var remaining = pending
                for day in days where remaining > maxPendingUsageEvents / 2 {
                    let condition = "seq > ? AND \(rollable) AND date(occurredAt) = ?"
                    let rows = try Self.usageEvents(db, where: condition, arguments: [acknowledged, day])
                    try db.execute(sql: "DELETE FROM event WHERE \(condition)", arguments: [acknowledged, day])
                    remaining -= rows.count
                    report.rolledUp += rows.count
                    for (key, totals) in Self.usageTotals(rows) {
                        let rollup = NodeEvent.Rollup(
                            day: key.day, bundleId: key.bundleId, resourceId: key.resourceId, views: totals.views,
                            downloads: totals.downloads, seconds: totals.seconds, bytes: totals.bytes,
                            events: totals.events)
                        try Self.insert(
                            NodeEvent(occurredAt: rows.first?.occurredAt ?? Date(), .usageRollup(rollup)), db)
                        report.rollups += 1
                    }
                    for rollup in Self.searchTotals(rows) {
                        try Self.insert(
                            NodeEvent(occurredAt: rows.first?.occurredAt ?? Date(), .searchRollup(rollup)), db)
                        report.rollups += 1
                    }
                }
            }
            for (key, value) in [("compactedEvents", report.compacted), ("rolledUpEvents", report.rolledUp)]
            where value > 0 {
                try db.execute(
                    sql: """
                        INSERT INTO syncState (key, value) VALUES (?, ?)
                        ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER)
                        """,
                    arguments: [key, String(value)])
            }
            return report
        }
    }

    /// Recomputes every derived table (daily usage, searches, enrolments, module progress) from the archive of
    /// compacted totals and the events, and returns how many events were replayed.
    @discardableResult
    public func rebuildDerivedTables() throws -> Int {
        try writer.write { db in
            for table in ["usageDaily", "searchDaily", "enrolment", "moduleProgress"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            try db.execute(sql: "INSERT INTO usageDaily SELECT * FROM usageArchive")
            try db.execute(sql: "INSERT INTO searchDaily SELECT * FROM searchArchive")
            var count = 0
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM event ORDER BY seq")
            while let row = try cursor.next() {
                let body = try NodeEvent.Body(type: row["type"], payload: Data((row["payload"] as String).utf8))
                let event = NodeEvent(id: UUID(uuidString: row["id"]) ?? UUID(), occurredAt: row["occurredAt"], body)
                try Self.applyDerived(event, db, live: false)
                count += 1
            }
            return count
        }
    }

    struct UsageKey: Hashable {
        var day: String
        var bundleId: String
        var resourceId: String
    }

    struct UsageTotals {
        var views = 0
        var downloads = 0
        var seconds = 0
        var bytes: Int64 = 0
        var events = 0
    }

    private static func usageEvents(
        _ db: Database, where condition: String, arguments: StatementArguments
    ) throws
        -> [NodeEvent]
    {
        try Row.fetchAll(db, sql: "SELECT * FROM event WHERE \(condition) ORDER BY seq", arguments: arguments)
            .compactMap {
                guard let body = try? NodeEvent.Body(type: $0["type"], payload: Data(($0["payload"] as String).utf8))
                else {
                    return nil
                }
                return NodeEvent(id: UUID(uuidString: $0["id"]) ?? UUID(), occurredAt: $0["occurredAt"], body)
            }
    }

    /// Daily totals per query of search events, in the order the queries first appear; other events are ignored.
    static func searchTotals(_ events: [NodeEvent]) -> [NodeEvent.SearchRollup] {
        var result: [NodeEvent.SearchRollup] = []
        var index: [String: Int] = [:]
        for event in events {
            guard case .search(let search) = event.body else { continue }
            let day = day(event.occurredAt)
            let query = searchKey(search.query)
            let key = day + "\u{0}" + query
            if let at = index[key] {
                result[at].searches += 1
                result[at].results = search.results
            } else {
                index[key] = result.count
                result.append(.init(day: day, query: query, searches: 1, results: search.results))
            }
        }
        return result
    }

    /// Daily totals per resource of view, download and time-spent events; other events are ignored.
    static func usageTotals(_ events: [NodeEvent]) -> [UsageKey: UsageTotals] {
        var result: [UsageKey: UsageTotals] = [:]
        for event in events {
            let day = day(event.occurredAt)
            switch event.body {
            case .view(let use):
                result[UsageKey(day: day, bundleId: use.bundleId, resourceId: use.resourceId), default: .init()]
                    .views += 1
                result[UsageKey(day: day, bundleId: use.bundleId, resourceId: use.resourceId)]!.bytes += use.bytes
                result[UsageKey(day: day, bundleId: use.bundleId, resourceId: use.resourceId)]!.events += 1
            case .download(let use):
                result[UsageKey(day: day, bundleId: use.bundleId, resourceId: use.resourceId), default: .init()]
                    .downloads += 1
                result[UsageKey(day: day, bundleId: use.bundleId, resourceId: use.resourceId)]!.bytes += use.bytes
                result[UsageKey(day: day, bundleId: use.bundleId, resourceId: use.resourceId)]!.events += 1
            case .timeSpent(let spent):
                result[UsageKey(day: day, bundleId: spent.bundleId, resourceId: spent.resourceId), default: .init()]
                    .seconds += spent.seconds
                result[UsageKey(day: day, bundleId: spent.bundleId, resourceId: spent.resourceId)]!.events += 1
            default:
                break
            }
        }
        return result
    }
}
