import Foundation
import SatchelCore
import SatchelStore

/// One pass over one archive (two when the manifest comes late): reads, checks and stages every entry. It writes only
/// inside its staging folder; the importer commits what it staged. It runs in the archive worker, a child process (see
/// ``ArchiveWorker``).
///
/// Entries that come before `manifest.json` and `manifest.sig` are staged unchecked only up to
/// ``BundleImporter/Options/maxEntriesBeforeManifest`` entries and ``BundleImporter/Options/maxBytesBeforeManifest``
/// bytes; past that they are read without being written, and once the manifest is verified the archive is read a
/// second time for those entries alone.
final class ImportSession {
    struct Result {
        var manifest: Manifest
        var manifestData: Data
        var signature: Data
        /// Blobs written to staging as `<stagingRoot>/<sha256>`, with their sizes.
        var staged: [String: Int64]
        var filesReused: Int
        var alreadyInstalled: Bool
    }

    private struct Pending {
        var path: String
        var stagedFile: String
        var sha256: String
        var size: Int64
    }

    private let archivePath: String
    private let stagingRoot: String
    private let blobStore: BlobStore
    private let database: SatchelDatabase
    private let trustedKeys: [PublisherKey]
    private let releaseKeys: [PublisherKey]
    private let options: BundleImporter.Options
    private let progress: (@Sendable (BundleImporter.Progress) -> Void)?

    private var manifestData: Data?
    private var signatureData: Data?
    private var manifest: Manifest?
    private var filesByPath: [String: Manifest.File] = [:]
    private var seenPaths = Set<String>()
    private var pending: [Pending] = []
    private var pendingBytes: Int64 = 0
    /// Entries read without being written because they came before the manifest, past the pending limits.
    private var skipped = Set<String>()
    private var staged: [String: Int64] = [:]
    private var filesReused = 0
    private var unpackedBytes: Int64 = 0
    private var entryCount = 0
    private var archiveSize: Int64 = 0
    private var lastSpaceCheck: Int64 = 0
    private var lastProgress = Date.distantPast

    init(
        archivePath: String, stagingRoot: String, blobStore: BlobStore, database: SatchelDatabase,
        trustedKeys: [PublisherKey], releaseKeys: [PublisherKey], options: BundleImporter.Options,
        progress: (@Sendable (BundleImporter.Progress) -> Void)?
    ) {
        self.archivePath = archivePath
        self.stagingRoot = stagingRoot
        self.blobStore = blobStore
        self.database = database
        self.trustedKeys = trustedKeys
        self.releaseKeys = releaseKeys
        self.options = options
        self.progress = progress
    }

    func run() throws -> Result {
        guard FileManager.default.isReadableFile(atPath: archivePath) else {
            throw BundleError(
                code: .io,
                message: LocalizedText(
                    zh: "找不到或无法读取 \(archivePath)。请检查路径和 U 盘是否已挂载。",
                    en: "Cannot find or read \(archivePath). Check the path and that the USB stick is mounted."
                )
            )
        }
        archiveSize = (try? FileManager.default.attributesOfItem(atPath: archivePath)[.size] as? Int64) ?? 0
        try checkFreeSpace(needed: 0)
        let reader = try ArchiveReader(path: archivePath)
        if let early = try readEntries(reader) { return early }
        guard manifestData != nil else {
            throw reject(
                .missingEntry, nil, "it has no manifest.json at its root; it is not a Satchel bundle",
                "根目录没有 manifest.json，不是 Satchel 软件包")
        }
        guard signatureData != nil else {
            throw reject(.badSignature, nil, "it has no manifest.sig, so it is not signed", "没有 manifest.sig，未签名")
        }
        guard let manifest else {
            throw reject(.badSignature, nil, "the manifest could not be verified", "无法验证清单")
        }
        reportProgress(reader, force: true)
        if !skipped.isEmpty { try stageSkippedEntries() }
        for file in manifest.files where !seenPaths.contains(file.path) {
            throw reject(
                .missingEntry, file.path, "the manifest lists it but the archive does not hold it",
                "清单中列出了该文件，但归档中没有")
        }
        return Result(
            manifest: manifest, manifestData: manifestData!, signature: signatureData!, staged: staged,
            filesReused: filesReused, alreadyInstalled: false
        )
    }

    /// The first pass: every entry's header is checked, and its data staged, held for the manifest, or skipped.
    /// Returns a result when the import can stop early (already installed).
    private func readEntries(_ reader: ArchiveReader) throws -> Result? {
        while let entry = try reader.nextEntry() {
            entryCount += 1
            guard entryCount <= BundleLimits.maxFiles + 2 else {
                throw reject(
                    .tooLarge, nil, "it has more than \(BundleLimits.maxFiles) entries",
                    "条目超过 \(BundleLimits.maxFiles) 个")
            }
            guard let rawPath = entry.path else {
                throw reject(.unsafeEntry, "?", "its name is not valid UTF-8", "文件名不是有效的 UTF-8")
            }
            switch entry.kind {
            case .file:
                break
            case .directory:
                // `tar -C folder .` stores the folder itself as "./".
                if rawPath == "." || rawPath == "./" { continue }
                if let problem = BundlePath.problem(with: rawPath) {
                    throw reject(
                        .unsafeEntry, rawPath, "the path is unsafe: \(problem.text.en)", "路径不安全：\(problem.text.zh)")
                }
                continue
            case .symlink, .hardlink:
                throw reject(.unsafeEntry, rawPath, "it is a link; bundles hold regular files only", "是链接；软件包只能包含普通文件")
            case .characterDevice, .blockDevice, .fifo, .socket, .unknown:
                throw reject(
                    .unsafeEntry, rawPath, "it is a device, fifo or socket; bundles hold regular files only",
                    "是设备、管道或套接字；软件包只能包含普通文件")
            }
            let path: String
            do {
                path = try BundlePath.normalize(rawPath)
            } catch {
                let problem = error as? BundlePath.PathProblem ?? .empty
                throw reject(
                    .unsafeEntry, rawPath, "the path is unsafe: \(problem.text.en)", "路径不安全：\(problem.text.zh)")
            }
            guard seenPaths.insert(path).inserted else {
                throw reject(.duplicateEntry, path, "the archive holds this path twice", "归档中该路径出现了两次")
            }
            if path == "manifest.json" {
                manifestData = try readSmall(reader, path: path, limit: BundleLimits.maxManifestBytes)
                if let early = try verifyWhenReady() { return early }
            } else if path == "manifest.sig" {
                signatureData = try readSmall(reader, path: path, limit: BundleLimits.maxSignatureBytes)
                if let early = try verifyWhenReady() { return early }
            } else if manifest != nil {
                try stageChecked(reader, path: path)
            } else if pending.count < options.maxEntriesBeforeManifest, let declared = entry.declaredSize,
                declared <= options.maxBytesBeforeManifest - pendingBytes
            {
                try stagePending(reader, path: path, declaredSize: declared)
            } else {
                try skip(reader, path: path)
                skipped.insert(path)
            }
            reportProgress(reader, force: false)
        }
        return nil
    }

    /// The second pass, for entries the first pass skipped: the archive is opened again and each of them is staged
    /// and checked against the verified manifest. Every other entry was checked in the first pass and is passed over.
    private func stageSkippedEntries() throws {
        let reader = try ArchiveReader(path: archivePath)
        unpackedBytes = 0
        var remaining = skipped
        while !remaining.isEmpty, let entry = try reader.nextEntry() {
            guard entry.kind == .file, let rawPath = entry.path, let path = try? BundlePath.normalize(rawPath),
                remaining.remove(path) != nil
            else { continue }
            try stageChecked(reader, path: path)
            reportProgress(reader, force: false)
        }
        if let path = remaining.first {
            throw reject(
                .missingEntry, path,
                "it was gone when the archive was read a second time; the file changed during the import",
                "第二次读取归档时该条目不见了；文件在导入过程中被改动")
        }
    }

    // MARK: Verification

    /// Once both the manifest and its signature have been read: verifies them, decides whether to go on, and checks
    /// the entries staged before they arrived. Returns a result when the import can stop early (already installed).
    private func verifyWhenReady() throws -> Result? {
        guard manifest == nil, let manifestData, let signatureData else { return nil }
        let verified = try verify(manifestData: manifestData, signatureText: signatureData)
        if let installed = try database.bundle(id: verified.id) {
            if installed.version == verified.version {
                guard installed.manifest == manifestData else {
                    throw reject(
                        .versionConflict, "manifest.json",
                        "version \(verified.version) of \(verified.id) is installed with different content; a publisher must raise the version for every change",
                        "\(verified.id) 的版本 \(verified.version) 已安装但内容不同；发布者每次修改都必须提高版本号"
                    )
                }
                return Result(
                    manifest: verified, manifestData: manifestData, signature: installed.signature, staged: [:],
                    filesReused: verified.files.count, alreadyInstalled: true
                )
            }
            if installed.version > verified.version && !options.allowDowngrade {
                throw reject(
                    .downgrade, "manifest.json",
                    "version \(verified.version) is older than the installed version \(installed.version); use --allow-downgrade to install it anyway",
                    "版本 \(verified.version) 比已安装的版本 \(installed.version) 旧；如确需安装请加 --allow-downgrade"
                )
            }
        }
        guard verified.totalSize <= options.maxBundleBytes else {
            throw reject(
                .tooLarge, "manifest.json",
                "it declares \(ByteCount.human(verified.totalSize)), above the limit of \(ByteCount.human(options.maxBundleBytes)) (maxBundleBytes)",
                "声明大小 \(ByteCount.human(verified.totalSize))，超过上限 \(ByteCount.human(options.maxBundleBytes))（maxBundleBytes）"
            )
        }
        manifest = verified
        filesByPath = Dictionary(uniqueKeysWithValues: verified.files.map { ($0.path, $0) })
        for path in seenPaths where !Manifest.reservedPaths.contains(path) && filesByPath[path] == nil {
            throw reject(.unexpectedEntry, path, "the manifest does not list it", "清单中没有列出该文件")
        }
        var missing: [String: Int64] = [:]
        for file in verified.files where !blobStore.contains(file.sha256) { missing[file.sha256] = file.size }
        let needed = missing.values.reduce(0, +)
        try checkFreeSpace(needed: needed - pending.reduce(0) { $0 + $1.size })
        try checkQuota(needed: needed)
        for item in pending { try adopt(item) }
        pending.removeAll()
        return nil
    }

    private func verify(manifestData: Data, signatureText: Data) throws -> Manifest {
        try ManifestVerifier(trustedKeys: trustedKeys, releaseKeys: releaseKeys).verify(
            manifestData: manifestData, signatureText: signatureText, source: archivePath)
    }

    // MARK: Entries

    private func readSmall(_ reader: ArchiveReader, path: String, limit: Int) throws -> Data {
        var data = Data()
        try reader.readData { block in
            guard data.count + block.count <= limit else {
                throw reject(
                    .tooLarge, path, "it is larger than the limit of \(ByteCount.human(Int64(limit)))",
                    "超过 \(ByteCount.human(Int64(limit))) 的上限")
            }
            data.append(contentsOf: block)
        }
        return data
    }

    /// Stages an entry whose manifest line is known: hashes it while writing, unless the store already has it.
    private func stageChecked(_ reader: ArchiveReader, path: String) throws {
        guard let expected = filesByPath[path] else {
            throw reject(.unexpectedEntry, path, "the manifest does not list it", "清单中没有列出该文件")
        }
        let alreadyHave = staged[expected.sha256] != nil || blobStore.contains(expected.sha256)
        let destination = alreadyHave ? nil : stagingRoot + "/" + expected.sha256
        let (sha, size) = try stream(reader, path: path, limit: expected.size, to: destination)
        guard size == expected.size, sha == expected.sha256 else {
            if let destination { try? FileManager.default.removeItem(atPath: destination) }
            throw mismatch(path, expected: expected, sha: sha, size: size)
        }
        if let destination {
            staged[sha] = size
        } else {
            filesReused += 1
        }
    }

    /// Stages an entry that came before the manifest; it is checked once the manifest arrives. Its data may not
    /// exceed the size its header declares, which the caller has counted against the pending limits.
    private func stagePending(_ reader: ArchiveReader, path: String, declaredSize: Int64) throws {
        let file = stagingRoot + "/entry-\(entryCount)"
        let limit = min(declaredSize, options.maxBundleBytes - unpackedBytes)
        let (sha, size) = try stream(reader, path: path, limit: limit, to: file)
        pending.append(Pending(path: path, stagedFile: file, sha256: sha, size: size))
        pendingBytes += size
    }

    /// Reads an entry that came before the manifest without writing it, within the bundle's byte budget and the
    /// compression-ratio check; the second pass stages it once the manifest is verified.
    private func skip(_ reader: ArchiveReader, path: String) throws {
        try reader.readData { block in
            unpackedBytes += Int64(block.count)
            guard unpackedBytes <= options.maxBundleBytes else {
                throw reject(
                    .tooLarge, path,
                    "the bundle unpacks to more than \(ByteCount.human(options.maxBundleBytes)) (maxBundleBytes)",
                    "解压后超过 \(ByteCount.human(options.maxBundleBytes))（maxBundleBytes）")
            }
            try checkRatio(reader, path: path)
            reportProgress(reader, force: false)
        }
    }

    private func adopt(_ item: Pending) throws {
        guard let expected = filesByPath[item.path] else {
            throw reject(.unexpectedEntry, item.path, "the manifest does not list it", "清单中没有列出该文件")
        }
        guard expected.size == item.size, expected.sha256 == item.sha256 else {
            throw mismatch(item.path, expected: expected, sha: item.sha256, size: item.size)
        }
        if staged[item.sha256] != nil || blobStore.contains(item.sha256) {
            try? FileManager.default.removeItem(atPath: item.stagedFile)
            filesReused += 1
        } else {
            try FileSystem.moveIntoPlace(item.stagedFile, stagingRoot + "/" + item.sha256)
            staged[item.sha256] = item.size
        }
    }

    /// Reads the current entry, hashing it and writing it to `destination` when given. Stops as soon as more than
    /// `limit` bytes arrive, the bundle's byte budget runs out, or the compression ratio looks like a bomb.
    private func stream(
        _ reader: ArchiveReader, path: String, limit: Int64, to destination: String?
    ) throws -> (String, Int64) {
        var hasher = ContentHasher()
        let output = try destination.map { try FileOutput(creating: $0) }
        try reader.readData { block in
            guard hasher.count + Int64(block.count) <= limit else {
                if manifest != nil, let expected = filesByPath[path] {
                    throw reject(
                        .mismatch, path,
                        "it is larger than the \(ByteCount.human(expected.size)) the manifest lists",
                        "比清单中列出的 \(ByteCount.human(expected.size)) 大")
                }
                if manifest == nil, unpackedBytes + Int64(block.count) <= options.maxBundleBytes {
                    throw reject(
                        .corruptArchive, path, "it holds more data than its header declares",
                        "数据比条目头声明的多")
                }
                throw reject(
                    .tooLarge, path,
                    "the bundle unpacks to more than \(ByteCount.human(options.maxBundleBytes)) (maxBundleBytes)",
                    "解压后超过 \(ByteCount.human(options.maxBundleBytes))（maxBundleBytes）")
            }
            hasher.update(block)
            unpackedBytes += Int64(block.count)
            try output?.write(block)
            try checkRatio(reader, path: path)
            if destination != nil, unpackedBytes - lastSpaceCheck > 64 * 1024 * 1024 {
                lastSpaceCheck = unpackedBytes
                try checkFreeSpace(needed: 0)
            }
            reportProgress(reader, force: false)
        }
        return (hasher.finalize(), hasher.count)
    }

    private func checkRatio(_ reader: ArchiveReader, path: String) throws {
        guard unpackedBytes > options.ratioCheckThreshold else { return }
        let packed = max(reader.compressedBytesRead, 1)
        guard unpackedBytes / packed <= options.maxCompressionRatio else {
            throw reject(
                .tooLarge, path,
                "it unpacks more than \(options.maxCompressionRatio) times its packed size, like a compression bomb",
                "解压后超过压缩大小的 \(options.maxCompressionRatio) 倍，疑似压缩炸弹"
            )
        }
    }

    // MARK: Space

    private func checkFreeSpace(needed: Int64) throws {
        let free = try FileSystem.freeBytes(at: stagingRoot)
        let required = max(needed, 0) + options.diskReserveBytes
        guard free >= required else {
            throw BundleError(
                code: .noSpace,
                message: LocalizedText(
                    zh:
                        "磁盘空间不足，无法导入 \(archivePath)：需要 \(ByteCount.human(required))（含 \(ByteCount.human(options.diskReserveBytes)) 保留空间），可用 \(ByteCount.human(free))。请删除不用的软件包（satchel bundles remove）或换更大的磁盘。",
                    en:
                        "Not enough disk space to import \(archivePath): it needs \(ByteCount.human(required)) (including the \(ByteCount.human(options.diskReserveBytes)) reserve) and \(ByteCount.human(free)) is free. Remove unused bundles (satchel bundles remove) or use a larger disk."
                )
            )
        }
    }

    private func checkQuota(needed: Int64) throws {
        guard options.storeQuotaBytes > 0 else { return }
        let used = try database.storeBytes()
        guard used + needed <= options.storeQuotaBytes else {
            throw BundleError(
                code: .noSpace,
                message: LocalizedText(
                    zh:
                        "超出存储配额，无法导入 \(archivePath)：已用 \(ByteCount.human(used))，还需 \(ByteCount.human(needed))，配额 \(ByteCount.human(options.storeQuotaBytes))（storeQuotaBytes）。",
                    en:
                        "The store quota does not allow importing \(archivePath): \(ByteCount.human(used)) used, \(ByteCount.human(needed)) more needed, quota \(ByteCount.human(options.storeQuotaBytes)) (storeQuotaBytes)."
                )
            )
        }
    }

    // MARK: Reporting

    private func reportProgress(_ reader: ArchiveReader, force: Bool) {
        guard let progress else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastProgress) > 0.2 else { return }
        lastProgress = now
        progress(
            BundleImporter.Progress(
                files: entryCount, bytes: unpackedBytes, archiveBytesRead: reader.compressedBytesRead,
                archiveSize: archiveSize
            ))
    }

    private func mismatch(_ path: String, expected: Manifest.File, sha: String, size: Int64) -> BundleError {
        if size != expected.size {
            return reject(
                .mismatch, path,
                "it is \(size) bytes but the manifest lists \(expected.size)",
                "大小为 \(size) 字节，清单中为 \(expected.size) 字节")
        }
        return reject(
            .mismatch, path,
            "its SHA-256 is \(sha.prefix(12))… but the manifest lists \(expected.sha256.prefix(12))…; the file was altered or damaged",
            "SHA-256 为 \(sha.prefix(12))…，清单中为 \(expected.sha256.prefix(12))…；文件被篡改或已损坏")
    }

    private func reject(_ code: BundleError.Code, _ entry: String?, _ reason: String, _ reasonZh: String) -> BundleError
    {
        let entryText = entry.map { " (entry \($0))" } ?? ""
        let entryTextZh = entry.map { "（条目 \($0)）" } ?? ""
        return BundleError(
            code: code,
            message: LocalizedText(
                zh: "已拒绝 \(archivePath)\(entryTextZh)：\(reasonZh)。未做任何更改。",
                en: "Rejected \(archivePath)\(entryText): \(reason). Nothing was changed."
            )
        )
    }
}
