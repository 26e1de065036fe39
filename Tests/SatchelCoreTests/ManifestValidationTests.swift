import Foundation
import SatchelCore
import Testing

@Suite struct ManifestValidationTests {
    static let sha = String(repeating: "a", count: 64)

    static func manifestJSON() -> Data {
        var object: [String: Any] = [
            "format": 1, "id": "math-g3", "version": 2, "title": ["zh": "数学", "en": "Maths"], "kind": "curriculum",
            "publisherKey": "0123456789abcdef", "created": "2026-01-01T00:00:00Z",
            "resources": [
                [
                    "id": "lesson-1", "title": ["zh": "第一课", "en": "Lesson 1"], "type": "html",
                    "entry": "lesson/index.html",
                ]
            ],
            "files": [["path": "lesson/index.html", "size": 10, "sha256": sha, "mediaType": "text/html"]],
        ]
        return try! JSONSerialization.data(withJSONObject: object)
    }

    @Test func aValidManifestDecodes() throws {
        let manifest = try Manifest.decode(Self.manifestJSON())
        #expect(manifest.id == "math-g3")
        #expect(manifest.resources.first?.title.zh == "第一课")
        #expect(manifest.totalSize == 10)
    }

    static let fileTemplate = #"{"path": "lesson/index.html", "size": 10, "sha256": "SHA", "mediaType": "text/html"}"#
        .replacingOccurrences(of: "SHA", with: sha)

    /// Each case replaces one top-level key with a JSON value (or removes it when the value is nil).
    @Test(
        arguments: [
            ("format 2", "format", "2", "format version"),
            ("id with slash", "id", #""../etc""#, "field id"),
            ("id uppercase", "id", #""Math""#, "field id"),
            ("version as string", "version", #""2""#, "version"),
            ("version zero", "version", "0", "field version"),
            ("huge title", "title", #"{"zh": ""# + String(repeating: "长", count: 5000) + #"", "en": ""}"#, "title"),
            ("kind unknown", "kind", #""game""#, "kind"),
            ("bad key id", "publisherKey", #""ABCDEF0123456789""#, "publisherKey"),
            ("bad time", "created", #""yesterday""#, "created"),
            ("missing files", "files", nil, "files"),
            (
                "traversal path", "files",
                #"[{"path": "../x", "size": 1, "sha256": "SHA", "mediaType": "text/plain"}]"#, "unsafe"
            ),
            (
                "absolute path", "files",
                #"[{"path": "/etc/passwd", "size": 1, "sha256": "SHA", "mediaType": "text/plain"}]"#,
                "unsafe"
            ),
            (
                "negative size", "files",
                #"[{"path": "lesson/index.html", "size": -1, "sha256": "SHA", "mediaType": "t/h"}]"#,
                "size"
            ),
            (
                "short hash", "files",
                #"[{"path": "lesson/index.html", "size": 1, "sha256": "abc", "mediaType": "t/h"}]"#,
                "sha256"
            ),
            (
                "entry not listed", "resources",
                #"[{"id": "r", "title": {"zh": "", "en": "R"}, "type": "html", "entry": "no.html"}]"#,
                "entry"
            ),
            ("duplicate file", "files", "[" + fileTemplate + "," + fileTemplate + "]", "twice"),
            (
                "sizes that overflow when summed", "files",
                #"[{"path": "lesson/index.html", "size": 9223372036854775807, "sha256": "SHA", "mediaType": "t/h"},"#
                    + #"{"path": "b.bin", "size": 9223372036854775807, "sha256": "SHA", "mediaType": "t/h"}]"#,
                "files[1].size"
            ),
        ] as [(String, String, String?, String)])
    func invalidManifestsAreRefusedWithTheField(name: String, key: String, value: String?, mention: String) throws {
        var object = try JSONSerialization.jsonObject(with: Self.manifestJSON()) as! [String: Any]
        if let value {
            let patched = value.replacingOccurrences(of: "\"SHA\"", with: "\"\(Self.sha)\"")
            object[key] = try JSONSerialization.jsonObject(with: Data(patched.utf8), options: .fragmentsAllowed)
        } else {
            object.removeValue(forKey: key)
        }
        do {
            _ = try Manifest.decode(try JSONSerialization.data(withJSONObject: object))
            Issue.record("\(name) was accepted")
        } catch {
            let error = error as? ManifestError
            #expect(error != nil, "\(name)")
            #expect(error?.message.en.contains(mention) == true, "\(name): \(error?.message.en ?? "")")
            #expect(error?.exitStatus == .dataError)
        }
    }

    @Test func totalSizeOfAnUnvalidatedManifestSaturatesInsteadOfTrapping() throws {
        var manifest = try Manifest.decode(Self.manifestJSON())
        manifest.files += [
            Manifest.File(path: "a.bin", size: .max, sha256: Self.sha, mediaType: "t/b"),
            Manifest.File(path: "b.bin", size: .max, sha256: Self.sha, mediaType: "t/b"),
        ]
        #expect(manifest.totalSize == .max)
    }

    @Test func notJSONIsMalformed() {
        #expect(throws: ManifestError.self) { try Manifest.decode(Data("not json".utf8)) }
    }

    @Test(
        arguments: [
            ("a/b.html", nil), ("./a.html", nil), ("../a", BundlePath.PathProblem.dotComponent),
            ("a/./b", .dotComponent), ("/abs", .absolute), ("a\\b", .backslash), ("a//b", .emptyComponent),
            ("a\u{0}b", .controlCharacter), ("", .empty), (String(repeating: "x", count: 300), .tooLong),
        ] as [(String, BundlePath.PathProblem?)])
    func pathRules(path: String, problem: BundlePath.PathProblem?) {
        #expect(BundlePath.problem(with: path) == problem)
    }

    /// Sizes read as a phone or a Chinese PC shows them (KB, MB), not in binary KiB and MiB.
    @Test func byteCountsReadLikeAPhoneShowsThem() {
        #expect(ByteCount.human(512) == "512 B")
        #expect(ByteCount.human(1500) == "1.5 KB")
        #expect(ByteCount.human(2_345_678) == "2.3 MB")
        #expect(ByteCount.human(524_288_000) == "524 MB")
        #expect(ByteCount.human(1_000_000_000) == "1 GB")
    }
}
