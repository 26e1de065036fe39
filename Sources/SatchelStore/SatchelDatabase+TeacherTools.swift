import Foundation
import GRDB
import Synchronization

/// A teacher's own lists: favourites (收藏), recently opened resources (最近浏览) and lesson plans (备课篮), each a list
/// of resources kept on the node for that teacher only. A resource that left the catalog (its bundle removed, or a
/// new version without it) drops out of the lists when they are read, and comes back if it returns.
extension SatchelDatabase {
    /// How many resources a teacher's 最近浏览 keeps.
    public static let recentViewsKept = 30
    /// The most favourites a teacher may keep.
    public static let maxFavourites = 500
    /// The most lesson plans a teacher may keep.
    public static let maxLessonPlans = 50
    /// The most resources one lesson plan may hold.
    public static let maxLessonPlanItems = 40

    // MARK: Favourites

    /// Whether `teacherId` keeps the resource among their favourites.
    public func isFavourite(teacherId: UUID, bundleId: String, resourceId: String) throws -> Bool {
        try writer.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM favourite WHERE teacherId = ? AND bundleId = ? AND resourceId = ?",
                arguments: [Self.key(teacherId), bundleId, resourceId]) ?? false
        }
    }

    /// Adds a resource to or removes it from a teacher's favourites. Returns false when adding would pass
    /// ``maxFavourites`` (nothing is changed then).
    @discardableResult
    public func setFavourite(
        _ favourite: Bool, teacherId: UUID, bundleId: String, resourceId: String, at date: Date = Date()
    ) throws -> Bool {
        try writer.write { db in
            let key = Self.key(teacherId)
            guard favourite else {
                try db.execute(
                    sql: "DELETE FROM favourite WHERE teacherId = ? AND bundleId = ? AND resourceId = ?",
                    arguments: [key, bundleId, resourceId])
                return true
            }
            let count = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM favourite WHERE teacherId = ?", arguments: [key])
            guard (count ?? 0) < Self.maxFavourites else { return false }
            try db.execute(
                sql: """
                    INSERT INTO favourite (teacherId, bundleId, resourceId, createdAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT DO NOTHING
                    """,
                arguments: [key, bundleId, resourceId, date])
            return true
        }
    }

    /// A teacher's favourites still in the catalog, the latest first.
    public func favourites(teacherId: UUID, limit: Int = maxFavourites) throws -> [ResourceRecord] {
        try writer.read { db in
            try ResourceRecord.fetchAll(
                db,
                sql: """
                    SELECT resource.* FROM favourite
                    JOIN resource ON resource.bundleId = favourite.bundleId AND resource.id = favourite.resourceId
                    WHERE favourite.teacherId = ? ORDER BY favourite.createdAt DESC LIMIT ?
                    """,
                arguments: [Self.key(teacherId), limit])
        }
    }

    // MARK: Recently opened

    /// Notes that a teacher opened a resource's page; only the latest ``recentViewsKept`` are kept.
    ///
    /// Nothing is written here: the note waits in memory (``RecentViewNotes``) and is written in the transaction of
    /// one of the event log's writes, at most every ten usage delays (ten minutes by default) while teachers use the
    /// node, or before the list is read, or at a graceful stop. On an SD card every transaction costs a WAL write and
    /// an fsync, and every write touches the list's pages: a write per page opened made a school day write 71 MB
    /// instead of 48, and the notes in every usage write still 58. A power cut may lose the last ten minutes of this
    /// convenience list; it is not a record.
    public func noteRecentView(teacherId: UUID, bundleId: String, resourceId: String, at date: Date = Date()) {
        recentViewNotes.note(teacherKey: Self.key(teacherId), bundleId: bundleId, resourceId: resourceId, at: date)
    }

    /// Writes the held notes of recently opened resources in the caller's transaction. Each statement stands on its
    /// own: a failure here never undoes the events written beside it.
    static func writeRecentViews(_ notes: [RecentViewNotes.Note], _ db: Database) {
        for note in notes {
            try? db.execute(
                sql: """
                    INSERT INTO recentView (teacherId, bundleId, resourceId, viewedAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT (teacherId, bundleId, resourceId) DO UPDATE SET viewedAt = excluded.viewedAt
                    WHERE excluded.viewedAt > recentView.viewedAt
                    """,
                arguments: [note.teacherKey, note.bundleId, note.resourceId, note.date])
        }
        for teacherKey in Set(notes.map(\.teacherKey)) {
            try? db.execute(
                sql: """
                    DELETE FROM recentView WHERE teacherId = ?1 AND rowid NOT IN
                    (SELECT rowid FROM recentView WHERE teacherId = ?1 ORDER BY viewedAt DESC LIMIT ?2)
                    """,
                arguments: [teacherKey, Self.recentViewsKept])
        }
    }

    /// Writes the held notes of recently opened resources now, in a transaction of their own; nothing when none wait.
    public func writeHeldRecentViews() throws {
        let notes = recentViewNotes.take()
        guard !notes.isEmpty else { return }
        try writer.write { db in Self.writeRecentViews(notes, db) }
    }

    /// The resources a teacher opened lately, the latest first, with when.
    public func recentViews(teacherId: UUID, limit: Int = recentViewsKept) throws -> [(ResourceRecord, Date)] {
        try writeHeldRecentViews()
        return try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT resource.*, recentView.viewedAt AS viewedAt FROM recentView
                    JOIN resource ON resource.bundleId = recentView.bundleId AND resource.id = recentView.resourceId
                    WHERE recentView.teacherId = ? ORDER BY recentView.viewedAt DESC LIMIT ?
                    """,
                arguments: [Self.key(teacherId), limit]
            ).map { (try ResourceRecord(row: $0), $0["viewedAt"]) }
        }
    }

    // MARK: Lesson plans

    /// A teacher's lesson plans, the latest changed first.
    public func lessonPlans(teacherId: UUID) throws -> [LessonPlanRecord] {
        try writer.read { db in
            try LessonPlanRecord.fetchAll(
                db,
                sql: """
                    SELECT lessonPlan.*, (SELECT COUNT(*) FROM lessonPlanItem WHERE lessonPlanId = lessonPlan.id)
                    AS itemCount FROM lessonPlan WHERE teacherId = ? ORDER BY updatedAt DESC, id DESC
                    """,
                arguments: [Self.key(teacherId)])
        }
    }

    /// One of a teacher's lesson plans with its resources in order, or nil when the teacher has no such plan.
    /// Items whose resource left the catalog come with a nil resource, so that the teacher can see and remove them.
    public func lessonPlan(id: Int64, teacherId: UUID) throws -> (LessonPlanRecord, [LessonPlanItem])? {
        try writer.read { db in
            guard
                let plan = try LessonPlanRecord.fetchOne(
                    db,
                    sql: """
                        SELECT lessonPlan.*, (SELECT COUNT(*) FROM lessonPlanItem WHERE lessonPlanId = lessonPlan.id)
                        AS itemCount FROM lessonPlan WHERE id = ? AND teacherId = ?
                        """,
                    arguments: [id, Self.key(teacherId)])
            else { return nil }
            let items = try Row.fetchAll(
                db,
                sql: """
                    SELECT item.position AS itemPosition, item.bundleId AS itemBundleId,
                    item.resourceId AS itemResourceId, resource.* FROM lessonPlanItem AS item
                    LEFT JOIN resource ON resource.bundleId = item.bundleId AND resource.id = item.resourceId
                    WHERE item.lessonPlanId = ? ORDER BY item.position
                    """,
                arguments: [id]
            ).map { row in
                try LessonPlanItem(
                    position: row["itemPosition"], bundleId: row["itemBundleId"], resourceId: row["itemResourceId"],
                    resource: (row["id"] as String?) == nil ? nil : try ResourceRecord(row: row))
            }
            return (plan, items)
        }
    }

    /// Makes a lesson plan for a teacher and returns it, or nil when the teacher has ``maxLessonPlans`` already.
    public func createLessonPlan(
        teacherId: UUID, title: String, className: String?, at date: Date = Date()
    ) throws -> LessonPlanRecord? {
        try writer.write { db in
            let key = Self.key(teacherId)
            let count = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM lessonPlan WHERE teacherId = ?", arguments: [key])
            guard (count ?? 0) < Self.maxLessonPlans else { return nil }
            try db.execute(
                sql: """
                    INSERT INTO lessonPlan (teacherId, title, className, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [key, title, className, date, date])
            return LessonPlanRecord(
                id: db.lastInsertedRowID, teacherId: teacherId, title: title, className: className, createdAt: date,
                updatedAt: date, itemCount: 0)
        }
    }

    /// Deletes one of a teacher's lesson plans; false when the teacher has no such plan.
    @discardableResult
    public func deleteLessonPlan(id: Int64, teacherId: UUID) throws -> Bool {
        try writer.write { db in
            try db.execute(
                sql: "DELETE FROM lessonPlan WHERE id = ? AND teacherId = ?", arguments: [id, Self.key(teacherId)])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "DELETE FROM lessonPlanItem WHERE lessonPlanId = ?", arguments: [id])
            return true
        }
    }

    /// What a change to a lesson plan's list did.
    public enum LessonPlanChange: Sendable, Equatable {
        /// The list changed.
        case changed
        /// The teacher has no such plan (or no such item in it).
        case notFound
        /// The plan holds ``SatchelDatabase/maxLessonPlanItems`` resources already.
        case full
    }

    /// Puts a resource at the end of one of a teacher's lesson plans. A resource already in the plan stays where it
    /// is (answered as changed: it is in the plan).
    public func addToLessonPlan(
        id: Int64, teacherId: UUID, bundleId: String, resourceId: String, at date: Date = Date()
    ) throws -> LessonPlanChange {
        try writer.write { db in
            guard try Self.ownsLessonPlan(db, id: id, teacherId: teacherId) else { return .notFound }
            let present = try Bool.fetchOne(
                db, sql: "SELECT 1 FROM lessonPlanItem WHERE lessonPlanId = ? AND bundleId = ? AND resourceId = ?",
                arguments: [id, bundleId, resourceId])
            if present == true { return .changed }
            let count = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM lessonPlanItem WHERE lessonPlanId = ?", arguments: [id])
            guard (count ?? 0) < Self.maxLessonPlanItems else { return .full }
            try db.execute(
                sql: """
                    INSERT INTO lessonPlanItem (lessonPlanId, position, bundleId, resourceId)
                    VALUES (?1, (SELECT COALESCE(MAX(position), 0) + 1 FROM lessonPlanItem WHERE lessonPlanId = ?1),
                    ?2, ?3)
                    """,
                arguments: [id, bundleId, resourceId])
            try Self.touchLessonPlan(db, id: id, at: date)
            return .changed
        }
    }

    /// Moves the item at `position` of a lesson plan one place earlier (`by: -1`) or later (`by: 1`), or removes it
    /// (`by: nil`). Positions stay 1, 2, 3… in order.
    public func changeLessonPlanItem(
        id: Int64, teacherId: UUID, position: Int, moveBy offset: Int?, at date: Date = Date()
    ) throws -> LessonPlanChange {
        try writer.write { db in
            guard try Self.ownsLessonPlan(db, id: id, teacherId: teacherId) else { return .notFound }
            var order = try Row.fetchAll(
                db,
                sql:
                    "SELECT position, bundleId, resourceId FROM lessonPlanItem WHERE lessonPlanId = ? ORDER BY position",
                arguments: [id]
            ).map {
                (
                    position: $0["position"] as Int, bundleId: $0["bundleId"] as String,
                    resourceId: $0["resourceId"] as String
                )
            }
            guard let index = order.firstIndex(where: { $0.position == position }) else { return .notFound }
            if let offset {
                let target = index + (offset < 0 ? -1 : 1)
                guard order.indices.contains(target) else { return .changed }
                order.swapAt(index, target)
            } else {
                order.remove(at: index)
            }
            try db.execute(sql: "DELETE FROM lessonPlanItem WHERE lessonPlanId = ?", arguments: [id])
            for (number, item) in order.enumerated() {
                try db.execute(
                    sql:
                        "INSERT INTO lessonPlanItem (lessonPlanId, position, bundleId, resourceId) VALUES (?, ?, ?, ?)",
                    arguments: [id, number + 1, item.bundleId, item.resourceId])
            }
            try Self.touchLessonPlan(db, id: id, at: date)
            return .changed
        }
    }

    private static func ownsLessonPlan(_ db: Database, id: Int64, teacherId: UUID) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT 1 FROM lessonPlan WHERE id = ? AND teacherId = ?", arguments: [id, key(teacherId)])
            ?? false
    }

    private static func touchLessonPlan(_ db: Database, id: Int64, at date: Date) throws {
        try db.execute(sql: "UPDATE lessonPlan SET updatedAt = ? WHERE id = ?", arguments: [date, id])
    }

    /// A teacher id as the tables store it.
    static func key(_ teacherId: UUID) -> String { teacherId.uuidString.lowercased() }

    /// The tables of ``favourites(teacherId:limit:)``, ``recentViews(teacherId:limit:)`` and the lesson plans.
    static func createTeacherTools(_ db: Database) throws {
        for table in ["favourite", "recentView"] {
            try db.create(table: table) { t in
                t.column("teacherId", .text).notNull()
                t.column("bundleId", .text).notNull()
                t.column("resourceId", .text).notNull()
                t.column(table == "favourite" ? "createdAt" : "viewedAt", .datetime).notNull()
                t.primaryKey(["teacherId", "bundleId", "resourceId"])
            }
        }
        try db.create(table: "lessonPlan") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("teacherId", .text).notNull().indexed()
            t.column("title", .text).notNull()
            t.column("className", .text)
            t.column("createdAt", .datetime).notNull()
            t.column("updatedAt", .datetime).notNull()
        }
        try db.create(table: "lessonPlanItem") { t in
            t.column("lessonPlanId", .integer).notNull()
            t.column("position", .integer).notNull()
            t.column("bundleId", .text).notNull()
            t.column("resourceId", .text).notNull()
            t.primaryKey(["lessonPlanId", "position"])
        }
    }

    /// Deletes a teacher's lists (with the account).
    static func deleteTeacherTools(_ db: Database, teacherKey: String) throws {
        try db.execute(
            sql: "DELETE FROM lessonPlanItem WHERE lessonPlanId IN (SELECT id FROM lessonPlan WHERE teacherId = ?)",
            arguments: [teacherKey])
        for table in ["lessonPlan", "favourite", "recentView"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE teacherId = ?", arguments: [teacherKey])
        }
    }
}

/// A teacher's named list of resources for one class (备课篮): what to show tomorrow, in order.
public struct LessonPlanRecord: Codable, Sendable, Hashable, FetchableRecord {
    /// The plan's number on this node.
    public var id: Int64
    /// The teacher who made it.
    public var teacherId: UUID
    /// The lesson's name, e.g. 《观潮》第一课时.
    public var title: String
    /// The class it is for, e.g. 四年级（2）班.
    public var className: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// How many resources it holds.
    public var itemCount: Int
}

/// One place in a lesson plan.
public struct LessonPlanItem: Sendable, Hashable {
    /// 1 for the first resource shown.
    public var position: Int
    public var bundleId: String
    public var resourceId: String
    /// The resource, or nil when it is no longer in the catalog.
    public var resource: ResourceRecord?
}

/// Notes of recently opened resources waiting in memory for the event log's next write (see
/// ``SatchelDatabase/noteRecentView(teacherId:bundleId:resourceId:at:)``): the latest per teacher and resource, at most
/// ``maxHeld`` in all (past that, the oldest are dropped; a teacher keeps 30 anyway).
public final class RecentViewNotes: Sendable {
    struct Note: Sendable {
        var teacherKey: String
        var bundleId: String
        var resourceId: String
        var date: Date
    }

    private struct Key: Hashable {
        var teacherKey: String
        var bundleId: String
        var resourceId: String
    }

    private let held = Mutex<(notes: [Key: Date], lastTaken: ContinuousClock.Instant)>(([:], .now))
    static let maxHeld = 4096

    func note(teacherKey: String, bundleId: String, resourceId: String, at date: Date) {
        held.withLock { held in
            held.notes[Key(teacherKey: teacherKey, bundleId: bundleId, resourceId: resourceId)] = date
            if held.notes.count > Self.maxHeld, let oldest = held.notes.min(by: { $0.value < $1.value }) {
                held.notes[oldest.key] = nil
            }
        }
    }

    /// Empties the notes and returns them; with `every`, only when that long has passed since they were last taken
    /// (else none). Each write of the notes touches the list's pages, so the event log, which writes every usage
    /// delay, takes them only every ten of its delays.
    func take(every interval: Duration? = nil) -> [Note] {
        held.withLock { held in
            if let interval, ContinuousClock.now - held.lastTaken < interval { return [] }
            defer {
                held.notes = [:]
                held.lastTaken = .now
            }
            return held.notes.map {
                Note(
                    teacherKey: $0.key.teacherKey, bundleId: $0.key.bundleId, resourceId: $0.key.resourceId,
                    date: $0.value)
            }
        }
    }

    /// Forgets a removed teacher's notes.
    func discard(teacherKey: String) {
        held.withLock { held in held.notes = held.notes.filter { $0.key.teacherKey != teacherKey } }
    }
}
