import Foundation
import GRDB
import SatchelCore

/// The node's one SQLite database: catalog, event log and sync state.
///
/// Every reader and writer in the process goes through the one `DatabasePool` this struct owns.
public struct SatchelDatabase: Sendable {
    /// The file name of the database inside the data directory.
    public static let fileName = "satchel.sqlite"

    /// The pool all access goes through; outside the store, only named methods and ``reader`` reach it.
    let writer: any DatabaseWriter

    /// The catalog's subjects and grades in memory, for search facets.
    let catalogLevels: CatalogLevelsCache

    /// Recently opened resources waiting for the event log's next write.
    let recentViewNotes: RecentViewNotes

    /// Read-only access for tests and tools that inspect the database; the node's own code uses named methods.
    public var reader: any DatabaseReader { writer }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// - Throws: ``StoreError`` with code `.newerSchema` when the file was migrated by a newer Satchel, which is
    ///   left untouched; `.cannotOpen` when SQLite cannot open or migrate it.
    public init(path: String) throws {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(10)
        // Two readers and a 1 MiB page cache per connection: a node may have 1 GB of RAM.
        configuration.maximumReaderCount = 2
        configuration.prepareDatabase { db in
            // FULL makes each commit durable across power loss, which the event log promises. GRDB switches the
            // pool's writer to WAL with synchronous NORMAL after this runs, so the pool's writer is set again below.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -1024")
            // After a checkpoint, a WAL grown by one large transaction (a compaction) is cut back to 4 MiB instead of
            // keeping its largest size on the card for good.
            try db.execute(sql: "PRAGMA journal_size_limit = 4194304")
        }
        // The pool is opened inside the lock too: opening switches a new file to WAL, which another process opening
        // it at that moment would meet as "database is locked".
        let lock = MigrationLock(databaseAt: path)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // Opening a pool turns WAL on with `PRAGMA synchronous = NORMAL` on its one writer connection, after
            // prepareDatabase: a commit then reaches the disk only at the next checkpoint, and a power cut lost the
            // events acknowledged in the seconds before it (scripts/vm-power-cut-test.sh). FULL syncs the WAL at
            // every commit.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        } catch {
            throw StoreError(
                code: .cannotOpen,
                message: LocalizedText(
                    zh: "无法打开数据库 \(path)：\(error)。请检查数据目录的权限和磁盘空间。",
                    en:
                        "Cannot open the database \(path): \(error). Check the data directory's permissions and free space."
                ),
                cause: error
            )
        }
        try self.init(writer: pool, path: path)
        withExtendedLifetime(lock) {}
    }

    /// Wraps an already open writer (a pool or, in tests, a queue) and migrates it.
    public init(writer: any DatabaseWriter, path: String = "") throws {
        self.writer = writer
        catalogLevels = CatalogLevelsCache()
        recentViewNotes = RecentViewNotes()
        let migrator = Self.migrator
        let superseded: Bool
        do {
            superseded = try writer.read { try migrator.hasBeenSuperseded($0) }
        } catch {
            throw StoreError(
                code: .cannotOpen,
                message: LocalizedText(
                    zh: "无法读取数据库 \(path)：\(error)。文件可能已损坏。",
                    en: "Cannot read the database \(path): \(error). The file may be damaged."
                ),
                cause: error
            )
        }
        guard !superseded else {
            throw StoreError(
                code: .newerSchema,
                message: LocalizedText(
                    zh: "数据库 \(path) 由更新版本的 Satchel 创建，本程序不会修改它。请安装新版本的 Satchel。",
                    en:
                        "The database \(path) was written by a newer Satchel; this version leaves it untouched. Install the newer Satchel."
                )
            )
        }
        do {
            try migrator.migrate(writer)
        } catch {
            throw StoreError(
                code: .cannotOpen,
                message: LocalizedText(
                    zh: "无法更新数据库 \(path) 的结构：\(error)。",
                    en: "Cannot migrate the database \(path): \(error)."
                ),
                cause: error
            )
        }
    }

    /// The names of the migrations this binary knows, oldest first.
    public static var migrationNames: [String] { migrator.migrations }

    /// The named, append-only schema migrations. Never edit one that has shipped; add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-catalog") { db in
            try db.create(table: "bundle") { t in
                t.primaryKey("id", .text)
                t.column("version", .integer).notNull()
                t.column("titleZh", .text).notNull()
                t.column("titleEn", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("publisherKey", .text).notNull()
                t.column("created", .text).notNull()
                t.column("installedAt", .datetime).notNull()
                t.column("totalSize", .integer).notNull()
                t.column("fileCount", .integer).notNull()
                t.column("manifest", .blob).notNull()
                t.column("signature", .blob).notNull()
            }
            try db.create(table: "bundleFile") { t in
                t.column("bundleId", .text).notNull().references("bundle", onDelete: .cascade)
                t.column("path", .text).notNull()
                t.column("sha256", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("mediaType", .text).notNull()
                t.primaryKey(["bundleId", "path"])
            }
            try db.create(index: "bundleFile_sha256", on: "bundleFile", columns: ["sha256"])
            try db.create(table: "resource") { t in
                t.column("bundleId", .text).notNull().references("bundle", onDelete: .cascade)
                t.column("id", .text).notNull()
                t.column("titleZh", .text).notNull()
                t.column("titleEn", .text).notNull()
                t.column("type", .text).notNull()
                t.column("stage", .text)
                t.column("grade", .text)
                t.column("subject", .text)
                t.column("edition", .text)
                t.column("term", .text)
                t.column("language", .text)
                t.column("entry", .text).notNull()
                t.column("descriptionZh", .text)
                t.column("descriptionEn", .text)
                t.column("tags", .text)
                t.column("creditHours", .double)
                t.column("entrySize", .integer).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.primaryKey(["bundleId", "id"])
            }
            try db.create(table: "trustedKey") { t in
                t.primaryKey("keyId", .text)
                t.column("publicKey", .text).notNull().unique()
                t.column("label", .text).notNull()
                t.column("addedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v1-events") { db in
            try db.create(table: "event") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("id", .text).notNull().unique()
                t.column("type", .text).notNull()
                t.column("occurredAt", .datetime).notNull()
                t.column("payload", .text).notNull()
            }
        }
        migrator.registerMigration("v1-sync") { db in
            try db.create(table: "syncState") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
            try db.create(table: "peer") { t in
                t.primaryKey("url", .text)
                t.column("name", .text)
                t.column("lastSeenAt", .datetime)
            }
        }
        migrator.registerMigration("v2-search") { db in
            // The full-text index of resources. Text is stored in SearchText.indexForm (CJK unigrams and bigrams);
            // bundleId and resourceId locate the row in `resource`.
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE resourceSearch USING fts5(
                        bundleId UNINDEXED, resourceId UNINDEXED, title, body,
                        tokenize = 'unicode61 remove_diacritics 2'
                    )
                    """
            )
            try db.create(
                index: "resource_classification", on: "resource",
                columns: ["stage", "grade", "subject", "edition", "term"])
            for row in try Row.fetchAll(db, sql: "SELECT * FROM resource") {
                try SatchelDatabase.indexResource(db, row: row)
            }
        }
        migrator.registerMigration("v3-records") { db in
            try db.create(table: "teacher") { t in
                t.primaryKey("id", .text)
                t.column("username", .text).notNull().unique(onConflict: .abort)
                t.column("name", .text).notNull()
                t.column("teacherNumber", .text)
                t.column("subjects", .text).notNull().defaults(to: "")
                t.column("role", .text).notNull()
                t.column("status", .text).notNull()
                t.column("passwordHash", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("approvedAt", .datetime)
            }
            try db.create(table: "session") { t in
                t.primaryKey("tokenHash", .text)
                t.column("teacherId", .text).notNull().references("teacher", onDelete: .cascade)
                t.column("csrfToken", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("expiresAt", .datetime).notNull()
            }
            try db.create(table: "loginFailure") { t in
                t.column("username", .text).notNull()
                t.column("failedAt", .datetime).notNull()
            }
            try db.create(index: "loginFailure_username", on: "loginFailure", columns: ["username", "failedAt"])
            try db.create(table: "enrolment") { t in
                t.column("teacherId", .text).notNull()
                t.column("bundleId", .text).notNull()
                t.column("enrolledAt", .datetime).notNull()
                t.primaryKey(["teacherId", "bundleId"])
            }
            try db.create(table: "moduleProgress") { t in
                t.column("teacherId", .text).notNull()
                t.column("bundleId", .text).notNull()
                t.column("resourceId", .text).notNull()
                t.column("secondsSpent", .integer).notNull().defaults(to: 0)
                t.column("completedAt", .datetime)
                t.column("score", .double)
                t.column("creditedHours", .double).notNull().defaults(to: 0)
                t.primaryKey(["teacherId", "bundleId", "resourceId"])
            }
            // The live daily totals and the totals of compacted events (the base derived tables are rebuilt on)
            // have the same shape.
            for table in ["usageDaily", "usageArchive"] {
                try db.create(table: table) { t in
                    t.column("day", .text).notNull()
                    t.column("bundleId", .text).notNull()
                    t.column("resourceId", .text).notNull()
                    t.column("views", .integer).notNull().defaults(to: 0)
                    t.column("downloads", .integer).notNull().defaults(to: 0)
                    t.column("seconds", .integer).notNull().defaults(to: 0)
                    t.column("bytes", .integer).notNull().defaults(to: 0)
                    t.primaryKey(["day", "bundleId", "resourceId"])
                }
            }
            for table in ["searchDaily", "searchArchive"] {
                try db.create(table: table) { t in
                    t.column("day", .text).notNull()
                    t.column("query", .text).notNull()
                    t.column("searches", .integer).notNull()
                    t.column("results", .integer).notNull()
                    t.primaryKey(["day", "query"])
                }
            }
            try db.create(index: "event_type_occurredAt", on: "event", columns: ["type", "occurredAt"])
        }
        migrator.registerMigration("v4-search-rank") { db in
            // Title matches weigh ten times description matches; `ORDER BY rank` then sorts inside FTS5.
            try db.execute(
                sql: "INSERT INTO resourceSearch (resourceSearch, rank) VALUES ('rank', 'bm25(0, 0, 10.0, 1.0)')")
        }
        migrator.registerMigration("v5-training-evidence") { db in
            // A module's minimum time and quiz come from its manifest; when a teacher first opened its content is
            // derived from their view events.
            try db.alter(table: "resource") { t in
                t.add(column: "minimumMinutes", .double)
                t.add(column: "quiz", .text)
            }
            try db.alter(table: "moduleProgress") { t in t.add(column: "openedAt", .datetime) }
        }
        migrator.registerMigration("v6-event-clock") { db in
            // The boot and monotonic seconds of each event, so that its true time can be worked out once its boot
            // learns one; NULL for events stored before this migration.
            try db.alter(table: "event") { t in
                t.add(column: "bootId", .text)
                t.add(column: "monotonic", .double)
            }
        }
        migrator.registerMigration("v7-drop-event-type-index") { db in
            // Every query on the log also bounds its sequence (the row id), so this index only cost a page write in
            // every transaction that adds events: the SD card's largest writer on a school day.
            try db.execute(sql: "DROP INDEX IF EXISTS event_type_occurredAt")
        }
        migrator.registerMigration("v8-search-teachers") { db in
            // Every field indexed in full, under the resource's own rowid (search filters by classification on
            // `resource` and meets the index by rowid); one index per level a query may name alone.
            try db.execute(sql: "DELETE FROM resourceSearch")
            for row in try Row.fetchAll(db, sql: "SELECT rowid, * FROM resource") {
                try SatchelDatabase.indexResource(db, row: row)
            }
            try SatchelDatabase.optimizeSearchIndex(db)
            for column in ["grade", "subject", "edition", "term", "type"] {
                try db.create(index: "resource_\(column)", on: "resource", columns: [column])
            }
        }
        migrator.registerMigration("v9-resource-unit") { db in
            // 单元, the browse level under the term. Installed bundles get it from their stored manifests, and the
            // search index takes it in with the other classification fields.
            try db.alter(table: "resource") { t in t.add(column: "unit", .text) }
            try db.create(index: "resource_unit", on: "resource", columns: ["unit"])
            for row in try Row.fetchAll(db, sql: "SELECT id, manifest FROM bundle") {
                let data: Data = row["manifest"]
                guard let manifest = try? Manifest.decode(data) else { continue }
                for resource in manifest.resources where resource.unit != nil {
                    try db.execute(
                        sql: "UPDATE resource SET unit = ? WHERE bundleId = ? AND id = ?",
                        arguments: [resource.unit, row["id"] as String, resource.id])
                }
            }
            try db.execute(sql: "DELETE FROM resourceSearch")
            for row in try Row.fetchAll(db, sql: "SELECT rowid, * FROM resource") {
                try SatchelDatabase.indexResource(db, row: row)
            }
            try SatchelDatabase.optimizeSearchIndex(db)
        }
        migrator.registerMigration("v10-teacher-tools") { db in
            // 收藏, 最近浏览 and 备课篮: each teacher's own lists of resources, kept on the node only.
            try SatchelDatabase.createTeacherTools(db)
        }
        migrator.registerMigration("v11-levels-index") { db in
            // A teacher's query names several levels at once (人教版四年级数学下册): one index over them answers it
            // from the index alone, where the planner otherwise walked half the catalog through the term's index
            // (74 ms on 100,000 resources, against under 1 ms).
            try db.create(
                index: "resource_levels", on: "resource", columns: ["subject", "grade", "edition", "term", "unit"])
        }
        migrator.registerMigration("v12-catalog-statistics") { db in
            // The planner's statistics, which each import now refreshes: without them it may pick a one-level index
            // over resource_levels.
            try SatchelDatabase.analyzeCatalog(db)
        }
        migrator.registerMigration("v13-resource-entry-index") { db in
            // The content route's first lookup of a file asks which resource it opens (counted as a view): without
            // an index that read every resource of the bundle, 10 ms per file on a bundle of 10,000.
            try db.create(index: "resource_entry", on: "resource", columns: ["bundleId", "entry"])
            try SatchelDatabase.analyzeCatalog(db)
        }
        migrator.registerMigration("v14-release-keys") { db in
            // A key trusted for releases (software bundles) is not trusted for content, and the other way round.
            try db.alter(table: "trustedKey") { t in
                t.add(column: "purpose", .text).notNull().defaults(to: TrustedKeyRecord.Purpose.publisher.rawValue)
            }
        }
        return migrator
    }
}
