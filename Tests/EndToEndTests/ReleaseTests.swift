import Foundation
import SatchelBundles
import SatchelCore
import SatchelPlatform
import SatchelStore
import SatchelSync
import SatchelTestSupport
import Testing

/// Issue 19, items 1 and 2, the part a test on this machine can hold: a Satchel release is a `software` bundle signed
/// by a release key, reaches the node through the platform, a USB stick or an import like any bundle, and is staged
/// for the root installer, which checks it again against root's keys only. Installing it with dpkg, the health check
/// and the rollback run in a real Debian machine: `scripts/vm-upgrade-test.sh`.
@Suite struct ReleaseTests {
    /// A real Debian package named satchel, made by dpkg-deb.
    static func debianPackage(version: String, in folder: TemporaryDirectory) throws -> String {
        let tree = folder.directory("deb-\(version)")
        try FileManager.default.createDirectory(atPath: tree + "/DEBIAN", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tree + "/usr/bin", withIntermediateDirectories: true)
        try """
        Package: satchel
        Version: \(version)
        Architecture: all
        Maintainer: Satchel tests <tests@satchel.invalid>
        Description: test release \(version)

        """.write(toFile: tree + "/DEBIAN/control", atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho \(version)\n".write(toFile: tree + "/usr/bin/satchel", atomically: true, encoding: .utf8)
        let output = folder.file("satchel_\(version)_all.deb")
        let result = try ProcessRunner.run(
            binary: "/usr/bin/dpkg-deb", ["--root-owner-group", "--build", tree, output])
        #expect(result.status == 0, "dpkg-deb: \(result.stderr)")
        return output
    }

    /// The release bundle for `deb`, as `satchel pack-release` makes it.
    static func release(
        _ deb: String, version: String, bundleVersion: Int = 1, key: SigningKey, in folder: TemporaryDirectory
    ) throws -> String {
        let source = folder.directory("release-\(version)-\(UUID().uuidString.prefix(6))")
        let name = "satchel_\(version).deb"
        try FileManager.default.copyItem(atPath: deb, toPath: source + "/" + name)
        let description = BundleDescription(
            title: LocalizedText(zh: "Satchel 软件更新 \(version)", en: "Satchel release \(version)"), kind: .software,
            release: Manifest.Release(
                package: name, packageVersion: version, notes: LocalizedText(zh: "修复", en: "Fixes")))
        try JSONEncoder().encode(description).write(to: URL(fileURLWithPath: source + "/bundle.json"))
        let output = source + ".tar.zst"
        try BundlePacker().pack(
            directory: source, options: BundlePacker.Options(id: "satchel-release", version: bundleVersion, key: key),
            output: output)
        return output
    }

    @Test func aReleaseSignedByARootTrustedKeyIsStagedAndPassesTheInstallersCheck() throws {
        let releaseKey = SigningKey()
        let test = try TestNode { $0.releaseKeys = [releaseKey.publicKey.base64] }
        let deb = try Self.debianPackage(version: "0.2.0-1", in: test.folder)
        let archive = try Self.release(deb, version: "0.2.0-1", key: releaseKey, in: test.folder)
        let report = try test.importer().importBundle(at: archive)
        #expect(report.manifest.kind == .software)
        #expect(report.manifest.resources.isEmpty)

        let stager = ReleaseStager(directory: test.node.directory)
        #expect(stager.pendingVersion() == "0.2.0-1")
        let verified = try stager.takeStaged(
            into: test.folder.file("installer"), releaseKeys: [releaseKey.publicKey], maxPackageBytes: 1 << 30)
        #expect(verified.release.packageVersion == "0.2.0-1")
        #expect(
            FileManager.default.contentsEqual(atPath: verified.packagePath, andPath: deb),
            "the installer's copy is not the package that was signed")
        // A release is for the installer: teachers' pages list no bundle for it.
        #expect(try test.node.database.resources(bundleId: "satchel-release").isEmpty)

        // Imported again (a technician's stick after a power cut took the request): offered to the installer again.
        try FileManager.default.removeItem(atPath: stager.requestPath)
        let again = try test.importer().importBundle(at: archive)
        #expect(again.outcome == .alreadyInstalled)
        #expect(stager.pendingVersion() == "0.2.0-1")
    }

    @Test func releasesAndContentEachNeedTheirOwnKindOfKey() throws {
        let releaseKey = SigningKey()
        let test = try TestNode { $0.releaseKeys = [releaseKey.publicKey.base64] }
        let deb = try Self.debianPackage(version: "0.2.0-1", in: test.folder)

        // A content publisher cannot ship software: the node would run it as root.
        let byPublisher = try Self.release(deb, version: "0.2.0-1", key: test.publisher, in: test.folder)
        let refused = #expect(throws: BundleError.self) { try test.importer().importBundle(at: byPublisher) }
        #expect(refused?.code == .untrustedKey)
        #expect(refused?.message.zh.contains("satchel trust add --release") == true)
        // And a release key signs releases only.
        let lesson = try test.pack(["index.html": "<p>课</p>"], id: "lesson", key: releaseKey)
        #expect(throws: BundleError.self) { try test.importer().importBundle(at: lesson) }

        #expect(ReleaseStager(directory: test.node.directory).pendingVersion() == nil)
        #expect(try test.node.database.bundles().isEmpty)
    }

    @Test func theInstallerRefusesWhatTheServiceChangedAfterStaging() throws {
        let releaseKey = SigningKey()
        let test = try TestNode { $0.releaseKeys = [releaseKey.publicKey.base64] }
        let deb = try Self.debianPackage(version: "0.2.0-1", in: test.folder)
        _ = try test.importer().importBundle(
            at: try Self.release(deb, version: "0.2.0-1", key: releaseKey, in: test.folder))
        let stager = ReleaseStager(directory: test.node.directory)
        let staged = stager.stagedPath + "/package.deb"

        // A service that was taken over swaps in a package of its own: the signed hash no longer matches.
        try FileManager.default.removeItem(atPath: staged)
        try "#!/bin/sh\nrm -rf /\n".write(toFile: staged, atomically: false, encoding: .utf8)
        let changed = #expect(throws: BundleError.self) {
            try stager.takeStaged(
                into: test.folder.file("installer"), releaseKeys: [releaseKey.publicKey], maxPackageBytes: 1 << 30)
        }
        #expect(changed?.code == .mismatch)

        // Or points the installer at another file through a link: refused as it is opened.
        try FileManager.default.removeItem(atPath: staged)
        try FileManager.default.createSymbolicLink(atPath: staged, withDestinationPath: deb)
        #expect(throws: BundleError.self) {
            try stager.takeStaged(
                into: test.folder.file("installer"), releaseKeys: [releaseKey.publicKey], maxPackageBytes: 1 << 30)
        }
    }

    @Test func aVersionTheInstallerDidNotKeepIsNotStagedAgainButANewerOneIs() throws {
        let releaseKey = SigningKey()
        let test = try TestNode { $0.releaseKeys = [releaseKey.publicKey.base64] }
        let stager = ReleaseStager(directory: test.node.directory)
        try FileManager.default.createDirectory(atPath: stager.folder, withIntermediateDirectories: true)
        try "result=rolled-back\nversion=0.3.0-1\nprevious=0.2.0-1\nat=2026-12-01T10:00:00Z\ndetail=no /healthz\n"
            .write(toFile: stager.outcomePath, atomically: true, encoding: .utf8)

        let bad = try Self.debianPackage(version: "0.3.0-1", in: test.folder)
        _ = try test.importer().importBundle(
            at: try Self.release(bad, version: "0.3.0-1", key: releaseKey, in: test.folder))
        #expect(stager.pendingVersion() == nil, "a rolled-back version was handed to the installer again")
        #expect(stager.outcome()?.summary.zh.contains("已恢复到 0.2.0-1") == true)

        let fixed = try Self.debianPackage(version: "0.3.1-1", in: test.folder)
        _ = try test.importer().importBundle(
            at: try Self.release(fixed, version: "0.3.1-1", bundleVersion: 2, key: releaseKey, in: test.folder))
        #expect(stager.pendingVersion() == "0.3.1-1")
    }

    /// From the platform, whose enrolment answer names the release key, and from a USB stick the platform made.
    @Test func aReleaseReachesTheNodeFromThePlatformAndFromAUSBStick() async throws {
        let releaseKey = SigningKey()
        let folder = TemporaryDirectory("release-platform")
        let platform = try Platform(root: folder.file("platform"))
        try platform.store.database.trust(
            TrustedKeyRecord(
                keyId: releaseKey.publicKey.id, publicKey: releaseKey.publicKey.base64, label: "release.pub",
                addedAt: Date(), purpose: .release))
        let deb = try Self.debianPackage(version: "0.2.0-1", in: folder)
        try await platform.publish(archive: try Self.release(deb, version: "0.2.0-1", key: releaseKey, in: folder))
        // The platform only passes releases on: it stages nothing for itself.
        #expect(ReleaseStager(directory: platform.store.directory).pendingVersion() == nil)

        let live = try await LivePlatform(platform: platform)
        do {
            let token = try await platform.createToken(schoolCode: "S-REL")
            let (test, _) = try SyncTests.provisionedNode(url: live.baseURL, token: token, school: "S-REL")
            _ = try await SyncTests.syncUntil(test.node, attempts: 5) {
                ReleaseStager(directory: test.node.directory).pendingVersion() != nil
            }
            let stager = ReleaseStager(directory: test.node.directory)
            #expect(stager.pendingVersion() == "0.2.0-1")
            // The node learned the key at enrolment, signed by the platform; root has not confirmed it, so the
            // installer refuses until the config file names it (install.sh writes it there at enrolment).
            #expect(try test.node.releaseKeys() == [releaseKey.publicKey])
            let unconfirmed = #expect(throws: BundleError.self) {
                try stager.takeStaged(into: test.folder.file("installer"), releaseKeys: [], maxPackageBytes: 1 << 30)
            }
            #expect(unconfirmed?.code == .untrustedKey)
            _ = try stager.takeStaged(
                into: test.folder.file("installer"), releaseKeys: [releaseKey.publicKey], maxPackageBytes: 1 << 30)

            // A school with no link: the stick the platform writes for it carries the release too.
            let nodeId = try #require(try Enrolment.load(test.node.database)?.nodeId)
            let stick = folder.file("stick")
            _ = try await platform.exportBundles(to: stick, node: nodeId, since: 0)
            let offline = try TestNode { $0.releaseKeys = [releaseKey.publicKey.base64] }
            for archive in BundleImporter.findArchives(in: [stick]) {
                _ = try offline.importer().importBundle(at: archive)
            }
            #expect(ReleaseStager(directory: offline.node.directory).pendingVersion() == "0.2.0-1")
        } catch {
            await live.stop()
            throw error
        }
        await live.stop()
    }
}
