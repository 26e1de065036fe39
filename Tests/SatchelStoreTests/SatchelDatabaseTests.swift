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
                try TrustedKeyRecord(keyId: "00000000000000aa", publicKey: "k", label: "old", addedAt: Date()).insert(
                    db)
            }
        }
        let database = try SatchelDatabase(path: path)
        let applied = try database.reader.read {
            try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations")
        }
        #expect(applied == SatchelDatabase.migrationNames)
        #expect(try database.trustedKeys().map(\.label) == ["old"])
        let hasEvents = try database.reader.read { try $0.tableExists("event") }
        #expect(hasEvents)
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
