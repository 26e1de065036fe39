import Foundation
import SatchelBundles
import SatchelTestSupport
import Testing

/// Bundles re-made by other tools (GNU tar, bsdtar, Info-ZIP) import too, whatever the order of their entries.
@Suite struct ForeignArchiveTests {
    static func shell(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(command) failed")
    }

    @Test(arguments: [
        ("gnu-tar-gzip.tar.gz", "tar -czf OUT -C DIR lesson video.mp4 worksheet.pdf manifest.json manifest.sig"),
        ("gnu-tar-zstd.tar.zst", "tar --zstd -cf OUT -C DIR worksheet.pdf manifest.sig lesson video.mp4 manifest.json"),
        ("bsdtar-dot.tar", "bsdtar -cf OUT -C DIR ."),
        ("bsdtar-gzip.tgz", "bsdtar -czf OUT -C DIR video.mp4 lesson worksheet.pdf manifest.json manifest.sig"),
        ("bsdtar-xz.tar.xz", "bsdtar -cJf OUT -C DIR ."),
        ("info-zip.zip", "cd DIR && zip -q -r OUT lesson video.mp4 worksheet.pdf manifest.json manifest.sig"),
        ("info-zip-stored.zip", "cd DIR && zip -q -0 -r OUT ."),
    ])
    func archivesFromOtherToolsImport(name: String, command: String) throws {
        try importFromTool(name: name, command: command)
    }

    /// With room for one small entry before the manifest, the entries past it are read without being staged and the
    /// archive is read a second time for them once the manifest is verified.
    @Test(arguments: [
        ("gnu-tar-gzip.tar.gz", "tar -czf OUT -C DIR lesson video.mp4 worksheet.pdf manifest.json manifest.sig"),
        ("info-zip.zip", "cd DIR && zip -q -r OUT lesson video.mp4 worksheet.pdf manifest.json manifest.sig"),
    ])
    func archivesWithTheManifestLastImportInTwoPassesPastThePendingLimits(name: String, command: String) throws {
        try importFromTool(name: name, command: command) {
            $0.maxEntriesBeforeManifest = 1
            $0.maxBytesBeforeManifest = 64
        }
    }

    private func importFromTool(
        name: String, command: String, options: ((inout BundleImporter.Options) -> Void)? = nil
    ) throws {
        let test = try TestNode()
        let original = try test.pack(ImportTests.lesson)
        let unpacked = test.folder.file("unpacked")
        try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
        try Self.shell("bsdtar -xf \(original) -C \(unpacked)")
        let output = test.folder.file(name)
        try Self.shell(
            command.replacingOccurrences(of: "OUT", with: output).replacingOccurrences(of: "DIR", with: unpacked))
        var importerOptions = BundleImporter.Options(configuration: test.node.configuration)
        options?(&importerOptions)
        let importer = BundleImporter(
            directory: test.node.directory, database: test.node.database, trustedKeys: try test.node.trustedKeys(),
            options: importerOptions)
        let report = try importer.importBundle(at: output)
        #expect(report.outcome == .installed(previousVersion: nil))
        for file in try test.node.database.files(bundleId: "test-bundle") {
            #expect(test.node.blobStore.verify(file.sha256))
        }
    }
}
