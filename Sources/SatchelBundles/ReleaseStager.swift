import Foundation
import SatchelCore

#if canImport(Glibc)
    import Glibc
#endif

/// Hands a verified Satchel release (a `software` bundle) to the installer, `satchel-upgrade.service`, through the
/// data directory:
///
///     upgrade/staged/manifest.json   the release's manifest, as signed
///     upgrade/staged/manifest.sig    its signature
///     upgrade/staged/package.deb     the package
///     upgrade/request                written last: "install what is staged" (a systemd path unit watches it)
///     upgrade/outcome                written by the installer: what happened to the last release it was given
///
/// The service never installs anything itself; it runs unprivileged and cannot. The installer runs as root, copies
/// the staged files out of the service's reach and checks them again against the release keys in root's config file
/// before it trusts a byte (`satchel upgrade verify`), so a service that was taken over cannot install a package of
/// its own making.
public struct ReleaseStager: Sendable {
    /// The node's data directory.
    public let directory: DataDirectory

    /// A stager for this data directory.
    public init(directory: DataDirectory) {
        self.directory = directory
    }

    /// `upgrade/` in the data directory.
    public var folder: String { directory.root + "/upgrade" }
    /// The release waiting for the installer.
    public var stagedPath: String { folder + "/staged" }
    /// The request the installer's path unit waits for.
    public var requestPath: String { folder + "/request" }
    /// The installer's report of its last run.
    public var outcomePath: String { folder + "/outcome" }

    /// What ``stage(manifest:manifestData:signature:packageFile:)`` did.
    public enum Decision: Sendable, Equatable {
        /// The release is staged and the installer asked to install it.
        case staged
        /// This node already runs the release's package version.
        case alreadyRunning
        /// The installer was given this version before and did not keep it (refused or rolled back): it is not
        /// tried again until a different version arrives.
        case alreadyTried(UpgradeOutcome)
        /// The same version is staged and waiting already.
        case alreadyWaiting
    }

    /// Stages a release whose signature and files have been verified, unless the node runs it already or it failed
    /// before. `packageFile` is the verified package (the blob store's copy): it is linked, or copied on another
    /// file system, never moved.
    @discardableResult
    public func stage(manifest: Manifest, manifestData: Data, signature: Data, packageFile: String) throws -> Decision {
        guard let release = manifest.release else { return .alreadyRunning }
        if Self.installedPackageVersion() == release.packageVersion { return .alreadyRunning }
        if let outcome = outcome(), outcome.version == release.packageVersion, outcome.result != .installed {
            return .alreadyTried(outcome)
        }
        if pendingVersion() == release.packageVersion { return .alreadyWaiting }

        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        let draft = folder + "/staged.new-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: draft, withIntermediateDirectories: false)
        do {
            try write(manifestData, to: draft + "/manifest.json")
            try write(signature, to: draft + "/manifest.sig")
            if link(packageFile, draft + "/package.deb") != 0 {
                try FileManager.default.copyItem(atPath: packageFile, toPath: draft + "/package.deb")
            }
            try FileSystem.syncFileSystem(containing: draft)
            // A request left by an older staging must not point at files being replaced.
            unlink(requestPath)
            try? FileManager.default.removeItem(atPath: stagedPath)
            try FileSystem.moveIntoPlace(draft, stagedPath)
            try FileSystem.syncDirectory(folder)
        } catch {
            try? FileManager.default.removeItem(atPath: draft)
            throw error
        }
        let request = requestPath + ".new"
        unlink(request)
        try write(Data("version=\(release.packageVersion)\n".utf8), to: request)
        try FileSystem.moveIntoPlace(request, requestPath)
        try FileSystem.syncDirectory(folder)
        return .staged
    }

    /// The version waiting for the installer, if any.
    public func pendingVersion() -> String? {
        guard let data = FileManager.default.contents(atPath: requestPath), data.count <= 4096 else { return nil }
        return UpgradeOutcome.fields(String(decoding: data, as: UTF8.self))["version"]
    }

    /// The installer's report of its last run, if it has run.
    public func outcome() -> UpgradeOutcome? {
        guard let data = FileManager.default.contents(atPath: outcomePath), data.count <= 16_384 else { return nil }
        return UpgradeOutcome(text: String(decoding: data, as: UTF8.self))
    }

    /// The version of the `satchel` Debian package installed on this machine, read from dpkg's status file; nil when
    /// the node was not installed from a package (a development build, the tests).
    public static func installedPackageVersion(statusFile: String = "/var/lib/dpkg/status") -> String? {
        guard let handle = FileHandle(forReadingAtPath: statusFile) else { return nil }
        defer { try? handle.close() }
        // dpkg's status file is a few megabytes on a small system; more than 64 MiB is not one.
        guard let data = try? handle.read(upToCount: 64 << 20) else { return nil }
        var inSatchel = false
        var installed = false
        var version: String?
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty {
                if inSatchel { break }
                continue
            }
            if line.hasPrefix("Package: ") { inSatchel = line.dropFirst(9) == "satchel" }
            guard inSatchel else { continue }
            if line.hasPrefix("Status: ") { installed = line.hasSuffix(" installed") }
            if line.hasPrefix("Version: ") { version = String(line.dropFirst(9)) }
        }
        return inSatchel && installed ? version : nil
    }

    private func write(_ data: Data, to path: String) throws {
        let output = try FileOutput(creating: path)
        try data.withUnsafeBytes { try output.write($0) }
        try output.sync()
    }
}

/// What the installer did with the last release it was given, as it wrote it in `upgrade/outcome`: `key=value`
/// lines (`result`, `version`, `previous`, `at`, `detail`).
public struct UpgradeOutcome: Sendable, Equatable, Codable {
    /// How the installation ended.
    public enum Result: String, Sendable, Codable {
        /// The new version was installed and answered its health check.
        case installed
        /// The new version did not answer its health check in time; the previous package was reinstalled.
        case rolledBack = "rolled-back"
        /// The release was not installed: a bad signature, not newer than the installed version, a damaged package.
        case refused
        /// The new version failed and so did reinstalling the previous one: a technician is needed.
        case failed
    }

    public var result: Result
    /// The release's package version.
    public var version: String
    /// The package version installed before, if any.
    public var previous: String?
    /// When the installer finished, ISO 8601.
    public var at: String
    /// Why, for a refusal or a rollback (English, from the installer).
    public var detail: String?

    /// Parses the installer's file; nil when it is not one.
    public init?(text: String) {
        let fields = Self.fields(text)
        guard let result = fields["result"].flatMap(Result.init(rawValue:)), let version = fields["version"] else {
            return nil
        }
        self.result = result
        self.version = version
        previous = fields["previous"].flatMap { $0.isEmpty ? nil : $0 }
        at = fields["at"] ?? ""
        detail = fields["detail"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// One line for `satchel status`, the admin page and the platform.
    public var summary: LocalizedText {
        switch result {
        case .installed:
            LocalizedText(zh: "已升级到 \(version)（\(at)）", en: "Upgraded to \(version) (\(at))")
        case .rolledBack:
            LocalizedText(
                zh: "\(version) 未通过健康检查，已恢复到 \(previous ?? "原版本")（\(at)）：\(detail ?? "")",
                en:
                    "\(version) failed its health check and \(previous ?? "the previous version") was reinstalled (\(at)): \(detail ?? "")"
            )
        case .refused:
            LocalizedText(
                zh: "拒绝安装 \(version)（\(at)）：\(detail ?? "")", en: "Refused \(version) (\(at)): \(detail ?? "")")
        case .failed:
            LocalizedText(
                zh: "升级到 \(version) 失败，恢复原版本也失败，需要技术员处理（\(at)）：\(detail ?? "")",
                en:
                    "Upgrading to \(version) failed and so did the rollback; a technician is needed (\(at)): \(detail ?? "")"
            )
        }
    }

    static func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...].prefix(500))
        }
        return fields
    }
}

extension ReleaseStager {
    /// What the installer checked: the release and the verified package's path in its own folder.
    public struct Verified: Sendable {
        public var manifest: Manifest
        public var release: Manifest.Release
        /// The package, copied into the installer's folder and hashed there.
        public var packagePath: String
    }

    /// The installer's check, run as root: copies the staged release into `folder` (root's, out of the service's
    /// reach), then verifies the copies: the signature against `releaseKeys` only (root's config file), the kind, and
    /// the package's size and SHA-256 against the signed manifest. Links, devices and files over the limits are
    /// refused as they are opened, before a byte is read.
    ///
    /// - Throws: ``BundleError`` saying what was wrong; nothing is installed then.
    public func takeStaged(into folder: String, releaseKeys: [PublisherKey], maxPackageBytes: Int64) throws -> Verified
    {
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for name in ["manifest.json", "manifest.sig", "package.deb"] { unlink(folder + "/" + name) }
        let limits: [(String, Int64)] = [
            ("manifest.json", Int64(BundleLimits.maxManifestBytes)),
            ("manifest.sig", Int64(BundleLimits.maxSignatureBytes)),
            ("package.deb", maxPackageBytes),
        ]
        for (name, limit) in limits {
            try Self.copyRegularFile(stagedPath + "/" + name, to: folder + "/" + name, limit: limit)
        }
        let manifestData = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        let signature = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.sig"))
        let manifest = try ManifestVerifier(trustedKeys: [], releaseKeys: releaseKeys).verify(
            manifestData: manifestData, signatureText: signature, source: "staged release")
        guard manifest.kind == .software, let release = manifest.release,
            let file = manifest.files.first(where: { $0.path == release.package })
        else {
            throw BundleError(
                code: .badManifest,
                message: LocalizedText(zh: "暂存的不是 Satchel 软件更新包。", en: "What is staged is not a Satchel release."))
        }
        var hasher = ContentHasher()
        try FileInput(path: folder + "/package.deb").forEachBlock { hasher.update($0) }
        guard hasher.finalize() == file.sha256, hasher.count == file.size else {
            throw BundleError(
                code: .mismatch,
                message: LocalizedText(
                    zh: "软件包 \(release.package) 与签名清单中的 SHA-256 不符：文件被改动或已损坏。未安装。",
                    en:
                        "The package \(release.package) does not match the SHA-256 in the signed manifest: it was altered or damaged. Nothing was installed."
                ))
        }
        return Verified(manifest: manifest, release: release, packagePath: folder + "/package.deb")
    }

    /// Copies a regular file that is no larger than `limit`, refusing links, FIFOs and devices at `open`.
    static func copyRegularFile(_ source: String, to destination: String, limit: Int64) throws {
        let descriptor = open(source, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw BundleError.io(source, errno, LocalizedText(zh: "打开", en: "open"))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int64(info.st_size) <= limit else {
            throw BundleError(
                code: .badInput,
                message: LocalizedText(
                    zh: "\(source) 不是普通文件或超过 \(ByteCount.human(limit))。未安装。",
                    en: "\(source) is not a regular file or is over \(ByteCount.human(limit)). Nothing was installed."))
        }
        let output = try FileOutput(creating: destination)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw BundleError.io(source, errno, LocalizedText(zh: "读取", en: "read")) }
            if count == 0 { break }
            total += Int64(count)
            guard total <= limit else {
                throw BundleError(
                    code: .badInput,
                    message: LocalizedText(
                        zh: "\(source) 在读取时变大，超过 \(ByteCount.human(limit))。未安装。",
                        en: "\(source) grew past \(ByteCount.human(limit)) while it was read. Nothing was installed."))
            }
            try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        try output.sync()
    }
}
