import Foundation
import GRDB
import SatchelCore
import SatchelTestSupport
import Testing

@testable import SatchelStore

@Suite struct SatchelDatabaseTests {
    let folder = TemporaryDirectory("store")

    @Test func freshDatabaseGetsEveryMigration() throws {
        let database = try SatchelDatabase(path: folder.file("a.sqlite"))
        let applied = try database.reader.read {
            try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations")
        }
        #expect(applied == SatchelDatabase.migrationNames)
        #expect(applied.contains("v1-catalog") && applied.contains("v1-events") && applied.contains("v1-sync"))
        let journal = try database.reader.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
    }

    /// GRDB turns WAL on with synchronous NORMAL on the pool's writer after prepareDatabase ran; with it, events
    /// acknowledged in the seconds before a power cut were lost (scripts/vm-power-cut-test.sh). 2 is FULL.
    @Test func writerSyncsEveryCommit() throws {
        let database = try SatchelDatabase(path: folder.file("durable.sqlite"))
        let pool = try #require(database.reader as? DatabasePool)
        let level = try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(level == 2)
    }

    /// Two platform processes starting on one empty data folder opened its store at once, and one failed with
    /// "table bundle already exists". Opening on several threads at once races the same way: each open is its own
    /// pool and file descriptor, as in another process.
    @Test func databasesOpenedTogetherMigrateOnce() throws {
        let path = folder.file("together.sqlite")
        #expect(failuresOfOpeningTogether(6) { _ = try SatchelDatabase(path: path) } == [])
        let applied = try SatchelDatabase(path: path).reader.read {
            try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations")
        }
        #expect(applied == SatchelDatabase.migrationNames)
    }

    @Test func reopeningKeepsDataAndAppliesNothingTwice() throws {
        let path = folder.file("b.sqlite")
        do {
            let database = try SatchelDatabase(path: path)
            try database.trust(TrustedKeyRecord(keyId: "0123456789abcdef", publicKey: "k", label: "x", addedAt: Date()))
        }
        let reopened = try SatchelDatabase(path: path)
        #expect(try reopened.trustedKeys().map(\.keyId) == ["0123456789abcdef"])
        let count = try reopened.reader.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM grdb_migrations") }
        #expect(count == SatchelDatabase.migrationNames.count)
    }

    @Test func migratesAnOlderDatabaseKeepingItsData() throws {
        let path = folder.file("old.sqlite")
        do {
            // A database as an older binary left it: only the first migration applied, with a trusted key stored.
            let pool = try DatabasePool(path: path)
            try SatchelDatabase.migrator.migrate(pool, upTo: "v1-catalog")
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO trustedKey (keyId, publicKey, label, addedAt) VALUES (?, ?, ?, ?)",
                    arguments: ["00000000000000aa", "k", "old", Date()])
            }
        }
        let database = try SatchelDatabase(path: path)
        let applied = try database.reader.read {
            try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations")
        }
        #expect(applied == SatchelDatabase.migrationNames)
        #expect(try database.trustedKeys().map(\.label) == ["old"])
        // A key trusted before release keys existed stays a publisher key: it never becomes able to sign software.
        #expect(try database.trustedKeys().map(\.purpose) == [.publisher])
        let hasEvents = try database.reader.read { try $0.tableExists("event") }
        #expect(hasEvents)
    }

    @Test func v9ResourceUnitMigratesAnInstalledCatalogFromItsManifests() throws {
        let path = folder.file("v8.sqlite")
        let sha = String(repeating: "b", count: 64)
        let resources = [
            Manifest.Resource(
                id: "north", title: LocalizedText(zh: "认识东南西北", en: "Compass points"), type: "html",
                subject: "数学", unit: "第一单元 位置与方向", entry: "north.html"),
            Manifest.Resource(
                id: "review", title: LocalizedText(zh: "期末复习", en: "Review"), type: "html", subject: "数学",
                entry: "review.html"),
        ]
        let manifest = Manifest(
            id: "g4", version: 1, title: LocalizedText(zh: "四年级", en: "Grade 4"), kind: .curriculum,
            publisherKey: "0123456789abcdef", created: "2026-01-01T00:00:00Z", resources: resources,
            files: resources.map { Manifest.File(path: $0.entry, size: 1, sha256: sha, mediaType: "text/html") })
        do {
            // A catalog as the binary before units left it: the manifest bytes hold the unit, the rows do not.
            let pool = try DatabasePool(path: path)
            try SatchelDatabase.migrator.migrate(pool, upTo: "v8-search-teachers")
            try pool.write { db in
                try BundleRecord(
                    id: "g4", version: 1, titleZh: "四年级", titleEn: "Grade 4", kind: "curriculum",
                    publisherKey: "0123456789abcdef", created: "2026-01-01T00:00:00Z", installedAt: Date(),
                    totalSize: 2, fileCount: 2, manifest: try JSONEncoder().encode(manifest), signature: Data()
                ).insert(db)
                for resource in resources {
                    try db.execute(
                        sql: """
                            INSERT INTO resource (bundleId, id, titleZh, titleEn, type, subject, entry, entrySize,
                                updatedAt) VALUES ('g4', ?, ?, ?, 'html', '数学', ?, 1, ?)
                            """,
                        arguments: [resource.id, resource.title.zh, resource.title.en, resource.entry, Date()])
                }
            }
        }
        let database = try SatchelDatabase(path: path)
        let applied = try database.reader.read {
            try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations")
        }
        #expect(applied == SatchelDatabase.migrationNames && applied.contains("v9-resource-unit"))
        #expect(try database.resource(bundleId: "g4", id: "north")?.unit == "第一单元 位置与方向")
        #expect(try database.resource(bundleId: "g4", id: "review")?.unit == nil)
        #expect(try database.facet("unit", filter: Classification()).map(\.value) == ["第一单元 位置与方向"])
        #expect(try database.search("位置与方向").resources.map(\.id) == ["north"])
        #expect(try database.search("期末复习").resources.map(\.id) == ["review"], "the rows are indexed again")
    }

    @Test func newerSchemaIsRefusedAndLeftUntouched() throws {
        let path = folder.file("newer.sqlite")
        do {
            let database = try SatchelDatabase(path: path)
            try database.writer.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
            }
        }
        func snapshot() throws -> [String] {
            let queue = try DatabaseQueue(
                path: path,
                configuration: {
                    var c = Configuration(); c.readonly = true; return c
                }())
            return try queue.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
                    + String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            }
        }
        let before = try snapshot()
        do {
            _ = try SatchelDatabase(path: path)
            Issue.record("a database from a newer Satchel was opened")
        } catch let error as StoreError {
            #expect(error.code == .newerSchema)
            #expect(error.message.en.contains("newer Satchel"))
            #expect(error.message.zh.contains("更新版本"))
        }
        #expect(try snapshot() == before)
    }

    @Test func unreadableFileGivesAClearError() throws {
        let path = folder.write("garbage.sqlite", String(repeating: "not a database ", count: 100))
        #expect(throws: StoreError.self) { _ = try SatchelDatabase(path: path) }
    }
}
