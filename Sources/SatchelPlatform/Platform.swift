import CompressNIO
import Foundation
import Hummingbird
import Logging
import NIOCore
import SatchelBundles
import SatchelCore
import SatchelStore
import SatchelSync

/// The reference national platform: enrols nodes, receives their events exactly once, publishes signed bundles and
/// serves their blobs. Real code on the node's own stack, so that a node can be run and tested end to end.
public struct Platform: Sendable {
    /// The platform's data directory.
    public let root: String
    /// Enrolment, events and the catalog: one SQLite file by default, or a PostgreSQL database shared by several
    /// platform processes.
    public let storage: any PlatformStorage
    /// A node-style store holding every published bundle's blobs, verified on publishing.
    public let store: Node
    /// The name nodes are told at enrolment.
    public var name = "Satchel reference platform"
    /// The training hours a teacher should complete in a year, which the monitoring pages compare with: 50 by
    /// default (教育部：中小学教师每年参加不少于 50 学时的培训).
    public var trainingTargetHours: Double = 50
    /// The platform's own Ed25519 key, which signs enrolment answers; kept in `<root>/platform.key` (mode 0600, the
    /// public half in `platform.key.pub`) and made on first start.
    private let signingKey: SigningKey

    /// The key file inside the data directory.
    public static let keyFileName = "platform.key"

    /// Opens (creating) the platform in `root`; `publisherKeys` (base64) are the keys whose bundles it publishes.
    /// Its state is kept in `storage`, or in `<root>/platform.sqlite` when none is given. The folder always holds the
    /// platform's key and the published bundles' blobs.
    public init(root: String, publisherKeys: [String] = [], storage: (any PlatformStorage)? = nil) throws {
        self.root = (root as NSString).standardizingPath
        try FileManager.default.createDirectory(atPath: self.root + "/archives", withIntermediateDirectories: true)
        let keyPath = self.root + "/" + Self.keyFileName
        if !FileManager.default.fileExists(atPath: keyPath) { try Self.createKey(at: keyPath) }
        signingKey = try SigningKey(contentsOf: keyPath)
        self.storage = try storage ?? PlatformDatabase(path: self.root + "/platform.sqlite")
        var configuration = SatchelCore.Configuration.defaults(dataDirectory: self.root + "/store")
        configuration.diskReserveBytes = 0
        configuration.trustedKeys = publisherKeys
        store = try Node.open(configuration: configuration)
    }

    /// Makes the platform's key at `path` unless another process got there first. The key is written whole under a
    /// name of its own and then hard-linked into place, which fails rather than replaces when `path` exists: processes
    /// starting together on an empty data folder all end up reading the one key that won.
    private static func createKey(at path: String) throws {
        let draft = path + ".new-" + UUID().uuidString
        try SigningKey().write(to: draft)
        defer {
            unlink(draft)
            unlink(draft + ".pub")
        }
        if link(draft, path) == 0 {
            guard rename(draft + ".pub", path + ".pub") == 0 else { throw PlatformError.keyUnwritable(path) }
        } else if errno != EEXIST {
            throw PlatformError.keyUnwritable(path)
        }
    }

    /// The publisher keys nodes should trust.
    public func publisherKeys() throws -> [String] {
        try store.trustedKeys().map(\.base64)
    }

    /// The release keys whose Satchel releases nodes should install; told to nodes at enrolment.
    public func releaseKeys() throws -> [String] {
        try store.releaseKeys().map(\.base64)
    }

    /// The fingerprint of the platform's key, which every enrolment token carries.
    public var fingerprint: String { EnrolmentToken.fingerprint(of: signingKey.publicKey.rawRepresentation) }

    /// A new one-time enrolment token for a school, as the technician types it: `<secret>.<fingerprint>`.
    /// `stages` are the 学段 the school teaches, for bundles published to chosen stages (``PublishTargets``).
    public func createToken(schoolCode: String, region: String = "", stages: [String] = []) async throws -> String {
        let region = try Region.normalized(region)
        let stages = try PublishTargets.stages(stages)
        return EnrolmentToken(
            secret: try await storage.createToken(schoolCode: schoolCode, region: region, stages: stages),
            fingerprint: fingerprint
        ).text
    }

    /// Releases the storage's connections; the platform is not used afterwards.
    public func close() async { await storage.close() }

    /// The signed answer to the enrolment of `nodeId`, whose key is `nodePublicKey`.
    public func enrolmentAnswer(nodeId: String, nodePublicKey: String) throws -> SyncProtocol.EnrolResponse {
        var answer = SyncProtocol.EnrolResponse(
            nodeId: nodeId, publisherKeys: try publisherKeys(), platformName: name,
            platformKey: signingKey.publicKey.base64, signature: "", releaseKeys: try releaseKeys())
        answer.signature = try signingKey.signature(for: answer.signedBytes(nodePublicKey: nodePublicKey))
            .base64EncodedString()
        return answer
    }

    /// The statement a certificate's verification code holds, checked against the key and school of the node that
    /// signed it; throws a ``CertificateError`` saying why the code is not valid.
    public func verifyCertificate(code: String) async throws -> CertificateStatement {
        // The statement names its node, whose key and school are looked up before the check itself.
        let nodeId = try? CertificateStatement(encoded: CertificateCode.parse(code).0).nodeId
        var enrolled: (publicKey: String, schoolCode: String)?
        if let nodeId { enrolled = try await storage.enrolledNode(id: nodeId) }
        return try CertificateStatement.verified(code: code) { id in
            (id == nodeId ? enrolled : nil).map {
                CertificateStatement.EnrolledNode(publicKey: $0.publicKey, schoolCode: $0.schoolCode)
            }
        }
    }

    /// Publishes a signed bundle: verifies and stores it, keeps the archive for USB exports, and adds it to the
    /// catalog. Returns the manifest.
    @discardableResult
    public func publish(archive path: String, targets: PublishTargets = .everyone) async throws -> Manifest {
        let report = try store.importer(stagesReleases: false).importBundle(at: path)
        let manifest = report.manifest
        guard let record = try store.database.bundle(id: manifest.id), record.version == manifest.version else {
            throw BundleError(
                code: .downgrade,
                message: LocalizedText(
                    zh: "平台上已有更新的版本。", en: "The platform already has a newer version of \(manifest.id)."))
        }
        let kept = root + "/archives/\(manifest.id)-\(manifest.version)." + Self.suffix(of: path)
        if !FileManager.default.fileExists(atPath: kept) {
            try FileManager.default.copyItem(atPath: path, toPath: kept)
        }
        try await storage.publish(
            bundleId: manifest.id, version: manifest.version, manifest: record.manifest,
            signature: record.signature, archive: kept, targets: targets)
        return manifest
    }

    /// The catalog after `since` as `school` sees it (nil: a reader that did not say which school it is, which sees
    /// only bundles published for everyone), with the cursor to ask from next time: the last entry read, seen or
    /// not, so that entries for other schools are not read again.
    public func catalog(
        since: Int64, for school: PublishTargets.School?
    ) async throws -> (cursor: Int64, entries: [CatalogRow]) {
        let rows = try await storage.catalog(since: since)
        return (rows.last?.cursor ?? since, rows.filter { $0.targets.reaches(school) })
    }

    /// Applies event files written by `satchel export` (a USB stick): each batch is checked against the node's key
    /// and stored exactly once. Returns the number of new events.
    public func importEvents(from folder: String) async throws -> Int {
        var added = 0
        for file in SneakernetFiles.batchFiles(in: folder) {
            // A batch file lies in a folder named after its node, whose key is looked up before the file is read.
            let folderNode = ((file as NSString).deletingLastPathComponent as NSString).lastPathComponent
            let key = try await storage.publicKey(node: folderNode)
            let batch = try SneakernetFiles.read(batch: file) { node in node == folderNode ? key : nil }
            guard
                let result = try await storage.receive(
                    batch.events.map { ReceivedEvent(wire: $0, receivedAt: Date()) }, batchId: batch.batchId,
                    node: batch.nodeId,
                    from: batch.from, to: batch.to)
            else {
                throw SyncError(
                    code: .badFile,
                    message: LocalizedText(
                        zh: "\(file) 与之前的数据不连续，请先导入更早的文件。",
                        en: "\(file) does not follow the events received so far; import the earlier files first."))
            }
            added += result.1
        }
        return added
    }

    /// Copies the archives of every published bundle version the node does not have yet (by the node's catalog
    /// cursor file, or everything) and that is published for its school into `folder`, for `satchel import` on the
    /// node. Nil for `node` copies what is published for everyone.
    public func exportBundles(to folder: String, node: String?, since cursor: Int64 = 0) async throws -> [String] {
        var school: PublishTargets.School?
        if let node {
            guard let found = try await storage.school(node: node) else {
                throw PlatformError(
                    code: .badRequest,
                    message: LocalizedText(
                        zh: "平台上没有编号为 \(node) 的学校服务器。", en: "No node \(node) is enrolled with this platform."))
            }
            school = found
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var written: [String] = []
        var newest: [String: (Int, String)] = [:]
        for entry in try await catalog(since: cursor, for: school).entries
        where (newest[entry.bundleId]?.0 ?? 0) < entry.version {
            newest[entry.bundleId] = (entry.version, entry.archive)
        }
        for (_, (_, archive)) in newest.sorted(by: { $0.key < $1.key }) {
            let target = folder + "/" + (archive as NSString).lastPathComponent
            if !FileManager.default.fileExists(atPath: target) {
                try FileManager.default.copyItem(atPath: archive, toPath: target)
            }
            written.append(target)
        }
        return written
    }

    static func suffix(of path: String) -> String {
        for suffix in ["tar.zst", "tar.gz", "tgz", "tar.xz", "tar", "zip"]
        where path.lowercased().hasSuffix("." + suffix) {
            return suffix
        }
        return "bundle"
    }
}
