import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SatchelBundles
import SatchelServer
import SatchelTestSupport
import Testing

/// Search, browsing, the JSON API, health and metrics through the real router.
@Suite struct SearchAndBrowseRoutesTests {
    static let description = #"""
        {"title": {"zh": "三年级", "en": "Grade 3"},
         "defaults": {"stage": "小学", "grade": "三年级", "edition": "人教版", "term": "上册"},
         "resources": [
           {"id": "fractions", "title": {"zh": "认识分数", "en": "Fractions"}, "type": "html", "subject": "数学",
            "entry": "fractions/index.html", "description": {"zh": "分数的意义", "en": "What fractions mean"}},
           {"id": "poem", "title": {"zh": "古诗《静夜思》", "en": "Quiet Night Thoughts"}, "type": "html",
            "subject": "语文", "entry": "poem/index.html", "tags": ["李白"]},
           {"id": "video", "title": {"zh": "数学小视频", "en": "Maths clip"}, "type": "video", "subject": "数学",
            "entry": "clip.mp4"}
         ]}
        """#
    static let files = [
        "fractions/index.html": "<h1>认识分数</h1>" + String(repeating: "<p>二分之一</p>", count: 200),
        "poem/index.html": "<h1>静夜思</h1>", "clip.mp4": String(repeating: "v", count: 4096),
    ]

    static func makeApp() throws -> (TestNode, some ApplicationProtocol) {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(files, id: "g3", description: description))
        return (test, Application(router: buildRouter(node: test.node)))
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] ?? [:]
    }

    @Test func searchPageHighlightsMatchesAndHandlesFormEncoding() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/search?q=%E6%95%B0%E5%AD%A6", method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("找到 2 个资源"))
                #expect(html.contains("<mark>数学</mark>小视频"))
            }
            // A form submits spaces as "+".
            try await client.execute(uri: "/search?q=%E6%9D%8E%E7%99%BD+Quiet&lang=en", method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("1 results for “李白 Quiet”"))
                #expect(html.contains("<mark>Quiet</mark> Night Thoughts"))
            }
            try await client.execute(uri: "/search?q=%22%28%2A", method: .get) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body).contains("没有找到相关资源"))
            }
        }
    }

    /// Percent-encodes a query value.
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    @Test func searchUnderstandsClassificationWordsAndOffersFacets() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            // No space, Arabic numerals: the grade and subject filter, they are not text to match.
            try await client.execute(uri: "/search?q=" + Self.encoded("3年级数学"), method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("找到 2 个资源"))
                #expect(html.contains("已按分类筛选：三年级 · 数学"))
                #expect(html.contains("/resources/g3/fractions") && html.contains("/resources/g3/video"))
                #expect(!html.contains("/resources/g3/poem"))
            }
            // A grade alone: the subjects among the results are links that refine the query.
            try await client.execute(uri: "/search?q=" + Self.encoded("三年级"), method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("找到 3 个资源"))
                #expect(html.contains("href=\"/search?q=" + Self.encoded("三年级 数学") + "\">数学 <span class=\"meta\">2"))
            }
            try await client.execute(uri: "/api/v1/search?q=" + Self.encoded("三上数学视频"), method: .get) {
                let json = try Self.json($0.body)
                #expect(json["total"] as? Int == 1)
                #expect((json["results"] as? [[String: Any]])?.first?["id"] as? String == "video")
                #expect(json["filter"] as? [String: String] == ["grade": "三年级", "term": "上册", "subject": "数学"])
            }
        }
    }

    @Test func anEmptySearchOffersWordsThatExistAndTheNearestBrowseLevel() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/search?q=" + Self.encoded("三年级光合作用"), method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("没有找到相关资源"))
                #expect(html.contains("试试这些词"))
                #expect(html.contains("href=\"/search?q=" + Self.encoded("数学") + "\">数学</a>"))
                #expect(
                    html.contains("href=\"/browse?stage=%E5%B0%8F%E5%AD%A6&amp;grade=%E4%B8%89%E5%B9%B4%E7%BA%A7\""))
                #expect(html.contains("分类浏览：小学 › 三年级"))
            }
            // The English page suggests words the catalog holds, and each finds something.
            try await client.execute(uri: "/search?q=zzzz&lang=en", method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("Try these words"))
                #expect(!html.contains("maths"))
            }
            try await client.execute(uri: "/api/v1/search?q=zzzz", method: .get) {
                let json = try Self.json($0.body)
                let words = json["suggestions"] as? [String] ?? []
                #expect(words == ["数学", "语文"])
                #expect(json["browse"] as? [String: String] == [:])
            }
            for word in ["数学", "语文"] {
                try await client.execute(uri: "/api/v1/search?q=" + Self.encoded(word), method: .get) {
                    let total = try Self.json($0.body)["total"] as? Int ?? 0
                    #expect(total > 0)
                }
            }
        }
    }

    @Test func browsingSkipsSingleChoicesAndDrillsDownByStageGradeSubject() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            // One stage and one grade installed: browsing starts at the subjects.
            try await client.execute(uri: "/browse", method: .get) {
                #expect($0.status == .seeOther)
                #expect($0.headers[.location] == "/browse?stage=%E5%B0%8F%E5%AD%A6&grade=%E4%B8%89%E5%B9%B4%E7%BA%A7")
            }
            try await client.execute(
                uri: "/browse?stage=%E5%B0%8F%E5%AD%A6&grade=%E4%B8%89%E5%B9%B4%E7%BA%A7", method: .get
            ) {
                let html = String(buffer: $0.body)
                #expect(html.contains("<h2>学科</h2>"))
                #expect(html.contains("数学 <span class=\"meta\">2</span>"))
            }
            let maths = "/browse?stage=%E5%B0%8F%E5%AD%A6&grade=%E4%B8%89%E5%B9%B4%E7%BA%A7&subject=%E6%95%B0%E5%AD%A6"
            // 数学 has one edition and one term, and no units: its page lists the resources under the term.
            let term = maths + "&edition=%E4%BA%BA%E6%95%99%E7%89%88&term=%E4%B8%8A%E5%86%8C"
            try await client.execute(uri: maths, method: .get) {
                #expect($0.status == .seeOther)
                #expect($0.headers[.location] == term)
            }
            try await client.execute(uri: term, method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains(">人教版</a> › <a href=") && html.contains(">上册</a></p>"))
                #expect(!html.contains("<h2>单元</h2>"), "a bundle without units offers none")
                #expect(html.contains("/resources/g3/fractions") && html.contains("/resources/g3/video"))
                #expect(!html.contains("/resources/g3/poem"))
            }
        }
    }

    @Test func jsonAPIForSearchFacetsAndResources() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/search?q=%E5%88%86%E6%95%B0", method: .get) {
                let json = try Self.json($0.body)
                #expect(json["total"] as? Int == 1)
                let first = (json["results"] as? [[String: Any]])?.first
                #expect(first?["id"] as? String == "fractions")
                #expect(first?["url"] as? String == "/content/g3/fractions/index.html")
            }
            try await client.execute(uri: "/api/v1/facets?stage=%E5%B0%8F%E5%AD%A6", method: .get) {
                let facets = try Self.json($0.body)["facets"] as? [String: [[String: Any]]]
                #expect(facets?["subject"]?.map { $0["value"] as? String } == ["数学", "语文"])
            }
            try await client.execute(uri: "/api/v1/resources?subject=%E8%AF%AD%E6%96%87", method: .get) {
                let json = try Self.json($0.body)
                #expect(json["total"] as? Int == 1)
            }
            try await client.execute(uri: "/api/v1/resources/g3/poem", method: .get) {
                try #expect((Self.json($0.body))["tags"] as? [String] == ["李白"])
            }
            try await client.execute(uri: "/api/v1/resources?page=0", method: .get) {
                #expect($0.status == .badRequest)
                try #expect(((Self.json($0.body))["error"] as? [String: String])?["code"] == "bad_parameter")
            }
            try await client.execute(uri: "/api/v1/resources/g3/nope", method: .get) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func gzipIsNegotiatedForTextOnly() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            let uri = "/content/g3/fractions/index.html"
            var gzipTag = ""
            try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip, deflate"]) {
                #expect($0.headers[.contentEncoding] == "gzip")
                #expect($0.headers[.vary] == "Accept-Encoding")
                gzipTag = $0.headers[.eTag] ?? ""
                #expect(gzipTag.hasSuffix("-gzip\""))
                var body = $0.body
                let plain = try body.decompress(with: .gzip())
                #expect(String(buffer: plain) == Self.files["fractions/index.html"])
            }
            try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip", .ifNoneMatch: gzipTag])
            {
                #expect($0.status == .notModified)
            }
            try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip;q=0"]) {
                #expect($0.headers[.contentEncoding] == nil)
            }
            try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip", .range: "bytes=0-9"]) {
                #expect($0.status == .partialContent)
                #expect($0.headers[.contentEncoding] == nil)
                #expect($0.body.readableBytes == 10)
            }
            try await client.execute(uri: "/content/g3/clip.mp4", method: .get, headers: [.acceptEncoding: "gzip"]) {
                #expect($0.headers[.contentEncoding] == nil)
            }
        }
    }

    @Test func metricsAndHealth() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/content/g3/clip.mp4", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) {
                let text = String(buffer: $0.body)
                #expect(text.contains("satchel_resources 3"))
                #expect(text.contains("satchel_content_bytes_sent_total"))
                #expect(text.contains("http_server_request_duration_bucket"))
                #expect(text.contains("hb_requests{"))
            }
            try await client.execute(uri: "/healthz", method: .get) {
                #expect($0.status == .ok)
                try #expect((Self.json($0.body))["resources"] as? Int == 3)
            }
            try FileManager.default.removeItem(atPath: test.node.directory.blobsPath)
            try await client.execute(uri: "/healthz", method: .get) {
                #expect($0.status == .serviceUnavailable)
                let reasons = (try Self.json($0.body))["reasons"] as? [String]
                #expect(reasons?.first?.contains("blob store missing") == true)
            }
        }
    }
}
