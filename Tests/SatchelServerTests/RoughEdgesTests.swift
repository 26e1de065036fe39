import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SatchelBundles
import SatchelServer
import SatchelTestSupport
import Testing

/// The rough edges of issue 17 a teacher or a head teacher meets in the web UI: error answers a browser can show,
/// paging past the end, admin links and confirmations, words a teacher understands, a report Excel reads.
@Suite struct RoughEdgesTests {
    static let browser: HTTPFields = [.accept: "text/html,application/xhtml+xml,*/*;q=0.8"]

    /// Logs in as the fixture's admin and returns the headers that carry the session.
    static func adminHeaders(_ client: some TestClientProtocol) async throws -> HTTPFields {
        var cookie = ""
        try await client.execute(
            uri: "/login", method: .post, headers: RecordsFlowTests.formHeaders,
            body: RecordsFlowTests.form(["username": "admin", "password": "admin-secret"])
        ) { cookie = RecordsFlowTests.cookie($0) }
        var headers = RecordsFlowTests.formHeaders
        headers[.cookie] = cookie
        return headers
    }

    @Test func anUnknownAddressIsAPageInThePageLanguageWithAWayHome() async throws {
        let fixture = try RecordsFlowTests.Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/nope", method: .get, headers: Self.browser) {
                #expect($0.status == .notFound)
                #expect($0.headers[.contentType] == "text/html; charset=utf-8")
                let html = String(buffer: $0.body)
                #expect(html.contains("<html lang=\"zh-CN\">") && html.contains("找不到页面"))
                #expect(html.contains(#"<a class="button" href="/">首页</a>"#))
            }
            try await client.execute(uri: "/nope?lang=en", method: .get) {
                #expect($0.status == .notFound)
                let html = String(buffer: $0.body)
                #expect(html.contains("Page not found") && html.contains(#"href="/">Home</a>"#))
            }
            // API clients keep their JSON errors.
            try await client.execute(uri: "/api/v1/nope", method: .get, headers: Self.browser) {
                #expect($0.status == .notFound)
                #expect($0.headers[.contentType]?.hasPrefix("application/json") == true)
            }
        }
    }

    @Test func aMissingContentFileIsAPageForABrowserAndJSONForAnAPIClient() async throws {
        let fixture = try RecordsFlowTests.Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/content/maths/gone.html", method: .get, headers: Self.browser) {
                #expect($0.status == .notFound)
                #expect($0.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: $0.body).contains("找不到页面"))
            }
            try await client.execute(
                uri: "/content/maths/gone.html", method: .get, headers: [.accept: "application/json"]
            ) {
                #expect($0.status == .notFound)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any]
                #expect(json?["error"] != nil)
            }
        }
    }

    @Test func loggedOutPagesSendTheBrowserToTheLoginPage() async throws {
        let fixture = try RecordsFlowTests.Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try await fixture.app.test(.router) { client in
            for uri in ["/me/export"] {
                try await client.execute(uri: uri, method: .get, headers: Self.browser) {
                    #expect($0.status == .seeOther, "\(uri)")
                    #expect($0.headers[.location] == "/login", "\(uri)")
                }
            }
        }
    }

    @Test func theLanguageSwitchOnAFormAnswerLeadsToThePageTheFormWasOn() async throws {
        let fixture = try RecordsFlowTests.Fixture()
        defer { withExtendedLifetime(fixture) {} }
        let stick = TemporaryDirectory("usb")
        try await fixture.app.test(.router) { client in
            var headers = try await Self.adminHeaders(client)
            var page = ""
            try await client.execute(uri: "/admin", method: .get, headers: headers) { page = String(buffer: $0.body) }
            headers[.referer] = "http://localhost/admin"
            var answer = ""
            try await client.execute(
                uri: "/admin/import", method: .post, headers: headers,
                body: RecordsFlowTests.form(["csrf": RecordsFlowTests.csrf(page), "path": stick.path])
            ) { answer = String(buffer: $0.body) }
            #expect(answer.contains(#"<a href="/admin?lang=en" hreflang="en">English</a>"#))
            #expect(!answer.contains("/admin/import?lang=en"))
            try await client.execute(uri: "/admin?lang=en", method: .get, headers: headers) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test func aSearchPagePastTheEndSaysSoAndLinksToPageOne() async throws {
        let (test, app) = try SearchAndBrowseRoutesTests.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            try await client.execute(uri: "/search?q=%E6%95%B0%E5%AD%A6&page=99", method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("共找到 2 个资源，第 99 页已超出最后一页。"))
                #expect(html.contains(#"<a href="/search?q=%E6%95%B0%E5%AD%A6&amp;page=1">← 回到第 1 页</a>"#))
            }
            try await client.execute(uri: "/search?q=%E6%95%B0%E5%AD%A6&page=99&lang=en", method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("2 results for “数学”; page 99 is past the last page."))
                #expect(html.contains("Back to page 1"))
            }
        }
    }
}
