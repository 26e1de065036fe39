import Foundation
import GRDB
import SatchelCore

/// The append-only event log, with group commit: every caller's event is durably written (SQLite WAL with
/// synchronous=FULL) before it is acknowledged, and events that arrive while a commit is in progress share the next
/// transaction. That is what lets a 2xx answer promise durability while sustaining tens of thousands of events a
/// second: one fsync per batch, not per event.
///
/// Callers wait either with `await append(_:)` or, on an event loop that must not block, with
/// ``enqueue(_:completion:)``. Batches are written on one serial queue, back to back, straight through GRDB's writer;
/// no task or actor hop sits between a commit and the acknowledgements it releases.
public final class EventLog: @unchecked Sendable {
    public typealias Completion = @Sendable (Result<Int64, any Error>) -> Void

    private let database: SatchelDatabase
    private let lock = NSLock()
    private var pending: [(NodeEvent, Completion)] = []
    private var flushing = false
    private let queue = DispatchQueue(label: "satchel.event-log")
    /// The most events in one transaction.
    private let maxBatch = 4096
    /// Usage events held back so that they share one write; see ``record(_:)``.
    private var held: [NodeEvent] = []
    /// Where in `held` the time event of each page (resource and teacher) is, so that beacons add up.
    private var heldTime: [TimeKey: Int] = [:]

    private struct TimeKey: Hashable {
        var bundleId: String
        var resourceId: String
        var teacherId: UUID?

        init(_ spent: NodeEvent.TimeSpent) {
            (bundleId, resourceId, teacherId) = (spent.bundleId, spent.resourceId, spent.teacherId)
        }
    }

    /// Empties the held events; the caller holds the lock.
    private func releaseHeld() {
        held = []
        heldTime = [:]
    }
    private var holdScheduled = false
    /// How long a usage event may wait in memory for others to share its write.
    private let usageDelay: TimeInterval
    /// A write of held usage events starts early once this many wait.
    private static let maxHeld = 1024

    /// An event log writing to `database`. Usage events given to ``record(_:)`` wait up to `usageDelay` seconds in
    /// memory so that they share one transaction: on an SD card every transaction costs a WAL write and an fsync.
    public init(database: SatchelDatabase, usageDelay: TimeInterval = 0) {
        self.database = database
        self.usageDelay = usageDelay
    }

    /// Records a usage event (a view, a download, a search, time on a page) without waiting for it: it is written
    /// with the others that arrive within the log's usage delay, and time on the same page in that window is added
    /// into one event. A power cut loses at most that much usage; training and account records go through
    /// ``append(_:)`` and are on disk before their answer.
    public func record(_ event: NodeEvent) {
        guard usageDelay > 0 else {
            enqueue(event) { _ in }
            return
        }
        let (schedule, release) = lock.withLock { () -> (Bool, [NodeEvent]) in
            if case .timeSpent(let spent) = event.body, let index = heldTime[TimeKey(spent)],
                case .timeSpent(var total) = held[index].body
            {
                // Time on the same page in the same window is one event: a minute's beacons become one row.
                total.seconds += spent.seconds
                held[index].body = .timeSpent(total)
                return (false, [])
            }
            if case .timeSpent(let spent) = event.body { heldTime[TimeKey(spent)] = held.count }
            held.append(event)
            if held.count >= Self.maxHeld {
                defer { releaseHeld() }
                return (false, held)
            }
            if holdScheduled { return (false, []) }
            holdScheduled = true
            return (true, [])
        }
        for event in release { enqueue(event) { _ in } }
        if schedule {
            queue.asyncAfter(deadline: .now() + usageDelay) { [self] in
                let release = lock.withLock { () -> [NodeEvent] in
                    holdScheduled = false
                    defer { releaseHeld() }
                    return held
                }
                for event in release { enqueue(event) { _ in } }
            }
        }
    }

    /// Writes the usage events held in memory now, and returns once they, and every event given to the log before
    /// this call, are on disk. Called before a decision reads them (a module's time) and at shutdown.
    public func flush() async {
        let release = lock.withLock { () -> [NodeEvent] in
            defer { releaseHeld() }
            return held
        }
        for event in release { enqueue(event) { _ in } }
        // The queue is serial and a write drains everything pending before it returns: a block queued now runs after
        // the events above are written. Notes of recently opened resources still waiting go last.
        await withCheckedContinuation { continuation in
            queue.async {
                try? self.database.writeHeldRecentViews()
                continuation.resume()
            }
        }
    }

    /// Appends `event` and returns its sequence number once it is durably stored.
    @discardableResult
    public func append(_ event: NodeEvent) async throws -> Int64 {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(event) { continuation.resume(with: $0) }
        }
    }

    /// Appends `event`; `completion` runs on the log's queue with its sequence number once it is durably stored, or
    /// with the error that kept it from being stored.
    public func enqueue(_ event: NodeEvent, completion: @escaping Completion) {
        let startFlushing = lock.withLock {
            pending.append((event, completion))
            if flushing { return false }
            flushing = true
            return true
        }
        if startFlushing { queue.async { self.writePending() } }
    }

    private func writePending() {
        while true {
            let batch = lock.withLock { () -> [(NodeEvent, Completion)] in
                if pending.isEmpty {
                    flushing = false
                    return []
                }
                let taken = Array(pending.prefix(maxBatch))
                pending.removeFirst(taken.count)
                return taken
            }
            if batch.isEmpty { return }
            let events = batch.map(\.0)
            do {
                let notes = database.recentViewNotes.take(every: .seconds(usageDelay * 10))
                let sequences = try database.writer.write { db in
                    let sequences = try SatchelDatabase.insertBatch(events, db)
                    SatchelDatabase.writeRecentViews(notes, db)
                    return sequences
                }
                for (item, sequence) in zip(batch, sequences) { item.1(.success(sequence)) }
            } catch {
                for item in batch { item.1(.failure(error)) }
            }
        }
    }
}

extension SatchelDatabase {
    private static let insertSQL =
        "INSERT INTO event (id, type, occurredAt, payload, bootId, monotonic) VALUES (?, ?, ?, ?, ?, ?)"

    private static func insertArguments(_ event: NodeEvent, payload: String) -> StatementArguments {
        [
            event.id.uuidString.lowercased(), event.type, CivilDate.databaseText(event.occurredAt), payload,
            event.boot?.bootId, event.boot?.monotonic,
        ]
    }

    /// Writes one event and updates the derived tables in the caller's transaction.
    @discardableResult
    static func insert(_ event: NodeEvent, _ db: Database) throws -> Int64 {
        let payload = String(decoding: try event.body.payload(), as: UTF8.self)
        try db.cachedStatement(sql: insertSQL).execute(arguments: insertArguments(event, payload: payload))
        let sequence = db.lastInsertedRowID
        try applyDerived(event, db, live: true)
        return sequence
    }

    /// Writes a batch of events in the caller's transaction. Daily usage totals of the batch are summed first and
    /// written once per day and resource, instead of once per event.
    static func insertBatch(_ events: [NodeEvent], _ db: Database) throws -> [Int64] {
        var sequences: [Int64] = []
        sequences.reserveCapacity(events.count)
        var usage: [NodeEvent] = []
        let insert = try db.cachedStatement(sql: insertSQL)
        for event in events {
            let payload = String(decoding: try event.body.payload(), as: UTF8.self)
            try insert.execute(arguments: insertArguments(event, payload: payload))
            sequences.append(db.lastInsertedRowID)
            switch event.body {
            case .view(let use):
                usage.append(event)
                if let teacher = use.teacherId { try markOpened(teacher, use, at: event.occurredAt, db) }
            case .download:
                usage.append(event)
            case .timeSpent(let spent) where spent.teacherId == nil:
                usage.append(event)
            default:
                try applyDerived(event, db, live: true)
            }
        }
        for (key, total) in usageTotals(usage) {
            try addUsage(
                db, table: "usageDaily", day: key.day, bundleId: key.bundleId, resourceId: key.resourceId,
                views: total.views, downloads: total.downloads, seconds: total.seconds, bytes: total.bytes)
        }
        return sequences
    }

    /// Appends many events in one transaction (imports, tests, benchmarks).
    public func append(contentsOf events: [NodeEvent]) throws {
        try writer.write { db in _ = try Self.insertBatch(events, db) }
    }

    /// Appends one event directly, in its own transaction. Prefer ``EventLog`` under concurrent load.
    @discardableResult
    public func append(_ event: NodeEvent) throws -> Int64 {
        try writer.write { try Self.insert(event, $0) }
    }

    /// The UTC day (yyyy-MM-dd) of a date, for daily totals.
    static func day(_ date: Date) -> String {
        CivilDate.dayKey(secondsSince1970: date.timeIntervalSince1970)
    }

    /// Adds to a day's usage totals for one resource in `usageDaily` (live totals) or `usageArchive` (totals of
    /// compacted events).
    static func addUsage(
        _ db: Database, table: String, day: String, bundleId: String, resourceId: String, views: Int, downloads: Int,
        seconds: Int, bytes: Int64
    ) throws {
        precondition(table == "usageDaily" || table == "usageArchive")
        try db.cachedStatement(
            sql: """
                INSERT INTO \(table) (day, bundleId, resourceId, views, downloads, seconds, bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (day, bundleId, resourceId) DO UPDATE SET views = views + excluded.views,
                    downloads = downloads + excluded.downloads, seconds = seconds + excluded.seconds,
                    bytes = bytes + excluded.bytes
                """
        ).execute(arguments: [day, bundleId, resourceId, views, downloads, seconds, bytes])
    }

    /// Adds to a day's search count for one query in `searchDaily` (live totals) or `searchArchive` (compacted).
    static func addSearches(
        _ db: Database, table: String, day: String, query: String, searches: Int, results: Int
    ) throws {
        precondition(table == "searchDaily" || table == "searchArchive")
        try db.cachedStatement(
            sql: """
                INSERT INTO \(table) (day, query, searches, results) VALUES (?, ?, ?, ?)
                ON CONFLICT (day, query) DO UPDATE SET searches = searches + excluded.searches,
                    results = excluded.results
                """
        ).execute(arguments: [day, searchKey(query), searches, results])
    }

    /// How a query is kept in the daily totals: lower-cased, at most 200 characters.
    static func searchKey(_ query: String) -> String {
        String(query.lowercased().prefix(200))
    }

    /// Notes in `moduleProgress` when a teacher first opened a resource: the evidence a module's completion needs.
    static func markOpened(_ teacher: UUID, _ use: NodeEvent.ResourceUse, at date: Date, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO moduleProgress (teacherId, bundleId, resourceId, openedAt) VALUES (?, ?, ?, ?)
                ON CONFLICT (teacherId, bundleId, resourceId) DO UPDATE
                SET openedAt = COALESCE(openedAt, excluded.openedAt)
                """
        ).execute(arguments: [teacher.uuidString.lowercased(), use.bundleId, use.resourceId, date])
    }

    /// Updates the derived tables (daily usage, searches, enrolments, module progress) for one event.
    ///
    /// A rollup event replaces raw events that were already counted when they arrived, so it is applied only when
    /// the derived tables are rebuilt (`live` false).
    static func applyDerived(_ event: NodeEvent, _ db: Database, live: Bool) throws {
        let day = day(event.occurredAt)
        func usage(
            _ bundleId: String, _ resourceId: String, views: Int = 0, downloads: Int = 0, seconds: Int = 0,
            bytes: Int64 = 0
        ) throws {
            try addUsage(
                db, table: "usageDaily", day: day, bundleId: bundleId, resourceId: resourceId, views: views,
                downloads: downloads, seconds: seconds, bytes: bytes)
        }
        switch event.body {
        case .view(let use):
            try usage(use.bundleId, use.resourceId, views: 1, bytes: use.bytes)
            if let teacher = use.teacherId { try markOpened(teacher, use, at: event.occurredAt, db) }
        case .download(let use):
            try usage(use.bundleId, use.resourceId, downloads: 1, bytes: use.bytes)
        case .timeSpent(let spent):
            try usage(spent.bundleId, spent.resourceId, seconds: spent.seconds)
            if let teacher = spent.teacherId {
                try db.execute(
                    sql: """
                        INSERT INTO moduleProgress (teacherId, bundleId, resourceId, secondsSpent) VALUES (?, ?, ?, ?)
                        ON CONFLICT (teacherId, bundleId, resourceId) DO UPDATE
                        SET secondsSpent = secondsSpent + excluded.secondsSpent
                        """,
                    arguments: [teacher.uuidString.lowercased(), spent.bundleId, spent.resourceId, spent.seconds])
            }
        case .search(let search):
            try addSearches(
                db, table: "searchDaily", day: day, query: search.query, searches: 1, results: search.results)
        case .searchRollup(let rollup):
            if !live {
                try addSearches(
                    db, table: "searchDaily", day: rollup.day, query: rollup.query, searches: rollup.searches,
                    results: rollup.results)
            }
        case .enrol(let training):
            try db.execute(
                sql: "INSERT OR IGNORE INTO enrolment (teacherId, bundleId, enrolledAt) VALUES (?, ?, ?)",
                arguments: [training.teacherId.uuidString.lowercased(), training.bundleId, event.occurredAt])
        case .moduleCompleted(let completion):
            try db.execute(
                sql: """
                    INSERT INTO moduleProgress (teacherId, bundleId, resourceId, secondsSpent, completedAt, score,
                        creditedHours)
                    VALUES (?, ?, ?, 0, ?, ?, ?)
                    ON CONFLICT (teacherId, bundleId, resourceId) DO UPDATE
                    SET completedAt = COALESCE(completedAt, excluded.completedAt),
                        score = MAX(COALESCE(score, 0), COALESCE(excluded.score, 0)),
                        creditedHours = MAX(creditedHours, excluded.creditedHours)
                    """,
                arguments: [
                    completion.teacherId.uuidString.lowercased(), completion.bundleId, completion.resourceId,
                    event.occurredAt, completion.score, completion.creditHours,
                ])
        case .teacher:
            break
        case .usageRollup(let rollup):
            if !live {
                try addUsage(
                    db, table: "usageDaily", day: rollup.day, bundleId: rollup.bundleId, resourceId: rollup.resourceId,
                    views: rollup.views, downloads: rollup.downloads, seconds: rollup.seconds, bytes: rollup.bytes)
            }
        }
    }
}
