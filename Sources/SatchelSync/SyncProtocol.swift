import Foundation
import SatchelCore

/// The messages of sync protocol v1 between a node and the national platform (or a LAN peer); see
/// `docs/protocol.md`. Every body is JSON; event batches travel gzip-compressed.
public enum SyncProtocol {
    /// The protocol version both sides speak.
    public static let version = 1

    /// The largest event batch body on the wire, gzip or plain: the platform refuses a bigger one (413) before
    /// reading it, and `satchel-platform import` refuses a bigger USB file before reading it. A batch of 1000 events
    /// is about 20 KB of gzip.
    public static let maxBatchBytes = 1024 * 1024
    /// The most a batch may decompress to; decompression stops there.
    public static let maxBatchJSONBytes = 4 * 1024 * 1024
    /// The largest catalog answer a node reads from a platform or a peer (decompressed); the transfer stops there.
    public static let maxCatalogBytes = 8 * 1024 * 1024
    /// The largest other JSON answer (enrolment, cursor, push) a node reads, and the largest enrolment or health
    /// body the platform reads.
    public static let maxMessageBytes = 64 * 1024

    /// `POST /api/v1/enrol`: a one-time token from the platform, exchanged for a node id.
    public struct EnrolRequest: Codable, Sendable {
        public var token: String
        public var schoolCode: String
        /// The node's Ed25519 public key, base64; every later request is signed with the matching private key.
        public var publicKey: String
        public var nodeVersion: String

        public init(token: String, schoolCode: String, publicKey: String, nodeVersion: String) {
            self.token = token
            self.schoolCode = schoolCode
            self.publicKey = publicKey
            self.nodeVersion = nodeVersion
        }
    }

    /// The platform's answer to an enrolment, signed by the platform's own key. The node uses it only when
    /// `platformKey` has the fingerprint its token carries and `signature` verifies over ``signedBytes(nodePublicKey:)``.
    public struct EnrolResponse: Codable, Sendable {
        public var nodeId: String
        /// The publisher keys (base64) whose bundles the node should trust.
        public var publisherKeys: [String]
        public var platformName: String
        /// The platform's Ed25519 public key, base64 of its 32 raw bytes.
        public var platformKey: String
        /// Base64 of the platform key's Ed25519 signature over ``signedBytes(nodePublicKey:)``.
        public var signature: String
        /// The release keys (base64) whose Satchel releases the node should accept; absent from older platforms.
        public var releaseKeys: [String]?

        public init(
            nodeId: String, publisherKeys: [String], platformName: String, platformKey: String, signature: String,
            releaseKeys: [String]? = nil
        ) {
            self.nodeId = nodeId
            self.publisherKeys = publisherKeys
            self.releaseKeys = releaseKeys
            self.platformName = platformName
            self.platformKey = platformKey
            self.signature = signature
        }

        /// The bytes the platform signs: every field but the signature, and the public key of the node that asked,
        /// so an answer made for one node is no use to another. UTF-8 lines joined by `\n`, no trailing newline:
        /// `SATCHEL-ENROL-1`, the node id, the node's public key, the platform key, the platform name, then one line
        /// per publisher key, then `release ` and the key for each release key (none from an older platform, so its
        /// answers sign the same bytes as before).
        public func signedBytes(nodePublicKey: String) -> Data {
            let lines =
                ["SATCHEL-ENROL-1", nodeId, nodePublicKey, platformKey, platformName] + publisherKeys
                + (releaseKeys ?? []).map { "release " + $0 }
            return Data(lines.joined(separator: "\n").utf8)
        }
    }

    /// One event on the wire. Short keys keep batches small: `s` sequence, `i` id, `t` type, `o` time by the node's
    /// wall clock (seconds since 1970), `p` payload JSON. Optional, and absent from older nodes (an older platform
    /// ignores them): `b` boot id and `m` monotonic seconds the event was recorded at, `c` its corrected time (seconds
    /// since 1970) and `x` where the correction came from (`platform` or `phones`); see "Time correction" in
    /// `docs/protocol.md`.
    public struct WireEvent: Codable, Sendable, Hashable {
        public var s: Int64
        public var i: String
        public var t: String
        public var o: Double
        public var p: String
        public var b: String?
        public var m: Double?
        public var c: Double?
        public var x: String?

        public init(
            sequence: Int64, id: String, type: String, occurredAt: Double, payload: String, boot: BootInstant? = nil,
            corrected: (time: Double, source: ClockAnchor.Source)? = nil
        ) {
            s = sequence
            i = id
            t = type
            o = occurredAt
            p = payload
            b = boot?.bootId
            m = boot?.monotonic
            c = corrected?.time
            x = corrected?.source.rawValue
        }
    }

    /// `POST /api/v1/nodes/{id}/events`: events `from`...`to` (by sequence), gzip-compressed. `batchId` is the
    /// idempotency key: re-sending a batch (after a timeout, a crash, a restore) never counts an event twice.
    public struct EventBatch: Codable, Sendable {
        public var batchId: String
        public var nodeId: String
        public var from: Int64
        public var to: Int64
        public var events: [WireEvent]

        public init(batchId: String, nodeId: String, from: Int64, to: Int64, events: [WireEvent]) {
            self.batchId = batchId
            self.nodeId = nodeId
            self.from = from
            self.to = to
            self.events = events
        }
    }

    /// The platform's acknowledged cursor after a push, or when a node asks for it
    /// (`GET /api/v1/nodes/{id}/cursor`, e.g. after being restored from an old backup).
    public struct Cursor: Codable, Sendable {
        public var acknowledged: Int64
        /// Events in the batch the platform had not seen before.
        public var accepted: Int
        /// Events in the batch the platform already had.
        public var duplicates: Int

        public init(acknowledged: Int64, accepted: Int = 0, duplicates: Int = 0) {
            self.acknowledged = acknowledged
            self.accepted = accepted
            self.duplicates = duplicates
        }
    }

    /// One bundle version in a catalog: its exact signed manifest, so a node verifies it as it would an archive.
    public struct CatalogEntry: Codable, Sendable {
        public var cursor: Int64
        public var id: String
        public var version: Int
        /// base64 of the exact manifest bytes.
        public var manifest: String
        /// base64 of `manifest.sig`.
        public var signature: String

        public init(cursor: Int64, id: String, version: Int, manifest: String, signature: String) {
            self.cursor = cursor
            self.id = id
            self.version = version
            self.manifest = manifest
            self.signature = signature
        }
    }

    /// `GET /api/v1/catalog?since=CURSOR`: bundle versions published after `since`, and the cursor to ask from next.
    public struct Catalog: Codable, Sendable {
        public var cursor: Int64
        public var bundles: [CatalogEntry]

        public init(cursor: Int64, bundles: [CatalogEntry]) {
            self.cursor = cursor
            self.bundles = bundles
        }
    }

    /// `POST /api/v1/nodes/{id}/health`: sent at the end of each session.
    public struct HealthReport: Codable, Sendable {
        public var version: String
        public var freeBytes: Int64
        public var storeBytes: Int64
        public var eventsPending: Int
        public var bundles: Int
        public var lastErrors: [String]
        /// The installer's last outcome, in English (e.g. "Upgraded to 0.2.0-1 (...)"); absent from older nodes.
        public var upgrade: String?

        public init(
            version: String, freeBytes: Int64, storeBytes: Int64, eventsPending: Int, bundles: Int,
            lastErrors: [String], upgrade: String? = nil
        ) {
            self.upgrade = upgrade
            self.version = version
            self.freeBytes = freeBytes
            self.storeBytes = storeBytes
            self.eventsPending = eventsPending
            self.bundles = bundles
            self.lastErrors = lastErrors
        }
    }
}
