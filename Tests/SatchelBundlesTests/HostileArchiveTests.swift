import Foundation
import SatchelBundles
import SatchelCore
import SatchelTestSupport
import Testing

/// Every kind of hostile archive is rejected with exit code 65 and a message naming the archive, the entry and the
/// reason, and leaves nothing in the store, staging or catalog.
@Suite struct HostileArchiveTests {
    /// A trusted node plus a signed manifest for `files`, ready to be wrapped in hand-made archives.
    struct Fixture {
        let test: TestNode
        let manifest: Data
        let signature: Data
        let files: [String: Data]

        init(
            files: [String: String] = ["a.txt": "alpha", "lesson/index.html": "<h1>hi</h1>"], key: SigningKey? = nil
        )
            throws
        {
            test = try TestNode()
            let bundle = try test.pack(files, key: key)
            var entries: [String: Data] = [:]
            for (name, data) in RawArchive.read(bundle) { entries[name] = data }
            manifest = entries["manifest.json"]!
            signature = entries["manifest.sig"]!
            self.files = files.mapValues { Data($0.utf8) }
        }

        var header: [RawArchive.Entry] { [.file("manifest.sig", signature), .file("manifest.json", manifest)] }
        var body: [RawArchive.Entry] { files.keys.sorted().map { .file($0, files[$0]!) } }

        /// Writes `entries` as an archive and imports it, expecting a rejection with `code` that mentions `mention`.
        func expectRejected(
            _ entries: [RawArchive.Entry], code: BundleError.Code, mention: String,
            format: RawArchive.Format = .tar, options: ((inout BundleImporter.Options) -> Void)? = nil,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let path = test.folder.file("hostile-\(UUID().uuidString.prefix(6)).tar")
            RawArchive.write(entries, to: path, format: format)
            try expectRejected(
                path: path, code: code, mention: mention, options: options, sourceLocation: sourceLocation)
        }

        func expectRejected(
            path: String, code: BundleError.Code, mention: String,
            options: ((inout BundleImporter.Options) -> Void)? = nil, sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            var importerOptions = BundleImporter.Options(configuration: test.node.configuration)
            options?(&importerOptions)
            let importer = BundleImporter(
                directory: test.node.directory, database: test.node.database, trustedKeys: try test.node.trustedKeys(),
                options: importerOptions
            )
            do {
                _ = try importer.importBundle(at: path)
                Issue.record("the hostile archive was accepted", sourceLocation: sourceLocation)
            } catch let error as BundleError {
                #expect(error.code == code, "\(error.message.en)", sourceLocation: sourceLocation)
                #expect(error.exitStatus == .dataError, sourceLocation: sourceLocation)
                #expect(error.message.en.contains(path), "\(error.message.en)", sourceLocation: sourceLocation)
                #expect(error.message.en.contains(mention), "\(error.message.en)", sourceLocation: sourceLocation)
                #expect(error.message.zh.contains("已拒绝"), sourceLocation: sourceLocation)
            }
            #expect(test.storedFiles().isEmpty, "files were left behind", sourceLocation: sourceLocation)
            #expect(try test.node.database.bundles().isEmpty, sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: ["../evil.txt", "/etc/evil.txt", "./../evil.txt", "lesson/../../evil.txt", "a\\..\\evil.txt"])
    func pathTraversalIsRejected(path: String) throws {
        let fixture = try Fixture()
        try fixture.expectRejected(
            fixture.header + [.file(path, Data("x".utf8))], code: .unsafeEntry, mention: "unsafe")
        #expect(!FileManager.default.fileExists(atPath: fixture.test.folder.file("evil.txt")))
    }

    @Test func symlinksAreRejected() throws {
        let fixture = try Fixture()
        try fixture.expectRejected(
            fixture.header + [.symlink("a.txt", target: "/etc/passwd")], code: .unsafeEntry, mention: "link")
    }

    @Test func hardlinksAreRejected() throws {
        let fixture = try Fixture()
        try fixture.expectRejected(
            fixture.header + fixture.body + [.hardlink("b.txt", target: "a.txt")], code: .unsafeEntry, mention: "link")
    }

    @Test func devicesFifosAndSocketsAreRejected() throws {
        let fixture = try Fixture()
        for entry in [RawArchive.Entry.fifo("a.txt"), .characterDevice("dev")] {
            try fixture.expectRejected(fixture.header + [entry], code: .unsafeEntry, mention: "device, fifo or socket")
        }
        // tar cannot carry a socket, but a zip's external attributes can claim one.
        try fixture.expectRejected(
            fixture.header + [.socket("sock")], code: .unsafeEntry,
            mention: "device, fifo or socket", format: .zip)
    }

    @Test func entriesNotInTheManifestAreRejected() throws {
        let fixture = try Fixture()
        try fixture.expectRejected(
            fixture.header + fixture.body + [.file("extra.js", Data("alert(1)".utf8))],
            code: .unexpectedEntry, mention: "extra.js")
        // Also when the extra entry comes before the manifest.
        try fixture.expectRejected(
            [.file("extra.js", Data("alert(1)".utf8))] + fixture.body + fixture.header,
            code: .unexpectedEntry, mention: "extra.js")
    }

    @Test func manifestFilesMissingFromTheArchiveAreRejected() throws {
        let fixture = try Fixture()
        try fixture.expectRejected(
            fixture.header + [.file("a.txt", Data("alpha".utf8))],
            code: .missingEntry, mention: "lesson/index.html")
    }

    @Test func duplicateEntriesAreRejected() throws {
        let fixture = try Fixture()
        try fixture.expectRejected(
            fixture.header + fixture.body + [.file("a.txt", Data("alpha".utf8))],
            code: .duplicateEntry, mention: "a.txt")
    }

    @Test func sizeAndHashMismatchesAreRejected() throws {
        let fixture = try Fixture()
        try fixture.expectRejected(
            fixture.header + [
                .file("a.txt", Data("alphabet".utf8)), .file("lesson/index.html", Data("<h1>hi</h1>".utf8)),
            ],
            code: .mismatch, mention: "a.txt")
        try fixture.expectRejected(
            fixture.header + [
                .file("a.txt", Data("ALPHA".utf8)), .file("lesson/index.html", Data("<h1>hi</h1>".utf8)),
            ],
            code: .mismatch, mention: "SHA-256")
        // Mismatch found only once the manifest arrives at the end.
        try fixture.expectRejected(
            [.file("a.txt", Data("ALPHA".utf8)), .file("lesson/index.html", Data("<h1>hi</h1>".utf8))] + fixture.header,
            code: .mismatch, mention: "a.txt")
    }

    @Test func truncatedAndCorruptArchivesAreRejected() throws {
        let fixture = try Fixture(files: ["big.bin": String(repeating: "0123456789abcdef", count: 40_000)])
        let whole = fixture.test.folder.file("whole.tar.gz")
        RawArchive.write(fixture.header + fixture.body, to: whole, format: .tarGzip)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        let truncated = fixture.test.folder.write("truncated.tar.gz", bytes.prefix(bytes.count / 2))
        try fixture.expectRejected(path: truncated, code: .corruptArchive, mention: "truncated or damaged")
        var damaged = bytes
        for index in stride(from: damaged.count / 3, to: damaged.count / 3 + 64, by: 1) { damaged[index] ^= 0xFF }
        let corrupt = fixture.test.folder.write("corrupt.tar.gz", damaged)
        try fixture.expectRejected(path: corrupt, code: .corruptArchive, mention: "cannot be imported")
        let garbage = fixture.test.folder.write("garbage.tar.zst", String(repeating: "garbage ", count: 100))
        try fixture.expectRejected(path: garbage, code: .corruptArchive, mention: "Cannot read the archive")
    }

    @Test func compressionBombsAreStopped() throws {
        let fixture = try Fixture()
        // 80 MiB of zeros compresses to a few kilobytes with zstd: far beyond a 1000:1 ratio.
        let bomb = Data(count: 80 * 1024 * 1024)
        try fixture.expectRejected(
            [.file("bomb.bin", bomb)] + fixture.header, code: .tooLarge,
            mention: "compression bomb", format: .tarZstd)
        // The total-size limit stops a bomb with a modest ratio too.
        try fixture.expectRejected(
            [.file("big.bin", Data(repeating: 7, count: 3 * 1024 * 1024))] + fixture.header,
            code: .tooLarge, mention: "maxBundleBytes", options: { $0.maxBundleBytes = 1024 * 1024 })
        // A listed file that unpacks larger than the manifest says is cut off at once.
        try fixture.expectRejected(
            fixture.header + [.file("a.txt", Data(count: 10 * 1024 * 1024))], code: .mismatch, mention: "larger than",
            format: .tarZstd)
    }

    @Test func missingMalformedAndWrongSignaturesAreRejected() throws {
        let fixture = try Fixture()
        try fixture.expectRejected(
            [.file("manifest.json", fixture.manifest)] + fixture.body,
            code: .badSignature, mention: "no manifest.sig")
        try fixture.expectRejected(
            [.file("manifest.sig", Data("not base64!".utf8)), .file("manifest.json", fixture.manifest)]
                + fixture.body, code: .badSignature, mention: "not a base64 Ed25519 signature")
        // A valid-looking signature by the trusted key over different bytes.
        let forged = try fixture.test.publisher.signature(for: Data("other".utf8)).base64EncodedString()
        try fixture.expectRejected(
            [.file("manifest.sig", Data(forged.utf8)), .file("manifest.json", fixture.manifest)]
                + fixture.body, code: .badSignature, mention: "does not match")
        // The manifest altered after signing.
        var altered = fixture.manifest
        altered[altered.count / 2] ^= 0x01
        try fixture.expectRejected(
            [.file("manifest.sig", fixture.signature), .file("manifest.json", altered)]
                + fixture.body, code: .badSignature, mention: "does not match")
        try fixture.expectRejected(fixture.body, code: .missingEntry, mention: "no manifest.json")
    }

    @Test func unknownPublisherKeysAreRejected() throws {
        let fixture = try Fixture(key: SigningKey())
        try fixture.expectRejected(fixture.header + fixture.body, code: .untrustedKey, mention: "does not trust")
    }

    @Test(arguments: [
        #"{"format": 1, "id": "a/b"}"#,
        #"{"format": 7, "id": "x"}"#,
        #"{"format": 1, "id": "ok", "version": "one"}"#,
        "[1, 2, 3]",
        "{\"format\": 1, \"id\": \"ok\", \"title\": {\"zh\": \"" + String(repeating: "长", count: 100_000)
            + "\", \"en\": \"\"}}",
    ])
    func malformedSignedManifestsAreRejected(json: String) throws {
        let fixture = try Fixture()
        let manifest = Data(json.utf8)
        let signature = try fixture.test.publisher.signature(for: manifest).base64EncodedString()
        try fixture.expectRejected(
            [.file("manifest.sig", Data(signature.utf8)), .file("manifest.json", manifest)] + fixture.body,
            code: .badManifest, mention: "manifest.json")
    }

    @Test func anEmptyOrUnparseableManifestIsReportedAsSuchNotAsAnUnknownKey() throws {
        let fixture = try Fixture()
        for manifest in [Data(), Data(fixture.manifest.prefix(fixture.manifest.count / 2))] {
            try fixture.expectRejected(
                [.file("manifest.sig", fixture.signature), .file("manifest.json", manifest)] + fixture.body,
                code: .badManifest, mention: "entry manifest.json")
        }
    }

    /// The most files and bytes seen in staging while an import ran, sampled at each progress report.
    final class StagingWatch: @unchecked Sendable {
        private let root: String
        private let lock = NSLock()
        private(set) var maxFiles = 0
        private(set) var maxBytes: Int64 = 0

        init(root: String) { self.root = root }

        func sample() {
            var files = 0
            var bytes: Int64 = 0
            let enumerator = FileManager.default.enumerator(atPath: root)
            while let name = enumerator?.nextObject() as? String {
                let attributes = try? FileManager.default.attributesOfItem(atPath: root + "/" + name)
                guard attributes?[.type] as? FileAttributeType == .typeRegular else { continue }
                files += 1
                bytes += (attributes?[.size] as? Int64) ?? 0
            }
            lock.withLock {
                maxFiles = max(maxFiles, files)
                maxBytes = max(maxBytes, bytes)
            }
        }
    }

    @Test func manyEntriesBeforeAnyManifestAreNotAllStaged() throws {
        let fixture = try Fixture()
        let path = fixture.test.folder.file("many.tar")
        RawArchive.write((0..<100_003).map { .file("f/\($0)", Data([1])) }, to: path)
        let watch = StagingWatch(root: fixture.test.node.directory.stagingPath)
        let started = Date()
        #expect {
            _ = try fixture.test.importer().importBundle(at: path) { _ in watch.sample() }
        } throws: { ($0 as? BundleError)?.code == .tooLarge }
        let seconds = Date().timeIntervalSince(started)
        print("100,003 entries before any manifest: rejected in \(seconds) s, at most \(watch.maxFiles) files staged")
        #expect(watch.maxFiles <= 1000)
        #expect(seconds < 15)
        #expect(fixture.test.storedFiles().isEmpty)
    }

    @Test func bytesBeforeAnUntrustedManifestAreNotWrittenToStaging() throws {
        let fixture = try Fixture(key: SigningKey())
        let folder = fixture.test.folder
        // 300 MiB that gzip packs about 750 to 1: zeros with a little random data in every MiB.
        let big = folder.file("src/big.bin")
        try FileManager.default.createDirectory(atPath: folder.file("src"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var chunk = Data(count: 1024 * 1024)
            for index in 0..<700 { chunk[index * 1400] = UInt8.random(in: 0...255, using: &generator) }
            try handle.write(contentsOf: chunk)
        }
        try handle.close()
        try fixture.manifest.write(to: URL(fileURLWithPath: folder.file("src/manifest.json")))
        try fixture.signature.write(to: URL(fileURLWithPath: folder.file("src/manifest.sig")))
        let path = folder.file("late-manifest.tar.gz")
        try ForeignArchiveTests.shell(
            "tar -czf '\(path)' -C '\(folder.file("src"))' big.bin manifest.json manifest.sig && rm '\(big)'")
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        let watch = StagingWatch(root: fixture.test.node.directory.stagingPath)
        #expect {
            _ = try fixture.test.importer().importBundle(at: path) { _ in watch.sample() }
        } throws: { ($0 as? BundleError)?.code == .untrustedKey }
        print(
            "\(size / 1024) KiB archive, 300 MiB before an untrusted manifest: at most \(watch.maxBytes >> 20) MiB staged"
        )
        #expect(watch.maxBytes <= 64 * 1024 * 1024)
        #expect(fixture.test.storedFiles().isEmpty)
    }

    /// A reader that blocks for ever (here on a FIFO nobody writes) is killed after the stall limit; the import
    /// lock is free again at once.
    @Test func aReaderThatMakesNoProgressIsStoppedAtTheStallLimit() throws {
        let fixture = try Fixture()
        let fifo = fixture.test.folder.file("stuck.tar")
        #expect(mkfifo(fifo, 0o600) == 0)
        let started = Date()
        try fixture.expectRejected(
            path: fifo, code: .corruptArchive, mention: "could not be read within 2 s",
            options: { $0.workerStallSeconds = 2 })
        #expect(Date().timeIntervalSince(started) < 10)
        _ = try fixture.test.node.directory.lockForImport(wait: false)
    }

    @Test func oversizedManifestIsRejected() throws {
        let fixture = try Fixture()
        let huge = Data(count: BundleLimits.maxManifestBytes + 1)
        try fixture.expectRejected([.file("manifest.json", huge)], code: .tooLarge, mention: "limit")
    }
}
