import Foundation
import SatchelBundles
import SatchelCore
import SatchelStore
import SatchelTestSupport
import Testing

@Suite struct ImportTests {
    static let lesson = [
        "lesson/index.html": "<!doctype html><meta charset=utf-8><h1>认识分数</h1><img src=pizza.svg>",
        "lesson/pizza.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "video.mp4": String(repeating: "v", count: 5000),
        "worksheet.pdf": "%PDF-1.4 fake",
    ]

    @Test func packedBundleImportsIntoTheStoreAndCatalog() throws {
        let test = try TestNode()
        let bundle = try test.pack(Self.lesson, id: "math-g3")
        let report = try test.importer().importBundle(at: bundle)
        #expect(report.outcome == .installed(previousVersion: nil))
        #expect(report.blobsAdded == 4)

        let installed = try #require(try test.node.database.bundle(id: "math-g3"))
        #expect(installed.version == 1)
        #expect(installed.fileCount == 4)
        let files = try test.node.database.files(bundleId: "math-g3")
        for file in files {
            #expect(test.node.blobStore.verify(file.sha256), "\(file.path) is not stored intact")
        }
        let stored = try Data(
            contentsOf: URL(
                fileURLWithPath: test.node.blobStore.path(
                    for: try #require(files.first { $0.path == "lesson/index.html" }).sha256)))
        #expect(String(decoding: stored, as: UTF8.self) == Self.lesson["lesson/index.html"])
        // One resource per top-level file, one per top-level folder with an index.html.
        let resources = try test.node.database.resources(bundleId: "math-g3").map(\.entry).sorted()
        #expect(resources == ["lesson/index.html", "video.mp4", "worksheet.pdf"])
        #expect(
            try test.node.database.resources(bundleId: "math-g3").first { $0.entry == "video.mp4" }?.type == "video")
        #expect(FileManager.default.contentsOfDirectory(atPathOrEmpty: test.node.directory.stagingPath).isEmpty)
    }

    @Test func importingTheSameBundleAgainChangesNothing() throws {
        let test = try TestNode()
        let bundle = try test.pack(Self.lesson)
        _ = try test.importer().importBundle(at: bundle)
        let before = test.storedFiles()
        let report = try test.importer().importBundle(at: bundle)
        #expect(report.outcome == .alreadyInstalled)
        #expect(report.blobsAdded == 0)
        #expect(test.storedFiles() == before)
    }

    @Test func updateReusesSharedBlobsKeepsResourceIdsAndCollectsTheRest() throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(Self.lesson, version: 1))
        let oldWorksheet = try #require(try test.node.database.file(bundleId: "test-bundle", path: "worksheet.pdf"))
            .sha256
        var changed = Self.lesson
        changed["worksheet.pdf"] = "%PDF-1.4 corrected"
        let report = try test.importer().importBundle(at: try test.pack(changed, version: 2))
        #expect(report.outcome == .installed(previousVersion: 1))
        #expect(report.blobsAdded == 1)
        #expect(report.filesReused == 3)
        #expect(report.blobsCollected == 1)
        #expect(!test.node.blobStore.contains(oldWorksheet))
        #expect(try test.node.database.bundle(id: "test-bundle")?.version == 2)
        let ids = try test.node.database.resources(bundleId: "test-bundle").map(\.id).sorted()
        #expect(ids == ["lesson", "video", "worksheet"])
    }

    @Test func olderVersionIsRefusedUnlessDowngradeIsAllowed() throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(Self.lesson, version: 3))
        let older = try test.pack(Self.lesson.merging(["extra.txt": "x"]) { $1 }, version: 2)
        do {
            _ = try test.importer().importBundle(at: older)
            Issue.record("a downgrade was accepted")
        } catch let error as BundleError {
            #expect(error.code == .downgrade)
            #expect(error.message.en.contains("--allow-downgrade"))
        }
        #expect(try test.node.database.bundle(id: "test-bundle")?.version == 3)
        let report = try test.importer(allowDowngrade: true).importBundle(at: older)
        #expect(report.outcome == .installed(previousVersion: 3))
    }

    @Test func sameVersionWithDifferentContentIsAConflict() throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(Self.lesson, version: 1))
        let other = try test.pack(["a.txt": "different"], version: 1)
        #expect { try test.importer().importBundle(at: other) } throws: {
            ($0 as? BundleError)?.code == .versionConflict
        }
    }

    @Test(arguments: BundlePacker.Format.allCases)
    func packingIsReproducible(format: BundlePacker.Format) throws {
        let test = try TestNode()
        let description = #"{"title": {"zh": "课", "en": "Lesson"}}"#
        let first = try test.pack(Self.lesson, format: format, description: description)
        // The second pack's files are written in a later second of the clock than the first's, so that their times
        // differ: wait until the clock has moved on by more than a second.
        let packed = Date()
        while Date().timeIntervalSince(packed) <= 1.1 { Thread.sleep(forTimeInterval: 0.05) }
        let second = try test.pack(Self.lesson, format: format, description: description)
        let firstBytes = try Data(contentsOf: URL(fileURLWithPath: first))
        let secondBytes = try Data(contentsOf: URL(fileURLWithPath: second))
        #expect(firstBytes.count == secondBytes.count)
        #expect(firstBytes == secondBytes, "the two packs differ")
        let report = try test.importer().importBundle(at: first)
        #expect(report.manifest.files.count == 4)
    }

    @Test func bundleDescriptionGivesTitlesAndClassification() throws {
        let test = try TestNode()
        let description = #"""
            {"title": {"zh": "三年级数学", "en": "Grade 3 maths"}, "kind": "curriculum",
             "defaults": {"stage": "小学", "grade": "三年级", "subject": "数学", "edition": "人教版", "term": "上册"},
             "resources": [{"id": "fractions", "title": {"zh": "认识分数", "en": "Fractions"}, "type": "html",
                            "entry": "lesson/index.html", "tags": ["分数"]}]}
            """#
        let bundle = try test.pack(Self.lesson, description: description)
        _ = try test.importer().importBundle(at: bundle)
        let installed = try #require(try test.node.database.bundle(id: "test-bundle"))
        #expect(installed.titleZh == "三年级数学")
        let resource = try #require(try test.node.database.resource(bundleId: "test-bundle", id: "fractions"))
        #expect(resource.subject == "数学" && resource.edition == "人教版" && resource.term == "上册")
        #expect(try test.node.database.resources(bundleId: "test-bundle").count == 1)
    }

    @Test func foldersAreSearchedForBundles() throws {
        let test = try TestNode()
        let stick = TemporaryDirectory("usb")
        let bundle = try test.pack(Self.lesson)
        try FileManager.default.createDirectory(atPath: stick.file("satchel/2026"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: bundle, toPath: stick.file("satchel/2026/math.tar.zst"))
        stick.write("notes.txt", "not a bundle")
        #expect(BundleImporter.findArchives(in: [stick.path]) == [stick.file("satchel/2026/math.tar.zst")])
    }

    @Test func diskReserveRefusesWithBothFigures() throws {
        let test = try TestNode { $0.diskReserveBytes = Int64.max / 4 }
        let bundle = try test.pack(Self.lesson)
        do {
            _ = try test.importer().importBundle(at: bundle)
            Issue.record("import ignored the disk reserve")
        } catch let error as BundleError {
            #expect(error.code == .noSpace)
            #expect(error.message.en.contains("needs") && error.message.en.contains("is free"))
            #expect(error.message.zh.contains("可用"))
        }
        #expect(test.storedFiles().isEmpty)
    }

    @Test func storeQuotaIsEnforced() throws {
        let test = try TestNode { $0.storeQuotaBytes = 1000 }
        let bundle = try test.pack(Self.lesson)
        #expect { try test.importer().importBundle(at: bundle) } throws: { ($0 as? BundleError)?.code == .noSpace }
        #expect(test.storedFiles().isEmpty)
    }
}

extension FileManager {
    func contentsOfDirectory(atPathOrEmpty path: String) -> [String] {
        (try? contentsOfDirectory(atPath: path)) ?? []
    }
}
