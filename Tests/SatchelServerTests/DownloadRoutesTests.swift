import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SatchelServer
import SatchelTestSupport
import Testing

/// `/download/...` through the real router over a bundle made by the real packer: a lesson saved as one file that
/// needs no network, any other resource as its file, both named after the title.
@Suite struct DownloadRoutesTests {
    static let description = #"""
        {"title": {"zh": "三年级", "en": "Grade 3"},
         "defaults": {"stage": "小学", "grade": "三年级", "subject": "数学"},
         "resources": [
           {"id": "lesson", "title": {"zh": "认识分数：第1课", "en": "Fractions"}, "type": "html",
            "entry": "lesson/index.html"},
           {"id": "clip", "title": {"zh": "分数小视频", "en": "Fractions clip"}, "type": "video",
            "entry": "media/clip.MP4"}
         ]}
        """#
    static let lesson = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>认识分数</title>
        <link rel="stylesheet" href="style.css?v=2"><script src="js/app.js"></script></head>
        <body><h1>认识分数</h1><img src="img/pizza.svg" alt="饼"><img src='../shared/bar.svg#top'>
        <a href="https://example.com/">外部链接</a><img src="../../outside.png"></body></html>
        """
    static let files = [
        "lesson/index.html": lesson,
        "lesson/style.css": "h1 { color: #b85c00; background: url(\"img/dot.svg\") }",
        "lesson/js/app.js": "document.title += ' ok';",
        "lesson/img/pizza.svg": #"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#,
        "lesson/img/dot.svg": #"<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>"#,
        "shared/bar.svg": #"<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>"#,
        "media/clip.MP4": String(repeating: "v", count: 4096),
    ]

    static func makeApp() throws -> (TestNode, some ApplicationProtocol) {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(files, id: "g3", description: description))
        return (test, Application(router: buildRouter(node: test.node)))
    }

    /// The values of `src=` and `href=` in `html` that are neither `data:` URIs nor absolute URLs.
    static func relativeReferences(in html: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: #"(?:src|href)\s*=\s*["']?([^"'\s>]+)"#)
        return regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap { match in
            let value = String(html[Range(match.range(at: 1), in: html)!])
            return value.hasPrefix("data:") || value.hasPrefix("https:") ? nil : value
        }
    }

    @Test func aLessonDownloadsAsOneFileWithItsAssetsInside() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/download/g3/lesson", method: .get, headers: [.userAgent: "phone"]) {
                #expect($0.status == .ok)
                #expect($0.headers[.contentType] == "text/html; charset=utf-8")
                #expect(
                    $0.headers[.contentDisposition]
                        == "attachment; filename=\"lesson.html\"; filename*=UTF-8''"
                        + "%E8%AE%A4%E8%AF%86%E5%88%86%E6%95%B0%EF%BC%9A%E7%AC%AC1%E8%AF%BE.html")
                let html = String(buffer: $0.body)
                // Only the escape attempt stays relative: it names no file of the bundle.
                #expect(Self.relativeReferences(in: html) == ["../../outside.png"])
                #expect(html.contains("<h1>认识分数</h1>"))
                #expect(!html.contains("style.css") && !html.contains("pizza.svg") && !html.contains("dot.svg"))
                #expect(html.contains("data:image/svg+xml;base64,") && html.contains("#top'"))
                #expect(html.contains("https://example.com/"))
                let css = Data("h1 { color: #b85c00; background: url(\"".utf8).base64EncodedString().prefix(20)
                #expect(html.contains("data:text/css;charset=utf-8;base64,\(css)"))
            }
            try await client.execute(uri: "/download/g3/lesson?lang=en", method: .get) {
                #expect(
                    $0.headers[.contentDisposition]
                        == "attachment; filename=\"lesson.html\"; filename*=UTF-8''Fractions.html")
            }
            // The resource page's 下载 button leads here.
            try await client.execute(uri: "/resources/g3/lesson", method: .get) {
                #expect(String(buffer: $0.body).contains(#"href="/download/g3/lesson" download"#))
            }
            try await client.execute(uri: "/download/g3/nothing", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/download/none/lesson", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func aVideoDownloadsAsItsFileWithRangesAndANameAndCountsOncePerDay() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/download/g3/clip", method: .get) {
                #expect($0.status == .ok)
                #expect($0.headers[.contentType] == "video/mp4")
                #expect(
                    $0.headers[.contentDisposition]
                        == "attachment; filename=\"clip.mp4\"; filename*=UTF-8''"
                        + "%E5%88%86%E6%95%B0%E5%B0%8F%E8%A7%86%E9%A2%91.mp4")
                #expect($0.body.readableBytes == 4096)
            }
            try await client.execute(uri: "/download/g3/clip", method: .get, headers: [.range: "bytes=100-199"]) {
                #expect($0.status == .partialContent)
                #expect($0.headers[.contentRange] == "bytes 100-199/4096")
                #expect($0.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"clip.mp4\"") == true)
            }
            try await client.execute(uri: "/download/g3/lesson", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/download/g3/lesson", method: .get) { #expect($0.status == .ok) }
        }
        let database = test.node.database
        let deadline = Date().addingTimeInterval(30)
        while try database.pendingEventCount() < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let usage = try #require(try database.usageReport().first { $0.subject == "数学" })
        #expect(usage.downloads == 2, "one download of the clip and one of the lesson: \(usage)")
        #expect(usage.views == 0)
    }
}
