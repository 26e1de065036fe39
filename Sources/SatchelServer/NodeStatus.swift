import Foundation
import GRDB
import SatchelBundles
import SatchelCore
import SatchelStore

/// What `satchel status --json` and the admin status page report. The JSON keys are stable for scripts.
public struct NodeStatus: Codable, Sendable {
    public var version: String
    public var dataDirectory: String
    public var bundles: Int
    public var resources: Int
    public var storeBytes: Int64
    public var freeBytes: Int64
    public var teachers: Int
    public var pendingApprovals: Int
    public var eventsPending: Int
    public var eventsRolledUp: Int64
    public var eventsCompacted: Int64
    public var lastSync: LastSync?
    public var peers: [String]

    /// The last sync session's outcome.
    public struct LastSync: Codable, Sendable {
        public var at: Date
        public var result: String
    }

    /// Reads the status of a node from its database and data directory.
    public static func read(node: Node) throws -> NodeStatus {
        let database = node.database
        let counts = try database.writer.read { db -> (Int, Int, Int64, Int, Int, [String]) in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bundle") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM resource") ?? 0,
                try SatchelDatabase.storeBytes(db),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM teacher") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM teacher WHERE status = 'pending'") ?? 0,
                try String.fetchAll(db, sql: "SELECT url FROM peer ORDER BY url")
            )
        }
        var lastSync: LastSync?
        try database.writer.read { db in
            if let at = try String.fetchOne(db, sql: "SELECT value FROM syncState WHERE key = 'lastSyncAt'"),
                let date = ISO8601DateFormatter().date(from: at)
            {
                let result = try String.fetchOne(db, sql: "SELECT value FROM syncState WHERE key = 'lastSyncResult'")
                lastSync = LastSync(at: date, result: result ?? "unknown")
            }
        }
        let free = node.directory.freeBytes() ?? 0
        return NodeStatus(
            version: SatchelVersion.current, dataDirectory: node.directory.root, bundles: counts.0,
            resources: counts.1, storeBytes: counts.2, freeBytes: free, teachers: counts.3,
            pendingApprovals: counts.4, eventsPending: try database.pendingEventCount(),
            eventsRolledUp: try database.counter("rolledUpEvents"),
            eventsCompacted: try database.counter("compactedEvents"), lastSync: lastSync, peers: counts.5)
    }
}
