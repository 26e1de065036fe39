import Foundation

/// The platform's state as operations: enrolment tokens, nodes, received events (stored once by event id), pushed
/// batches (once per node and batch id), health reports and the published catalog.
///
/// Two real implementations keep it: ``PlatformDatabase`` (one SQLite file, the embedded default) and
/// ``PostgresPlatformDatabase`` (any number of platform processes on one PostgreSQL). Both give the same answer to the
/// same calls, so no answer depends on which one, or which process, served it.
public protocol PlatformStorage: Sendable {
    /// A new one-time enrolment secret for a school.
    func createToken(schoolCode: String) async throws -> String

    /// Uses a token: registers the node's key and returns its new id, or nil when the token is unknown, for another
    /// school, or was used by another key. The same key presenting the token again gets the same id.
    func enrol(token: String, schoolCode: String, publicKey: String) async throws -> String?

    /// A node's registered public key (base64), or nil for an unknown node.
    func publicKey(node: String) async throws -> String?

    /// The key and school of an enrolled node, or nil when no node has that id.
    func enrolledNode(id: String) async throws -> (publicKey: String, schoolCode: String)?

    /// Stores a batch of events exactly once, in one transaction, and returns the node's cursor with the counts of
    /// new and duplicate events; nil when the batch starts after the cursor (a gap). A batch id the node used before
    /// changes nothing; an event id seen before is not stored again; the cursor only moves forward.
    func receive(
        _ batch: [ReceivedEvent], batchId: String, node: String, from: Int64, to: Int64
    ) async throws -> (Int64, Int, Int)?

    /// The occurrence times of a node's received events, by sequence: its raw clock and the corrected time reported.
    func occurrences(node: String) async throws -> [Occurrence]

    /// The acknowledged cursor of a node (0 for an unknown node).
    func cursor(node: String) async throws -> Int64

    /// Records a node's health report.
    func recordHealth(node: String, json: String) async throws

    /// Adds a published bundle version to the catalog; publishing the same version again changes nothing.
    func publish(bundleId: String, version: Int, manifest: Data, signature: Data, archive: String) async throws

    /// Catalog entries after `since`, oldest first. A cursor once answered is never followed by a smaller one.
    func catalog(
        since: Int64
    ) async throws -> [(
        cursor: Int64, bundleId: String, version: Int, manifest: Data, signature: Data, archive: String
    )]

    /// Figures for `satchel-platform status` and the platform's front page.
    func status() async throws -> PlatformStatus

    /// Releases connections; the storage is not used afterwards.
    func close() async
}

/// The platform's state for scripts: `eventsReceived` counts distinct events.
public struct PlatformStatus: Codable, Sendable, Equatable {
    /// One node and how far its events have arrived.
    public struct NodeCursor: Codable, Sendable, Equatable {
        /// The node's id.
        public var id: String
        /// The school it was enrolled for.
        public var schoolCode: String
        /// The highest sequence number acknowledged to it.
        public var acknowledged: Int64
    }
    /// Distinct events stored.
    public var eventsReceived: Int
    /// Every node, by id in byte order.
    public var nodes: [NodeCursor]
    /// Published bundle versions.
    public var bundles: Int
}
