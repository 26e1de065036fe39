import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SatchelBundles
import SatchelServer
import SatchelTestSupport
import Testing

/// Content serving as RFC 9110 says: ranges, conditionals, and path tricks, through the real router.
@Suite struct ContentRoutesTests {
    static let body = String((0..<1000).map { Character(UnicodeScalar(UInt8(65 + $0 % 26))) })
    static let files = [
        "video/clip.mp4": body,
        "intro.mp4": body,
        "lesson/index.html": "<!doctype html><meta charset=utf-8><p>你好</p><img src=\"pic.svg\">",
        "lesson/pic.svg": "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        "文档/说明.txt": "中文路径",
    ]

    static func makeApp() throws -> (TestNode, some ApplicationProtocol) {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(files, id: "demo"))
        return (test, Application(router: buildRouter(node: test.node)))
    }

    struct RangeCase: Sendable, CustomTestStringConvertible {
        var range: String
        var status: HTTPResponse.Status
        var contentRange: String?
        var body: String?
        var testDescription: String { "Range: \(range)" }
    }

    @Test(arguments: [
        RangeCase(
            range: "bytes=0-99", status: .partialContent, contentRange: "bytes 0-99/1000",
            body: String(body.prefix(100))),
        RangeCase(
            range: "bytes=990-", status: .partialContent, contentRange: "bytes 990-999/1000",
            body: String(body.suffix(10))),
        RangeCase(
            range: "bytes=-5", status: .partialContent, contentRange: "bytes 995-999/1000",
            body: String(body.suffix(5))),
        RangeCase(range: "bytes=-5000", status: .partialContent, contentRange: "bytes 0-999/1000", body: body),
        RangeCase(
            range: "bytes=500-5000", status: .partialContent, contentRange: "bytes 500-999/1000",
            body: String(body.suffix(500))),
        RangeCase(
            range: "bytes=999-999", status: .partialContent, contentRange: "bytes 999-999/1000",
            body: String(body.suffix(1))),
        RangeCase(range: "bytes=1000-", status: .rangeNotSatisfiable, contentRange: "bytes */1000", body: ""),
        RangeCase(range: "bytes=5000-6000", status: .rangeNotSatisfiable, contentRange: "bytes */1000", body: ""),
        RangeCase(range: "bytes=-0", status: .rangeNotSatisfiable, contentRange: "bytes */1000", body: ""),
        RangeCase(range: "bytes=0-1,5-6", status: .ok, contentRange: nil, body: body),
        RangeCase(range: "bytes=10-5", status: .ok, contentRange: nil, body: body),
        RangeCase(range: "bytes=abc", status: .ok, contentRange: nil, body: body),
        RangeCase(range: "items=0-5", status: .ok, contentRange: nil, body: body),
    ])
    func byteRanges(_ item: RangeCase) async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/content/demo/video/clip.mp4", method: .get, headers: [.range: item.range]) {
                #expect($0.status == item.status)
                #expect($0.headers[.contentRange] == item.contentRange)
                if let body = item.body { #expect(String(buffer: $0.body) == body) }
                #expect($0.headers[.acceptRanges] == "bytes")
            }
        }
    }

    @Test func fullResponseHasTypeStrongETagAndLength() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        let sha = try #require(try test.node.database.file(bundleId: "demo", path: "video/clip.mp4")).sha256
        try await app.test(.router) { client in
            try await client.execute(uri: "/content/demo/video/clip.mp4", method: .get) {
                #expect($0.status == .ok)
                #expect($0.headers[.contentType] == "video/mp4")
                #expect($0.headers[.eTag] == "\"\(sha)\"")
                #expect($0.headers[.contentLength] == "1000")
                #expect($0.headers[.lastModified] != nil)
                #expect(String(buffer: $0.body) == Self.body)
            }
            try await client.execute(uri: "/content/demo/video/clip.mp4", method: .head) {
                #expect($0.status == .ok)
                #expect($0.headers[.contentLength] == "1000")
                #expect($0.body.readableBytes == 0)
            }
        }
    }

    @Test func conditionalRequests() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        let etag = "\"\(try #require(try test.node.database.file(bundleId: "demo", path: "video/clip.mp4")).sha256)\""
        try await app.test(.router) { client in
            let uri = "/content/demo/video/clip.mp4"
            var lastModified = ""
            try await client.execute(uri: uri, method: .get) { lastModified = $0.headers[.lastModified] ?? "" }
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: etag]) {
                #expect($0.status == .notModified)
                #expect($0.body.readableBytes == 0)
            }
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"other\", W/\(etag)"]) {
                #expect($0.status == .notModified)
            }
            try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"other\""]) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: uri, method: .get, headers: [.ifModifiedSince: lastModified]) {
                #expect($0.status == .notModified)
            }
            try await client.execute(
                uri: uri, method: .get, headers: [.ifModifiedSince: "Thu, 01 Jan 2015 00:00:00 GMT"]
            ) {
                #expect($0.status == .ok)
            }
            // If-Range with the current ETag honours the range; with a stale one the full body comes back.
            try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9", .ifRange: etag]) {
                #expect($0.status == .partialContent)
            }
            try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9", .ifRange: "\"stale\""]) {
                #expect($0.status == .ok)
                #expect($0.body.readableBytes == 1000)
            }
            try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9", .ifRange: lastModified]) {
                #expect($0.status == .partialContent)
            }
        }
    }

    @Test(arguments: [
        "/content/demo/../../etc/passwd", "/content/demo/%2e%2e/%2e%2e/etc/passwd",
        "/content/demo/..%2f..%2fetc/passwd",
        "/content/demo/lesson%00.html", "/content/demo/lesson%5cindex.html", "/content/demo/%c0%ae%c0%ae/x",
        "/content/demo/%e0%80%af", "/content/demo/%zz", "/content/demo/lesson/./index.html", "/content/../demo/x",
        "/content/demo//etc/passwd", "/content/demo/lesson\\index.html",
    ])
    func pathTricksNeverEscapeTheStore(path: String) async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: path, method: .get) {
                #expect($0.status == .badRequest || $0.status == .notFound, "\(path) → \($0.status)")
                #expect(!String(buffer: $0.body).contains("root:"))
            }
        }
    }

    @Test func percentEncodedChineseAndFolderIndexPaths() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/content/demo/%E6%96%87%E6%A1%A3/%E8%AF%B4%E6%98%8E.txt", method: .get) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body) == "中文路径")
            }
            try await client.execute(uri: "/content/demo/lesson/", method: .get) {
                #expect($0.status == .ok)
                #expect($0.headers[.contentType] == "text/html; charset=utf-8")
            }
            try await client.execute(uri: "/content/demo/lesson/pic.svg", method: .get) {
                #expect($0.headers[.contentType] == "image/svg+xml")
            }
            try await client.execute(uri: "/content/nope/lesson/index.html", method: .get) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func webPagesAreChineseFirstWithEnglishSwitch() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("<html lang=\"zh-CN\">"))
                #expect(html.contains("学习资源"))
                #expect(html.contains("/resources/demo/"))
            }
            try await client.execute(uri: "/?lang=en", method: .get) {
                #expect(String(buffer: $0.body).contains("Learning resources"))
                #expect($0.headers[.setCookie]?.contains("lang=en") == true)
            }
            try await client.execute(uri: "/", method: .get, headers: [.cookie: "lang=en"]) {
                #expect(String(buffer: $0.body).contains("<html lang=\"en\">"))
            }
            try await client.execute(uri: "/resources/demo/intro", method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("<video controls"))
                #expect(html.contains("/content/demo/intro.mp4"))
                #expect(html.contains("1 KB"))
            }
        }
    }

    @Test func apiListsBundlesAndAnswersErrorsAsJSON() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/bundles", method: .get) {
                let json = try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any]
                let bundles = json?["bundles"] as? [[String: Any]]
                #expect(bundles?.first?["id"] as? String == "demo")
            }
            try await client.execute(uri: "/api/v1/bundles/missing", method: .get) {
                #expect($0.status == .notFound)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: [String: String]]
                #expect(json?["error"]?["code"] == "not_found")
            }
            try await client.execute(uri: "/healthz", method: .get) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body).contains("\"status\":\"ok\""))
            }
        }
    }
}
