import Foundation
import Logging
import SatchelCore
import SatchelStore

/// Imports signed bundles into the blob store and the catalog: `satchel import`, USB sticks and sync all come here.
///
/// Each archive is read once, streaming. The signature is checked against trusted keys, every entry is checked
/// against the manifest and hashed while it is written into staging, and only a complete, verified bundle is moved
/// into the blob store and committed to the catalog in one transaction. Anything wrong rejects the whole bundle and
/// empties staging.
public struct BundleImporter: Sendable {
    /// Limits and choices for an import.
    public struct Options: Sendable, Codable {
        /// Accept a version older than the installed one.
        public var allowDowngrade = false
        /// Free space an import must leave on the data disk.
        public var diskReserveBytes: Int64 = 500 * 1024 * 1024
        /// The most the blob store may hold; 0 for no quota.
        public var storeQuotaBytes: Int64 = 0
        /// The largest bundle accepted, in unpacked bytes.
        public var maxBundleBytes: Int64 = 64 * 1024 * 1024 * 1024
        /// The highest ratio of unpacked to packed bytes accepted once more than ``ratioCheckThreshold`` bytes have
        /// been unpacked; beyond it the archive is treated as a compression bomb.
        public var maxCompressionRatio: Int64 = 1000
        /// Unpacked bytes after which the compression ratio is checked.
        public var ratioCheckThreshold: Int64 = 64 * 1024 * 1024
        /// The most entries staged unchecked before `manifest.json` and `manifest.sig` have been read and verified;
        /// later ones are read without being written and staged in a second pass.
        public var maxEntriesBeforeManifest = 1000
        /// The most bytes staged unchecked before the manifest has been read and verified.
        public var maxBytesBeforeManifest: Int64 = 64 * 1024 * 1024
        /// The address space the archive worker may use (RLIMIT_AS); past it the C library's allocations fail and the
        /// import is rejected.
        public var workerMemoryBytes: Int64 = 512 * 1024 * 1024
        /// How long the archive worker may go without reading any further before it is killed and the import is
        /// rejected.
        public var workerStallSeconds = 30
        /// Whether an installed Satchel release is staged for this machine's installer (``ReleaseStager``); the
        /// platform, which only passes releases on, turns it off.
        public var stagesReleases = true

        public init() {}

        /// Options taken from the node's configuration.
        public init(configuration: Configuration, allowDowngrade: Bool = false) {
            self.allowDowngrade = allowDowngrade
            diskReserveBytes = configuration.diskReserveBytes
            storeQuotaBytes = configuration.storeQuotaBytes
            maxBundleBytes = configuration.maxBundleBytes
        }
    }

    /// How far an import has got, for progress displays.
    public struct Progress: Sendable, Codable {
        /// Entries read so far.
        public var files: Int
        /// Unpacked bytes read so far.
        public var bytes: Int64
        /// Packed bytes of the archive read so far.
        public var archiveBytesRead: Int64
        /// The archive file's size.
        public var archiveSize: Int64
    }

    /// What an import did.
    public struct Report: Sendable {
        /// What happened.
        public enum Outcome: Sendable, Equatable {
            /// The bundle was installed; `previousVersion` is the version it replaced, if any.
            case installed(previousVersion: Int?)
            /// The same version with the same manifest was already installed; nothing changed.
            case alreadyInstalled
        }

        public var archive: String
        public var manifest: Manifest
        public var outcome: Outcome
        /// Blobs written to the store.
        public var blobsAdded: Int
        /// Bytes written to the store.
        public var bytesAdded: Int64
        /// Files whose blob the store already had (shared with another bundle or version).
        public var filesReused: Int
        /// Blobs deleted because no installed bundle needs them any more.
        public var blobsCollected: Int
        public var seconds: Double
    }

    let directory: DataDirectory
    let database: SatchelDatabase
    let trustedKeys: [PublisherKey]
    let releaseKeys: [PublisherKey]
    let options: Options
    private let logger: Logger

    /// Creates an importer for a data directory.
    ///
    /// - Parameters:
    ///   - trustedKeys: the publisher keys whose signatures are accepted on curriculum and training bundles.
    ///   - releaseKeys: the keys whose signatures are accepted on Satchel releases (`software` bundles).
    public init(
        directory: DataDirectory, database: SatchelDatabase, trustedKeys: [PublisherKey],
        releaseKeys: [PublisherKey] = [], options: Options, logger: Logger = Logger(label: "satchel.bundles")
    ) {
        self.directory = directory
        self.database = database
        self.trustedKeys = trustedKeys
        self.releaseKeys = releaseKeys
        self.options = options
        self.logger = logger
    }

    /// Imports one bundle archive.
    ///
    /// - Throws: ``BundleError`` naming the archive, the entry and the reason; the store and catalog are unchanged.
    public func importBundle(at path: String, progress: (@Sendable (Progress) -> Void)? = nil) throws -> Report {
        let started = Date()
        try directory.create()
        let lock = try directory.lockForImport()
        defer { withExtendedLifetime(lock) {} }
        let stagingRoot = directory.stagingPath + "/import-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: stagingRoot, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: stagingRoot) }

        let result = try ArchiveWorker(
            request: ArchiveWorker.Request(
                archivePath: path, stagingRoot: stagingRoot, dataRoot: directory.root,
                trustedKeys: trustedKeys.map(\.base64), releaseKeys: releaseKeys.map(\.base64), options: options)
        ).run(progress: progress)
        var report = Report(
            archive: path, manifest: result.manifest, outcome: .alreadyInstalled, blobsAdded: 0, bytesAdded: 0,
            filesReused: result.filesReused, blobsCollected: 0, seconds: 0
        )
        if !result.alreadyInstalled {
            let previous = try database.bundle(id: result.manifest.id)?.version
            let store = BlobStore(directory: directory)
            if !result.staged.isEmpty {
                try FileSystem.syncFileSystem(containing: stagingRoot)
                for (sha, _) in result.staged {
                    try store.adopt(stagedFile: stagingRoot + "/" + sha, sha256: sha)
                }
                try FileSystem.syncFileSystem(containing: directory.blobsPath)
            }
            try database.install(
                manifest: result.manifest, manifestData: result.manifestData, signature: result.signature)
            let collected = store.collectGarbage(keeping: try database.referencedBlobs())
            report.outcome = .installed(previousVersion: previous)
            report.blobsAdded = result.staged.count
            report.bytesAdded = result.staged.values.reduce(0, +)
            report.blobsCollected = collected.blobs
        }
        // Also for a release installed before: after a manual downgrade or a power cut before staging, importing it
        // again offers it to the installer again (staging skips a version that runs, waits or failed already).
        try stageRelease(result.manifest, manifestData: result.manifestData, signature: result.signature)
        report.seconds = Date().timeIntervalSince(started)
        logger.info(
            "bundle import finished",
            metadata: [
                "satchel.bundle": "\(result.manifest.id)", "satchel.bundle.version": "\(result.manifest.version)",
                "satchel.bundle.outcome": "\(report.outcome)", "satchel.bundle.bytesAdded": "\(report.bytesAdded)",
            ]
        )
        return report
    }

    /// Stages an installed Satchel release for this machine's installer; does nothing for other kinds.
    @discardableResult
    func stageRelease(_ manifest: Manifest, manifestData: Data, signature: Data) throws -> ReleaseStager.Decision? {
        guard options.stagesReleases, manifest.kind == .software, let release = manifest.release,
            let file = manifest.files.first(where: { $0.path == release.package })
        else { return nil }
        let decision = try ReleaseStager(directory: directory).stage(
            manifest: manifest, manifestData: manifestData, signature: signature,
            packageFile: BlobStore(directory: directory).path(for: file.sha256))
        // Every start and every import of the same release come here; only a new staging is news.
        logger.log(
            level: decision == .staged ? .notice : .debug, "satchel release handed to the installer",
            metadata: ["satchel.release": "\(release.packageVersion)", "satchel.release.decision": "\(decision)"])
        return decision
    }

    /// Stages the newest installed Satchel release again, in case the node stopped between installing it and
    /// staging it; the service calls this when it starts. Staging is skipped when the node runs that version, it
    /// failed before, or it waits already.
    @discardableResult
    public func stageNewestRelease() throws -> ReleaseStager.Decision? {
        let releases = try database.bundles().filter { $0.kind == Manifest.BundleKind.software.rawValue }
        guard let newest = releases.max(by: { $0.version < $1.version }),
            let manifest = try? Manifest.decode(newest.manifest)
        else { return nil }
        return try stageRelease(manifest, manifestData: newest.manifest, signature: newest.signature)
    }

    /// The bundle archives in `paths`: files are taken as they are, folders (a USB stick's mount point) are searched
    /// up to four levels deep for files ending in `.tar.zst`, `.tzst`, `.tar.gz`, `.tgz`, `.tar.xz`, `.tar` or `.zip`.
    public static func findArchives(in paths: [String]) -> [String] {
        let suffixes = [".tar.zst", ".tzst", ".tar.gz", ".tgz", ".tar.xz", ".tar", ".zip", ".satchel"]
        var result: [String] = []
        func search(_ folder: String, depth: Int) {
            guard depth <= 4, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
            for name in names.sorted() where !name.hasPrefix(".") {
                let path = folder + "/" + name
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    search(path, depth: depth + 1)
                } else if suffixes.contains(where: { name.lowercased().hasSuffix($0) }) {
                    result.append(path)
                }
            }
        }
        for path in paths {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                search((path as NSString).standardizingPath, depth: 0)
            } else {
                result.append(path)
            }
        }
        return result
    }
}
