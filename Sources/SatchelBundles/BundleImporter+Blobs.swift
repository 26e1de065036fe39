import Foundation
import SatchelCore
import SatchelStore

extension BundleImporter {
    /// What a delta install needs before it can run: the verified manifest and the blobs the store lacks.
    public struct DeltaPlan: Sendable {
        public var manifest: Manifest
        public var manifestData: Data
        public var signature: Data
        /// SHA-256 and size of each blob to fetch, each once.
        public var missing: [(sha256: String, size: Int64)]
        /// Whether this exact version is installed already (nothing to do).
        public var alreadyInstalled: Bool
        /// Bytes the missing blobs add up to.
        public var missingBytes: Int64 { missing.reduce(0) { $0 + $1.size } }
    }

    /// Verifies a signed manifest from a catalog (the platform's or a peer's) and lists the blobs to fetch.
    ///
    /// - Throws: ``BundleError`` for a bad signature, an untrusted key, a malformed manifest, a downgrade or a
    ///   version conflict, before anything is downloaded.
    public func plan(manifestData: Data, signature: Data, source: String) throws -> DeltaPlan {
        let manifest = try ManifestVerifier(trustedKeys: trustedKeys, releaseKeys: releaseKeys).verify(
            manifestData: manifestData, signatureText: signature, source: source)
        var alreadyInstalled = false
        if let installed = try database.bundle(id: manifest.id) {
            if installed.version == manifest.version {
                guard installed.manifest == manifestData else {
                    throw BundleError(
                        code: .versionConflict,
                        message: LocalizedText(
                            zh: "已拒绝 \(source)：\(manifest.id) 的版本 \(manifest.version) 已安装但内容不同。",
                            en:
                                "Rejected \(source): version \(manifest.version) of \(manifest.id) is installed with different content."
                        ))
                }
                alreadyInstalled = true
            } else if installed.version > manifest.version && !options.allowDowngrade {
                throw BundleError(
                    code: .downgrade,
                    message: LocalizedText(
                        zh: "已拒绝 \(source)：版本 \(manifest.version) 比已安装的版本 \(installed.version) 旧。",
                        en:
                            "Rejected \(source): version \(manifest.version) is older than the installed version \(installed.version)."
                    ))
            }
        }
        var seen = Set<String>()
        var missing: [(String, Int64)] = []
        let store = BlobStore(directory: directory)
        for file in manifest.files where !store.contains(file.sha256) && seen.insert(file.sha256).inserted {
            missing.append((file.sha256, file.size))
        }
        return DeltaPlan(
            manifest: manifest, manifestData: manifestData, signature: signature, missing: missing,
            alreadyInstalled: alreadyInstalled)
    }

    /// Installs a planned bundle whose missing blobs have been downloaded into `downloads` as `<sha256>` files. Each
    /// is re-hashed before it enters the store; the catalog switches to the new version in one transaction.
    public func install(_ plan: DeltaPlan, downloads: String) throws -> Report {
        let started = Date()
        let lock = try directory.lockForImport()
        defer { withExtendedLifetime(lock) {} }
        let store = BlobStore(directory: directory)
        var added = 0
        var bytes: Int64 = 0
        for (sha, size) in plan.missing where !store.contains(sha) {
            let path = downloads + "/" + sha
            var hasher = ContentHasher()
            try FileInput(path: path).forEachBlock { hasher.update($0) }
            guard hasher.finalize() == sha, hasher.count == size else {
                try? FileManager.default.removeItem(atPath: path)
                throw BundleError(
                    code: .mismatch,
                    message: LocalizedText(
                        zh: "下载的文件 \(sha.prefix(12)) 校验失败，已删除，下次同步会重新下载。",
                        en:
                            "The downloaded file \(sha.prefix(12)) failed its check; it was deleted and will be fetched again."
                    ))
            }
            added += 1
            bytes += size
        }
        let quota = options.storeQuotaBytes
        if quota > 0 {
            let used = try database.storeBytes()
            guard used + bytes <= quota else {
                throw BundleError(
                    code: .noSpace,
                    message: LocalizedText(
                        zh: "超出存储配额，无法安装 \(plan.manifest.id)。",
                        en: "The store quota does not allow installing \(plan.manifest.id)."))
            }
        }
        try FileSystem.syncFileSystem(containing: downloads)
        for (sha, _) in plan.missing where !store.contains(sha) {
            try store.adopt(stagedFile: downloads + "/" + sha, sha256: sha)
        }
        try FileSystem.syncFileSystem(containing: directory.blobsPath)
        let previous = try database.bundle(id: plan.manifest.id)?.version
        try database.install(manifest: plan.manifest, manifestData: plan.manifestData, signature: plan.signature)
        try stageRelease(plan.manifest, manifestData: plan.manifestData, signature: plan.signature)
        let collected = store.collectGarbage(keeping: try database.referencedBlobs())
        return Report(
            archive: "sync", manifest: plan.manifest, outcome: .installed(previousVersion: previous), blobsAdded: added,
            bytesAdded: bytes, filesReused: plan.manifest.files.count - plan.missing.count,
            blobsCollected: collected.blobs, seconds: Date().timeIntervalSince(started))
    }
}
