import Foundation
import GRDB
import SatchelPlatform
import SatchelTestSupport
import Testing

/// Migrations are append-only and carry what the platform already holds.
@Suite struct PlatformMigrationTests {
    @Test func batchesRecordedBeforeTheyWereKeyedPerNodeAreKept() throws {
        let folder = TemporaryDirectory("platform-db")
        let path = folder.file("platform.sqlite")
        // A database as the first migration left it, holding a node's batch.
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('p1')")
            try db.execute(
                sql: """
                    CREATE TABLE node (id TEXT PRIMARY KEY, schoolCode TEXT NOT NULL, publicKey TEXT NOT NULL,
                        enrolledAt DATETIME NOT NULL, acknowledged INTEGER NOT NULL DEFAULT 0, lastHealth TEXT,
                        lastSeenAt DATETIME);
                    CREATE TABLE enrolToken (token TEXT PRIMARY KEY, schoolCode TEXT NOT NULL,
                        createdAt DATETIME NOT NULL, usedBy TEXT);
                    CREATE TABLE pushBatch (batchId TEXT PRIMARY KEY, nodeId TEXT NOT NULL,
                        acknowledged INTEGER NOT NULL);
                    CREATE TABLE receivedEvent (id TEXT PRIMARY KEY, nodeId TEXT NOT NULL, seq INTEGER NOT NULL,
                        type TEXT NOT NULL, occurredAt DOUBLE NOT NULL, payload TEXT NOT NULL);
                    CREATE TABLE catalog (cursor INTEGER PRIMARY KEY AUTOINCREMENT, bundleId TEXT NOT NULL,
                        version INTEGER NOT NULL, manifest BLOB NOT NULL, signature BLOB NOT NULL, archive TEXT NOT NULL,
                        publishedAt DATETIME NOT NULL, UNIQUE (bundleId, version));
                    INSERT INTO node (id, schoolCode, publicKey, enrolledAt, acknowledged)
                        VALUES ('node-a', 'S-A', 'k', '2026-01-01', 10), ('node-b', 'S-B', 'k', '2026-01-01', 0);
                    INSERT INTO pushBatch VALUES ('node-a:1-10', 'node-a', 10);
                    INSERT INTO catalog (bundleId, version, manifest, signature, archive, publishedAt) VALUES
                        ('g3', 1, CAST('{"resources": [{"id": "a", "title": {"zh": "甲旧", "en": "A"}}]}' AS BLOB),
                            x'00', 'a', '2026-01-01'),
                        ('g3', 2, CAST('{"resources": [{"id": "a", "title": {"zh": "甲", "en": "A"}, "subject": "数学"}]}'
                            AS BLOB), x'00', 'b', '2026-01-01');
                    """)
        }
        try old.close()

        let database = try PlatformDatabase(path: path)
        // node-a's batch is still known to node-a, and the same id is a new batch for node-b.
        let again = try #require(try database.receive([], batchId: "node-a:1-10", node: "node-a", from: 1, to: 10))
        #expect(again.0 == 10)
        let event = ReceivedEvent(seq: 1, id: "e1", type: "view", occurredAt: 0, payload: "{}")
        let other = try #require(try database.receive([event], batchId: "node-a:1-10", node: "node-b", from: 1, to: 1))
        #expect(other.1 == 1, "node-b's batch was taken for node-a's")
        // Schools enrolled before regions existed belong to none: a national operator sees them.
        #expect(try database.writer.read { try String.fetchAll($0, sql: "SELECT region FROM node") } == ["", ""])
        // What monitoring groups usage by is taken from the manifests published before it existed, newest first.
        let kept = try database.writer.read {
            try Row.fetchAll($0, sql: "SELECT resourceId, CAST(version AS TEXT), titleZh, subject FROM catalogResource")
        }
        #expect(kept.map { [$0[0], $0[1], $0[2], $0[3]] as [String] } == [["a", "2", "甲", "数学"]])
        // A bundle published before targeting existed is for everyone.
        #expect(try database.catalog(since: 0).map(\.targets) == [PublishTargets.everyone, PublishTargets.everyone])
    }
}
