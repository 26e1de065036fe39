import Foundation
import GRDB
import SatchelBundles
import SatchelCore
import SatchelStore

/// What `satchel status --json` and the admin status page report. The JSON keys are stable for scripts: every key
/// is always present, `null` where the value is unknown (a node that never synced has `"lastSync": null`).
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
    /// Bytes sync has sent over the network since the node was set up, transfers that broke off included.
    public var syncBytesSent: Int64 = 0
    /// Bytes sync has received over the network since the node was set up, aborted downloads included.
    public var syncBytesReceived: Int64 = 0
    /// The web addresses teachers open (`http://192.168.1.20:8080/`); filled in by the command that knows how the
    /// server listens, empty otherwise.
    public var addresses: [String] = []
    /// The Satchel release waiting for the installer, if any.
    public var upgradeWaiting: String?
    /// What the installer did last (``UpgradeOutcome``), if it has run.
    public var lastUpgrade: UpgradeOutcome?

    private enum CodingKeys: String, CodingKey {
        case version, dataDirectory, bundles, resources, storeBytes, freeBytes, teachers, pendingApprovals
        case eventsPending, eventsRolledUp, eventsCompacted, lastSync, peers, addresses, syncBytesSent
        case syncBytesReceived, upgradeWaiting, lastUpgrade
    }

    /// Encodes every key, with `null` for an unknown value instead of leaving the key out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(dataDirectory, forKey: .dataDirectory)
        try container.encode(bundles, forKey: .bundles)
        try container.encode(resources, forKey: .resources)
        try container.encode(storeBytes, forKey: .storeBytes)
        try container.encode(freeBytes, forKey: .freeBytes)
        try container.encode(teachers, forKey: .teachers)
        try container.encode(pendingApprovals, forKey: .pendingApprovals)
        try container.encode(eventsPending, forKey: .eventsPending)
        try container.encode(eventsRolledUp, forKey: .eventsRolledUp)
        try container.encode(eventsCompacted, forKey: .eventsCompacted)
        try container.encode(lastSync, forKey: .lastSync)
        try container.encode(peers, forKey: .peers)
        try container.encode(addresses, forKey: .addresses)
        try container.encode(syncBytesSent, forKey: .syncBytesSent)
        try container.encode(syncBytesReceived, forKey: .syncBytesReceived)
        try container.encode(upgradeWaiting, forKey: .upgradeWaiting)
        try container.encode(lastUpgrade, forKey: .lastUpgrade)
    }

    /// The last sync session's outcome.
    public struct LastSync: Codable, Sendable {
        public var at: Date
        public var result: String
        /// `network` or `platform` when the session failed and the error tells which side did (``FailingSide``);
        /// null otherwise.
        public var failingSide: String?

        private enum CodingKeys: String, CodingKey { case at, result, failingSide }

        /// Encodes every key, with `null` for no failing side.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(at, forKey: .at)
            try container.encode(result, forKey: .result)
            try container.encode(failingSide, forKey: .failingSide)
        }
    }

    /// Reads the status of a node from its database and data directory.
    public static func read(node: Node) throws -> NodeStatus {
        let database = node.database
        let counts = try database.counts()
        var lastSync: LastSync?
        if let at = try database.syncValue("lastSyncAt"), let date = ISO8601DateFormatter().date(from: at) {
            lastSync = LastSync(
                at: date, result: try database.syncValue("lastSyncResult") ?? "unknown",
                failingSide: try database.syncValue("lastSyncFailingSide"))
        }
        let free = node.directory.freeBytes() ?? 0
        var status = NodeStatus(
            version: ReleaseStager.installedPackageVersion() ?? SatchelVersion.current,
            dataDirectory: node.directory.root, bundles: counts.bundles,
            resources: counts.resources, storeBytes: counts.storeBytes, freeBytes: free, teachers: counts.teachers,
            pendingApprovals: counts.pendingTeachers, eventsPending: try database.pendingEventCount(),
            eventsRolledUp: try database.counter("rolledUpEvents"),
            eventsCompacted: try database.counter("compactedEvents"), lastSync: lastSync, peers: try database.peerURLs()
        )
        status.syncBytesSent = try database.counter("wireBytesSent")
        status.syncBytesReceived = try database.counter("wireBytesReceived")
        let stager = ReleaseStager(directory: node.directory)
        status.upgradeWaiting = stager.pendingVersion()
        status.lastUpgrade = stager.outcome()
        return status
    }
}
