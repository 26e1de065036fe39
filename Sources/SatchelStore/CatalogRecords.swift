import Foundation
import GRDB
import SatchelCore

/// An installed bundle: the version that is being served now.
public struct BundleRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "bundle"

    public var id: String
    public var version: Int
    public var titleZh: String
    public var titleEn: String
    public var kind: String
    public var publisherKey: String
    public var created: String
    public var installedAt: Date
    public var totalSize: Int64
    public var fileCount: Int
    /// The exact signed manifest bytes.
    public var manifest: Data
    /// The publisher's signature over ``manifest``.
    public var signature: Data

    /// The title in both languages.
    public var title: LocalizedText { LocalizedText(zh: titleZh, en: titleEn) }
}

/// One file of an installed bundle, pointing at its blob.
public struct BundleFileRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "bundleFile"

    public var bundleId: String
    public var path: String
    public var sha256: String
    public var size: Int64
    public var mediaType: String
}

/// One resource of an installed bundle, with its classification.
public struct ResourceRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "resource"

    public var bundleId: String
    public var id: String
    public var titleZh: String
    public var titleEn: String
    public var type: String
    public var stage: String?
    public var grade: String?
    public var subject: String?
    public var edition: String?
    public var term: String?
    public var language: String?
    public var entry: String
    public var descriptionZh: String?
    public var descriptionEn: String?
    /// Tags joined with newlines.
    public var tags: String?
    public var creditHours: Double?
    /// The size of the entry file, shown before a download.
    public var entrySize: Int64
    public var updatedAt: Date
    /// The minutes a training module asks for, where its publisher set them.
    public var minimumMinutes: Double?
    /// The module's quiz as JSON (``Manifest/Quiz``), answers included: never sent to a client as it is.
    public var quiz: String?
    /// 单元, the level under the term, where the bundle names one.
    public var unit: String?

    /// The title in both languages.
    public var title: LocalizedText { LocalizedText(zh: titleZh, en: titleEn) }

    /// The seconds a teacher must spend in this module before completing it (see ``Manifest/Resource/minimumSeconds``).
    public var minimumSeconds: Int {
        Manifest.Resource.minimumSeconds(minimumMinutes: minimumMinutes, creditHours: creditHours)
    }

    /// The module's quiz, or nil when it has none (or its stored JSON cannot be read).
    public var decodedQuiz: Manifest.Quiz? {
        quiz.flatMap { try? JSONDecoder().decode(Manifest.Quiz.self, from: Data($0.utf8)) }
    }
}

/// A publisher key this node accepts bundles from.
public struct TrustedKeyRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trustedKey"

    /// The first 16 hex digits of the SHA-256 of the public key.
    public var keyId: String
    /// The base64 of the 32-byte Ed25519 public key.
    public var publicKey: String
    /// A name for people, such as the file it came from.
    public var label: String
    public var addedAt: Date
    /// What the key may sign.
    public var purpose: Purpose

    /// What a trusted key may sign.
    public enum Purpose: String, Codable, Sendable, Hashable {
        /// Curriculum and training bundles.
        case publisher
        /// Satchel releases: `software` bundles, which the node installs as root.
        case release
    }

    /// Creates a record for a key.
    public init(keyId: String, publicKey: String, label: String, addedAt: Date, purpose: Purpose = .publisher) {
        self.keyId = keyId
        self.publicKey = publicKey
        self.label = label
        self.addedAt = addedAt
        self.purpose = purpose
    }
}

/// What serving one bundle file needs, read in one prepared statement: its blob, size and type, when its bundle
/// was installed, and the resource whose entry it is, if any.
public struct ContentFileRecord: Sendable, Hashable {
    public var sha256: String
    public var size: Int64
    public var mediaType: String
    public var installedAt: Date
    /// The resource this file is the entry of; nil for assets (images, styles, scripts).
    public var resourceId: String?
}

/// One event of the log as stored: its sequence, id, type, time and JSON payload.
public struct StoredEvent: Sendable, Hashable {
    public var sequence: Int64
    public var id: String
    public var type: String
    public var occurredAt: Date
    public var payload: String
    /// The boot instant the event was recorded at, when it was stamped with one.
    public var boot: BootInstant?
}
