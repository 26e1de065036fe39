import Foundation
import GRDB
import SatchelCore
import SatchelStore

/// The reference platform's own tables in one SQLite file, the embedded default (demos, tests, a small trial):
/// enrolment tokens, nodes, received events (deduplicated by event id), pushed batches (deduplicated by each node's
/// idempotency key) and the published catalog. Bundles' blobs live in a node-style store beside it, so that publishing
/// verifies bundles exactly as a node does. ``PostgresPlatformDatabase`` keeps the same tables on PostgreSQL.
public struct PlatformDatabase: Sendable {
    /// The database pool; tests read it directly.
    public let writer: any DatabaseWriter

    /// Opens (creating) `platform.sqlite` at `path`.
    public init(path: String) throws {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        // Platform processes starting together on one data folder open and migrate it one at a time.
        let lock = MigrationLock(databaseAt: path)
        defer { withExtendedLifetime(lock) {} }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // Opening the pool switched its writer to WAL with synchronous NORMAL after prepareDatabase: without FULL
        // again, a batch acknowledged to a node could vanish in a power cut while the node drops it as delivered.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("p1") { db in
            try db.create(table: "enrolToken") { t in
                t.primaryKey("token", .text)
                t.column("schoolCode", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("usedBy", .text)
            }
            try db.create(table: "node") { t in
                t.primaryKey("id", .text)
                t.column("schoolCode", .text).notNull()
                t.column("publicKey", .text).notNull()
                t.column("enrolledAt", .datetime).notNull()
                t.column("acknowledged", .integer).notNull().defaults(to: 0)
                t.column("lastHealth", .text)
                t.column("lastSeenAt", .datetime)
            }
            try db.create(table: "receivedEvent") { t in
                t.primaryKey("id", .text)
                t.column("nodeId", .text).notNull()
                t.column("seq", .integer).notNull()
                t.column("type", .text).notNull()
                t.column("occurredAt", .double).notNull()
                t.column("payload", .text).notNull()
            }
            try db.create(table: "pushBatch") { t in
                t.primaryKey("batchId", .text)
                t.column("nodeId", .text).notNull()
                t.column("acknowledged", .integer).notNull()
            }
            try db.create(table: "catalog") { t in
                t.autoIncrementedPrimaryKey("cursor")
                t.column("bundleId", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("manifest", .blob).notNull()
                t.column("signature", .blob).notNull()
                t.column("archive", .text).notNull()
                t.column("publishedAt", .datetime).notNull()
                t.uniqueKey(["bundleId", "version"])
            }
        }
        // A batch id is one node's idempotency key: another node that uses the same id (batch ids are predictable)
        // must not make this node's batch a duplicate. The old table is carried over row by row.
        migrator.registerMigration("p2-batch-per-node") { db in
            try db.create(table: "nodeBatch") { t in
                t.column("nodeId", .text).notNull()
                t.column("batchId", .text).notNull()
                t.column("acknowledged", .integer).notNull()
                t.primaryKey(["nodeId", "batchId"])
            }
            try db.execute(
                sql:
                    "INSERT INTO nodeBatch (nodeId, batchId, acknowledged) SELECT nodeId, batchId, acknowledged FROM pushBatch"
            )
            try db.drop(table: "pushBatch")
            try db.rename(table: "nodeBatch", to: "pushBatch")
        }
        // Each event's corrected occurrence time (NULL when none could be had) and where it came from, beside the
        // node's raw wall-clock time in `occurredAt` and the boot instant the node recorded it at.
        migrator.registerMigration("p3-event-clock") { db in
            try db.alter(table: "receivedEvent") { t in
                t.add(column: "correctedAt", .double)
                t.add(column: "timeSource", .text)
                t.add(column: "bootId", .text)
                t.add(column: "monotonic", .double)
            }
        }
        // Schools belong to regions, and operators see a region's schools (issue 16).
        migrator.registerMigration("p4-operators") { db in
            try db.alter(table: "enrolToken") { t in t.add(column: "region", .text).notNull().defaults(to: "") }
            try db.alter(table: "node") { t in t.add(column: "region", .text).notNull().defaults(to: "") }
            try db.create(index: "node_region", on: "node", columns: ["region"])
            try db.create(table: "operator") { t in
                t.primaryKey("username", .text)
                t.column("name", .text).notNull()
                t.column("role", .text).notNull()
                t.column("region", .text).notNull()
                t.column("passwordHash", .text).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "operatorCredential") { t in
                t.primaryKey("hash", .text)
                t.column("username", .text).notNull().indexed()
                t.column("expiresAt", .datetime)
            }
        }
        // Monitoring (issue 16): aggregates kept up to date at ingest, the resources of published manifests to group
        // them by, and the fields of each node's latest health report. Events received before this migration are not
        // in the aggregates.
        migrator.registerMigration("p5-monitoring") { db in
            try db.create(table: "usageWeekly") { t in
                t.column("nodeId", .text).notNull()
                t.column("week", .text).notNull()
                t.column("bundleId", .text).notNull()
                t.column("resourceId", .text).notNull()
                t.column("views", .integer).notNull()
                t.column("downloads", .integer).notNull()
                t.column("seconds", .integer).notNull()
                t.primaryKey(["nodeId", "week", "bundleId", "resourceId"])
            }
            try db.create(table: "unansweredSearch") { t in
                t.column("nodeId", .text).notNull()
                t.column("week", .text).notNull()
                t.column("query", .text).notNull()
                t.column("searches", .integer).notNull()
                t.primaryKey(["nodeId", "week", "query"])
            }
            try db.create(table: "platformTeacher") { t in
                t.column("nodeId", .text).notNull()
                t.column("teacherId", .text).notNull()
                t.column("name", .text)
                t.column("number", .text)
                t.column("removed", .integer).notNull().defaults(to: 0)
                t.primaryKey(["nodeId", "teacherId"])
            }
            try db.create(table: "trainingCompletion") { t in
                t.column("nodeId", .text).notNull()
                t.column("teacherId", .text).notNull()
                t.column("bundleId", .text).notNull()
                t.column("resourceId", .text).notNull()
                t.column("year", .integer).notNull()
                t.column("hours", .double).notNull()
                t.primaryKey(["nodeId", "teacherId", "bundleId", "resourceId"])
            }
            try db.create(table: "catalogResource") { t in
                t.column("bundleId", .text).notNull()
                t.column("resourceId", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("titleZh", .text).notNull()
                t.column("titleEn", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("grade", .text).notNull()
                t.column("stage", .text).notNull()
                t.primaryKey(["bundleId", "resourceId"])
            }
            for entry in try Row.fetchAll(db, sql: "SELECT bundleId, version, manifest FROM catalog ORDER BY cursor") {
                try Self.addCatalogResources(
                    db, bundleId: entry["bundleId"], version: entry["version"], manifest: entry["manifest"])
            }
            try db.alter(table: "node") { t in
                t.add(column: "version", .text)
                t.add(column: "freeBytes", .integer)
                t.add(column: "eventsPending", .integer)
                t.add(column: "lastError", .text)
                t.add(column: "clockOffset", .double)
            }
        }
        // Publishing for chosen regions and stages (issue 16): a school's stages, and a bundle's targets, one a line.
        migrator.registerMigration("p6-targeting") { db in
            try db.alter(table: "enrolToken") { t in t.add(column: "stages", .text).notNull().defaults(to: "") }
            try db.alter(table: "node") { t in t.add(column: "stages", .text).notNull().defaults(to: "") }
            try db.alter(table: "catalog") { t in
                t.add(column: "targetRegions", .text).notNull().defaults(to: "")
                t.add(column: "targetStages", .text).notNull().defaults(to: "")
            }
        }
        try migrator.migrate(pool)
        writer = pool
    }

    /// A new one-time enrolment secret for a school (``Platform/createToken(schoolCode:)`` adds the key fingerprint).
    public func createToken(schoolCode: String, region: String = "", stages: [String] = []) throws -> String {
        let token = Self.newTokenSecret()
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO enrolToken (token, schoolCode, region, stages, createdAt) VALUES (?, ?, ?, ?, ?)",
                arguments: [token, schoolCode, region, stages.joined(separator: "\n"), Date()])
        }
        return token
    }

    /// Uses a token: registers the node's key and returns its new id, or nil when the token is unknown or was used by
    /// another key. The same key presenting the token again gets the same id (its first answer may have been lost).
    public func enrol(token: String, schoolCode: String, publicKey: String) throws -> String? {
        try writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM enrolToken WHERE token = ?", arguments: [token]),
                (row["schoolCode"] as String) == schoolCode
            else { return nil }
            if let used = row["usedBy"] as String? {
                // The same node asking again (its answer was lost, or it was killed before saving it) gets the same
                // answer; any other key finds the token spent.
                let key = try String.fetchOne(db, sql: "SELECT publicKey FROM node WHERE id = ?", arguments: [used])
                return key == publicKey ? used : nil
            }
            let id = Self.newNodeId()
            try db.execute(
                sql: """
                    INSERT INTO node (id, schoolCode, region, stages, publicKey, enrolledAt) VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, schoolCode, row["region"] as String, row["stages"] as String, publicKey, Date()])
            try db.execute(sql: "UPDATE enrolToken SET usedBy = ? WHERE token = ?", arguments: [id, token])
            return id
        }
    }

    /// A node's registered public key.
    public func publicKey(node: String) throws -> String? {
        try writer.read { try String.fetchOne($0, sql: "SELECT publicKey FROM node WHERE id = ?", arguments: [node]) }
    }

    /// The key and school of an enrolled node, or nil when no node has that id: what checking a certificate needs.
    public func enrolledNode(id: String) throws -> (publicKey: String, schoolCode: String)? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT publicKey, schoolCode FROM node WHERE id = ?", arguments: [id]).map {
                ($0["publicKey"], $0["schoolCode"])
            }
        }
    }

    /// The region and stages of an enrolled node's school.
    public func school(node: String) throws -> PublishTargets.School? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT region, stages FROM node WHERE id = ?", arguments: [node]).map {
                PublishTargets.School(
                    region: $0["region"], stages: ($0["stages"] as String).split(separator: "\n").map(String.init))
            }
        }
    }

    /// Stores a batch of events exactly once and returns the node's new cursor with the counts.
    ///
    /// A batch id this node used before changes nothing (the same id from another node is another batch); an event id
    /// seen before (in another batch) is not stored again.
    /// The cursor only advances over a contiguous run, so a batch that skips ahead is refused.
    public func receive(
        _ batch: [ReceivedEvent], batchId: String, node: String, from: Int64, to: Int64
    ) throws -> (Int64, Int, Int)? {
        try writer.write { db in
            let acknowledged =
                try Int64.fetchOne(
                    db, sql: "SELECT acknowledged FROM node WHERE id = ?",
                    arguments: [node]) ?? 0
            if try Int64.fetchOne(
                db, sql: "SELECT acknowledged FROM pushBatch WHERE nodeId = ? AND batchId = ?",
                arguments: [node, batchId]) != nil
            {
                return (acknowledged, 0, batch.count)
            }
            guard from <= acknowledged + 1 else { return nil }
            var stored: [ReceivedEvent] = []
            for event in batch {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO receivedEvent (id, nodeId, seq, type, occurredAt, payload, correctedAt,
                            timeSource, bootId, monotonic)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        event.id, node, event.seq, event.type, event.occurredAt, event.payload, event.correctedAt,
                        event.timeSource, event.bootId, event.monotonic,
                    ])
                if db.changesCount > 0 { stored.append(event) }
            }
            try Self.apply(MonitoringDelta(events: stored), node: node, db)
            let accepted = stored.count
            let cursor = max(acknowledged, to)
            try db.execute(
                sql: "UPDATE node SET acknowledged = ?, lastSeenAt = ? WHERE id = ?",
                arguments: [cursor, Date(), node])
            try db.execute(
                sql: "INSERT INTO pushBatch (batchId, nodeId, acknowledged) VALUES (?, ?, ?)",
                arguments: [batchId, node, cursor])
            return (cursor, accepted, batch.count - accepted)
        }
    }

    /// The occurrence times of a node's received events, by sequence: the node's raw wall-clock time and the
    /// corrected time the platform reports (nil when none could be had), with where it came from.
    public func occurrences(node: String) throws -> [Occurrence] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, seq, type, occurredAt, correctedAt, timeSource FROM receivedEvent WHERE nodeId = ?
                    ORDER BY seq
                    """,
                arguments: [node]
            ).map {
                Occurrence(
                    id: $0["id"], sequence: $0["seq"], type: $0["type"], nodeClock: $0["occurredAt"],
                    corrected: $0["correctedAt"],
                    source: $0["timeSource"])
            }
        }
    }

    /// The acknowledged cursor of a node.
    public func cursor(node: String) throws -> Int64 {
        try writer.read {
            try Int64.fetchOne($0, sql: "SELECT acknowledged FROM node WHERE id = ?", arguments: [node]) ?? 0
        }
    }

    /// Records a node's health report.
    public func recordHealth(node: String, json: String) throws {
        let summary = Monitoring.HealthSummary(json: json)
        try writer.write {
            try $0.execute(
                sql: """
                    UPDATE node SET lastHealth = ?, lastSeenAt = ?, version = ?, freeBytes = ?, eventsPending = ?,
                        lastError = ?
                    WHERE id = ?
                    """,
                arguments: [
                    json, Date(), summary.version, summary.freeBytes, summary.eventsPending, summary.lastError, node,
                ])
        }
    }

    /// Adds a published bundle version to the catalog for `targets`; publishing the same version again changes
    /// nothing.
    public func publish(
        bundleId: String, version: Int, manifest: Data, signature: Data, archive: String,
        targets: PublishTargets = .everyone
    ) throws {
        let (regions, stages) = targets.stored
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO catalog (bundleId, version, manifest, signature, archive, publishedAt,
                        targetRegions, targetStages)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [bundleId, version, manifest, signature, archive, Date(), regions, stages])
            try Self.addCatalogResources(db, bundleId: bundleId, version: version, manifest: manifest)
        }
    }

    /// Keeps the resources of a published manifest for monitoring, unless a newer version's are kept already.
    private static func addCatalogResources(_ db: Database, bundleId: String, version: Int, manifest: Data) throws {
        for resource in Monitoring.catalogResources(manifest: manifest) {
            try db.execute(
                sql: """
                    INSERT INTO catalogResource (bundleId, resourceId, version, titleZh, titleEn, subject, grade, stage)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (bundleId, resourceId) DO UPDATE SET version = excluded.version,
                        titleZh = excluded.titleZh, titleEn = excluded.titleEn, subject = excluded.subject,
                        grade = excluded.grade, stage = excluded.stage
                    WHERE excluded.version >= catalogResource.version
                    """,
                arguments: [
                    bundleId, resource.id, version, resource.titleZh, resource.titleEn, resource.subject,
                    resource.grade, resource.stage,
                ])
        }
    }

    /// Catalog entries after `since`, for every target.
    public func catalog(since: Int64) throws -> [CatalogRow] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM catalog WHERE cursor > ? ORDER BY cursor", arguments: [since]).map
            {
                CatalogRow(
                    cursor: $0["cursor"], bundleId: $0["bundleId"], version: $0["version"], manifest: $0["manifest"],
                    signature: $0["signature"], archive: $0["archive"],
                    targets: PublishTargets(stored: $0["targetRegions"], $0["targetStages"]))
            }
        }
    }

    /// Figures for `satchel-platform status --json`, over every school.
    public func status() throws -> PlatformStatus { try status(within: "") }

    /// Figures over the schools in `region` and below it.
    public func status(within region: String) throws -> PlatformStatus {
        try writer.read { db in
            let inRegion = region.isEmpty ? "1" : "(node.region = ?1 OR node.region LIKE ?1 || '/%')"
            let arguments: StatementArguments = region.isEmpty ? [] : [region]
            return PlatformStatus(
                eventsReceived: try Int.fetchOne(
                    db,
                    sql: region.isEmpty
                        ? "SELECT COUNT(*) FROM receivedEvent"
                        : "SELECT COUNT(*) FROM receivedEvent JOIN node ON node.id = nodeId WHERE \(inRegion)",
                    arguments: arguments) ?? 0,
                nodes: try Row.fetchAll(
                    db, sql: "SELECT id, schoolCode, region, acknowledged FROM node WHERE \(inRegion) ORDER BY id",
                    arguments: arguments
                ).map {
                    PlatformStatus.NodeCursor(
                        id: $0["id"], schoolCode: $0["schoolCode"], region: $0["region"],
                        acknowledged: $0["acknowledged"])
                },
                bundles: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM catalog") ?? 0)
        }
    }

    // MARK: Monitoring

    /// Adds what a batch's stored events bring to the aggregates of `node`.
    private static func apply(_ delta: MonitoringDelta, node: String, _ db: Database) throws {
        for (key, counts) in delta.usage {
            try db.execute(
                sql: """
                    INSERT INTO usageWeekly (nodeId, week, bundleId, resourceId, views, downloads, seconds)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (nodeId, week, bundleId, resourceId) DO UPDATE SET views = views + excluded.views,
                        downloads = downloads + excluded.downloads, seconds = seconds + excluded.seconds
                    """,
                arguments: [
                    node, key.week, key.bundleId, key.resourceId, counts.views, counts.downloads, counts.seconds,
                ])
        }
        for (key, searches) in delta.unansweredSearches {
            try db.execute(
                sql: """
                    INSERT INTO unansweredSearch (nodeId, week, query, searches) VALUES (?, ?, ?, ?)
                    ON CONFLICT (nodeId, week, query) DO UPDATE SET searches = searches + excluded.searches
                    """,
                arguments: [node, key.week, key.query, searches])
        }
        for (id, teacher) in delta.teachers {
            try db.execute(
                sql: """
                    INSERT INTO platformTeacher (nodeId, teacherId, name, number, removed) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (nodeId, teacherId) DO UPDATE SET name = COALESCE(excluded.name, name),
                        number = COALESCE(excluded.number, number), removed = excluded.removed
                    """,
                arguments: [node, id, teacher.name, teacher.number, teacher.removed ? 1 : 0])
        }
        for completion in delta.completions {
            try db.execute(
                sql: "INSERT OR IGNORE INTO platformTeacher (nodeId, teacherId) VALUES (?, ?)",
                arguments: [node, completion.teacherId])
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO trainingCompletion (nodeId, teacherId, bundleId, resourceId, year, hours)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    node, completion.teacherId, completion.bundleId, completion.resourceId, completion.year,
                    completion.hours,
                ])
        }
        if let offset = delta.clockOffset {
            try db.execute(sql: "UPDATE node SET clockOffset = ? WHERE id = ?", arguments: [offset, node])
        }
    }

    /// The condition on `node` for `region` and below it, with its arguments.
    private static func inRegion(_ region: String) -> (sql: String, arguments: StatementArguments) {
        region.isEmpty ? ("1", []) : ("(node.region = ? OR node.region LIKE ? || '/%')", [region, region])
    }

    public func usage(
        within region: String, by dimension: Monitoring.UsageDimension, limit: Int
    ) throws -> [Monitoring.UsageTotal] {
        let keys: String
        switch dimension {
        case .region: keys = "node.region"
        case .school: keys = "node.schoolCode, node.region"
        case .subject: keys = "COALESCE(r.subject, '')"
        case .grade: keys = "COALESCE(r.grade, '')"
        case .week: keys = "u.week"
        case .resource:
            keys = """
                u.bundleId, u.resourceId, COALESCE(r.titleZh, ''), COALESCE(r.titleEn, ''), COALESCE(r.subject, ''),
                COALESCE(r.grade, '')
                """
        }
        let order = dimension == .week ? "u.week DESC" : "SUM(u.views) DESC, SUM(u.seconds) DESC, \(keys)"
        let filter = Self.inRegion(region)
        return try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(keys), SUM(u.views), SUM(u.downloads), SUM(u.seconds) FROM usageWeekly u
                    JOIN node ON node.id = u.nodeId
                    LEFT JOIN catalogResource r ON r.bundleId = u.bundleId AND r.resourceId = u.resourceId
                    WHERE \(filter.sql) GROUP BY \(keys) ORDER BY \(order) LIMIT ?
                    """,
                arguments: filter.arguments + [limit]
            ).map { row in
                let count = dimension.keyCount
                return Monitoring.UsageTotal(
                    keys: (0..<count).map { row[$0] as String }, views: row[count], downloads: row[count + 1],
                    seconds: row[count + 2])
            }
        }
    }

    public func unansweredSearches(within region: String, limit: Int) throws -> [Monitoring.UnansweredSearch] {
        let filter = Self.inRegion(region)
        return try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT s.query, SUM(s.searches), COUNT(DISTINCT node.schoolCode), MAX(s.week)
                    FROM unansweredSearch s JOIN node ON node.id = s.nodeId
                    WHERE \(filter.sql) GROUP BY s.query ORDER BY 2 DESC, 3 DESC, 1 LIMIT ?
                    """,
                arguments: filter.arguments + [limit]
            ).map { Monitoring.UnansweredSearch(query: $0[0], searches: $0[1], schools: $0[2], lastWeek: $0[3]) }
        }
    }

    public func trainingHours(within region: String, year: Int) throws -> [Monitoring.TeacherHours] {
        let filter = Self.inRegion(region)
        return try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT t.nodeId, node.schoolCode, node.region, t.teacherId, COALESCE(t.name, ''),
                        COALESCE(t.number, ''), COALESCE(SUM(c.hours), 0), COUNT(c.teacherId)
                    FROM platformTeacher t JOIN node ON node.id = t.nodeId
                    LEFT JOIN trainingCompletion c ON c.nodeId = t.nodeId AND c.teacherId = t.teacherId AND c.year = ?
                    WHERE t.removed = 0 AND \(filter.sql)
                    GROUP BY t.nodeId, t.teacherId ORDER BY node.schoolCode, t.nodeId, t.teacherId
                    """,
                arguments: [year] + filter.arguments
            ).map {
                Monitoring.TeacherHours(
                    nodeId: $0[0], schoolCode: $0[1], region: $0[2], teacherId: $0[3], name: $0[4], number: $0[5],
                    hours: $0[6], modules: $0[7])
            }
        }
    }

    public func fleet(within region: String) throws -> [Monitoring.NodeHealth] {
        let filter = Self.inRegion(region)
        return try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, schoolCode, region, version, lastSeenAt, clockOffset, freeBytes, eventsPending, lastError
                    FROM node WHERE \(filter.sql) ORDER BY id
                    """,
                arguments: filter.arguments
            ).map {
                Monitoring.NodeHealth(
                    id: $0[0], schoolCode: $0[1], region: $0[2], version: $0[3], lastSeenAt: $0[4],
                    clockOffset: $0[5], freeBytes: $0[6], eventsPending: $0[7], lastError: $0[8])
            }
        }
    }

    // MARK: Operators

    public func addOperator(_ operator: Operator, passwordHash: String) throws -> Bool {
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO operator (username, name, role, region, passwordHash, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING
                    """,
                arguments: [
                    `operator`.username, `operator`.name, `operator`.role.rawValue, `operator`.region, passwordHash,
                    Date(),
                ])
            return db.changesCount > 0
        }
    }

    public func operators() throws -> [Operator] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT username, name, role, region FROM operator ORDER BY username").compactMap(
                Self.operator)
        }
    }

    public func removeOperator(username: String) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM operatorCredential WHERE username = ?", arguments: [username])
            try db.execute(sql: "DELETE FROM operator WHERE username = ?", arguments: [username])
            return db.changesCount > 0
        }
    }

    public func operatorLogin(username: String) throws -> (Operator, passwordHash: String)? {
        try writer.read { db in
            guard
                let row = try Row.fetchOne(db, sql: "SELECT * FROM operator WHERE username = ?", arguments: [username]),
                let found = Self.operator(row)
            else { return nil }
            return (found, row["passwordHash"])
        }
    }

    public func storeCredential(hash: String, username: String, expiresAt: Date?) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO operatorCredential (hash, username, expiresAt) VALUES (?, ?, ?)",
                arguments: [hash, username, expiresAt])
        }
    }

    public func operatorFor(credentialHash: String) throws -> Operator? {
        try writer.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT operator.username, name, role, region FROM operatorCredential
                    JOIN operator ON operator.username = operatorCredential.username
                    WHERE hash = ? AND (expiresAt IS NULL OR expiresAt > ?)
                    """,
                arguments: [credentialHash, Date()]
            ).flatMap(Self.operator)
        }
    }

    public func removeCredential(hash: String) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM operatorCredential WHERE hash = ?", arguments: [hash])
        }
    }

    /// The operator of a row with `username`, `name`, `role` and `region`; nil for a row no longer valid.
    private static func `operator`(_ row: Row) -> Operator? {
        guard let role = Operator.Role(rawValue: row["role"]) else { return nil }
        return try? Operator(username: row["username"], name: row["name"], role: role, region: row["region"])
    }
}

extension PlatformDatabase: PlatformStorage {
    /// A new enrolment secret: 18 random bytes, base64url, never starting with `-` (a technician types the token
    /// after `--token`, and a value that starts with `-` reads as an option: "Missing value for '--token'").
    static func newTokenSecret() -> String {
        while true {
            let bytes = (0..<18).map { _ in UInt8.random(in: 0...255) }
            let secret = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_")
            if !secret.hasPrefix("-") { return secret }
        }
    }

    /// A new node id: `node-` and 12 random hex digits.
    static func newNodeId() -> String { "node-" + UUID().uuidString.lowercased().prefix(12) }

    /// Nothing to release: the pool closes with its last reference.
    public func close() async {}
}

/// One received event's times, as ``PlatformDatabase/occurrences(node:)`` reports them.
public struct Occurrence: Codable, Sendable, Hashable {
    /// The event id.
    public var id: String
    /// The node's sequence number of the event.
    public var sequence: Int64
    /// The event type.
    public var type: String
    /// When it happened by the node's wall clock, in seconds since 1970.
    public var nodeClock: Double
    /// The corrected time of the event, in seconds since 1970, or nil when neither the node nor the platform could
    /// date it.
    public var corrected: Double?
    /// `platform`, `phones` or `node` (see ``ReceivedEvent/timeSource``).
    public var source: String?
}
