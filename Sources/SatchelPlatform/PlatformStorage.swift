import Foundation

/// The platform's state as operations: enrolment tokens, nodes, received events (stored once by event id), pushed
/// batches (once per node and batch id), health reports and the published catalog.
///
/// Two real implementations keep it: ``PlatformDatabase`` (one SQLite file, the embedded default) and
/// ``PostgresPlatformDatabase`` (any number of platform processes on one PostgreSQL). Both give the same answer to the
/// same calls, so no answer depends on which one, or which process, served it.
public protocol PlatformStorage: Sendable {
    /// A new one-time enrolment secret for a school in `region` (``Region``; "" when none is given) that teaches
    /// `stages` (empty when not given): the node enrolled with it belongs to that region and has those stages.
    func createToken(schoolCode: String, region: String, stages: [String]) async throws -> String

    /// Uses a token: registers the node's key and returns its new id, or nil when the token is unknown, for another
    /// school, or was used by another key. The same key presenting the token again gets the same id.
    func enrol(token: String, schoolCode: String, publicKey: String) async throws -> String?

    /// A node's registered public key (base64), or nil for an unknown node.
    func publicKey(node: String) async throws -> String?

    /// The key and school of an enrolled node, or nil when no node has that id.
    func enrolledNode(id: String) async throws -> (publicKey: String, schoolCode: String)?

    /// The region and stages of an enrolled node's school, for targeted publishing; nil for an unknown node.
    func school(node: String) async throws -> PublishTargets.School?

    /// Stores a batch of events exactly once, in one transaction, and returns the node's cursor with the counts of
    /// new and duplicate events; nil when the batch starts after the cursor (a gap). A batch id the node used before
    /// changes nothing; an event id seen before is not stored again; the cursor only moves forward. The events stored
    /// are added to the monitoring aggregates (``MonitoringDelta``) in the same transaction.
    func receive(
        _ batch: [ReceivedEvent], batchId: String, node: String, from: Int64, to: Int64
    ) async throws -> (Int64, Int, Int)?

    /// The occurrence times of a node's received events, by sequence: its raw clock and the corrected time reported.
    func occurrences(node: String) async throws -> [Occurrence]

    /// The acknowledged cursor of a node (0 for an unknown node).
    func cursor(node: String) async throws -> Int64

    /// Records a node's health report, with the fields the fleet page shows (``Monitoring/HealthSummary``).
    func recordHealth(node: String, json: String) async throws

    /// Adds a published bundle version to the catalog for `targets`, and its resources' titles, subjects and grades
    /// to what monitoring groups usage by (the newest version's win); publishing the same version again changes
    /// nothing.
    func publish(
        bundleId: String, version: Int, manifest: Data, signature: Data, archive: String, targets: PublishTargets
    ) async throws

    /// Catalog entries after `since`, oldest first, for every target. A cursor once answered is never followed by a
    /// smaller one.
    func catalog(since: Int64) async throws -> [CatalogRow]

    /// Figures for `satchel-platform status` and the platform's front page, for the schools in `region` and below
    /// it ("" for every school; the events and bundles counted are the region's schools' and all published).
    func status(within region: String) async throws -> PlatformStatus

    /// Usage of the schools in `region` and below it ("" for all), summed by `dimension` from the weekly
    /// aggregates, most views first (weeks: newest first), at most `limit` totals.
    func usage(
        within region: String, by dimension: Monitoring.UsageDimension, limit: Int
    ) async throws -> [Monitoring.UsageTotal]

    /// The queries that found nothing in the schools of `region`, most searched first, at most `limit`.
    func unansweredSearches(within region: String, limit: Int) async throws -> [Monitoring.UnansweredSearch]

    /// Every teacher of the schools in `region` (removed ones left out) with the training hours credited for modules
    /// completed in `year` (Beijing time), 0 for none.
    func trainingHours(within region: String, year: Int) async throws -> [Monitoring.TeacherHours]

    /// The health of every node in `region`, by id.
    func fleet(within region: String) async throws -> [Monitoring.NodeHealth]

    /// Adds an operator with a password hash; false when the user name is taken.
    func addOperator(_ operator: Operator, passwordHash: String) async throws -> Bool

    /// Every operator, by user name.
    func operators() async throws -> [Operator]

    /// Removes an operator with their sessions and API tokens; false when there is no such operator.
    func removeOperator(username: String) async throws -> Bool

    /// An operator and their password hash, for logging in.
    func operatorLogin(username: String) async throws -> (Operator, passwordHash: String)?

    /// Keeps the SHA-256 (hex) of a session or API token of an operator, valid until `expiresAt` (nil: until the
    /// operator is removed).
    func storeCredential(hash: String, username: String, expiresAt: Date?) async throws

    /// The operator whose unexpired session or API token has this SHA-256 (hex), if any.
    func operatorFor(credentialHash: String) async throws -> Operator?

    /// Forgets a session or token.
    func removeCredential(hash: String) async throws

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
        /// The school's region (``Region``), "" when its token named none.
        public var region: String
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
