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
        let counts = try database.counts()
        var lastSync: LastSync?
        if let at = try database.syncValue("lastSyncAt"), let date = ISO8601DateFormatter().date(from: at) {
            lastSync = LastSync(at: date, result: try database.syncValue("lastSyncResult") ?? "unknown")
        }
        let free = node.directory.freeBytes() ?? 0
        return NodeStatus(
            version: SatchelVersion.current, dataDirectory: node.directory.root, bundles: counts.bundles,
            resources: counts.resources, storeBytes: counts.storeBytes, freeBytes: free, teachers: counts.teachers,
            pendingApprovals: counts.pendingTeachers, eventsPending: try database.pendingEventCount(),
            eventsRolledUp: try database.counter("rolledUpEvents"),
            eventsCompacted: try database.counter("compactedEvents"), lastSync: lastSync, peers: try database.peerURLs()
        )
    }
}
