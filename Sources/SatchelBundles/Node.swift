import Foundation
import Logging
import SatchelCore
import SatchelStore

/// A node's local state opened from its configuration: the data directory, the database and the trusted keys.
///
/// Every command and the server open the node the same way, through ``open(configuration:logger:)``.
public struct Node: Sendable {
    /// The settings the node was opened with.
    public let configuration: Configuration
    /// The data directory's layout.
    public let directory: DataDirectory
    /// The database.
    public let database: SatchelDatabase
    /// The blob store.
    public var blobStore: BlobStore { BlobStore(directory: directory) }

    /// Assembles a node from parts that are already open.
    public init(configuration: Configuration, directory: DataDirectory, database: SatchelDatabase) {
        self.configuration = configuration
        self.directory = directory
        self.database = database
    }

    /// Opens (creating when needed) the node in `configuration.dataDirectory`, migrates the database, and, when no
    /// import is running, empties staging and collects unreferenced blobs left by an interrupted import.
    public static func open(configuration: Configuration, logger: Logger = Logger(label: "satchel")) throws -> Node {
        let directory = DataDirectory(root: configuration.dataDirectory)
        try directory.create()
        let database = try SatchelDatabase(path: directory.databasePath)
        let node = Node(configuration: configuration, directory: directory, database: database)
        node.recoverInterruptedImports(logger: logger)
        return node
    }

    /// Cleans what an interrupted import left behind; does nothing while another process imports.
    ///
    /// Only an import killed part-way leaves staging entries, and only then can unreferenced blobs exist, so the
    /// blob store is scanned only in that case: a normal start stays fast and small on a large store.
    public func recoverInterruptedImports(logger: Logger) {
        guard let lock = try? directory.lockForImport(wait: false) else { return }
        defer { withExtendedLifetime(lock) {} }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.stagingPath)) ?? []
        guard !names.isEmpty else { return }
        for name in names { try? FileManager.default.removeItem(atPath: directory.stagingPath + "/" + name) }
        if let referenced = try? database.referencedBlobs() {
            let collected = blobStore.collectGarbage(keeping: referenced)
            logger.notice(
                "cleaned up after an interrupted import",
                metadata: ["satchel.staging.removed": "\(names.count)", "satchel.blobs.removed": "\(collected.blobs)"]
            )
        }
    }

    /// The publisher keys this node accepts: those in the config file and those added with `satchel trust add` or
    /// learned at enrolment.
    public func trustedKeys() throws -> [PublisherKey] {
        try keys(configured: configuration.trustedKeys, purpose: .publisher)
    }

    /// The release keys whose `software` bundles this node accepts and stages: those in the config file's
    /// `releaseKeys` and those learned at enrolment. The installer, which runs as root, trusts only the config file's
    /// (see ``ReleaseStager``).
    public func releaseKeys() throws -> [PublisherKey] {
        try keys(configured: configuration.releaseKeys, purpose: .release)
    }

    private func keys(configured: [String], purpose: TrustedKeyRecord.Purpose) throws -> [PublisherKey] {
        var keys = try configured.map { try PublisherKey(base64: $0) }
        for record in try database.trustedKeys() where record.purpose == purpose {
            if let key = try? PublisherKey(base64: record.publicKey), !keys.contains(key) { keys.append(key) }
        }
        return keys
    }

    /// An importer that uses this node's limits and keys.
    public func importer(
        allowDowngrade: Bool = false, stagesReleases: Bool = true, logger: Logger = Logger(label: "satchel.bundles")
    ) throws
        -> BundleImporter
    {
        var options = BundleImporter.Options(configuration: configuration, allowDowngrade: allowDowngrade)
        options.stagesReleases = stagesReleases
        return BundleImporter(
            directory: directory, database: database, trustedKeys: try trustedKeys(), releaseKeys: try releaseKeys(),
            options: options, logger: logger
        )
    }
}
