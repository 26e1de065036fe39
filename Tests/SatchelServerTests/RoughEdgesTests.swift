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
            for uri in ["/me/export", "/admin/report.csv"] {
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
                #expect(String(buffer: $0.body).contains("School server admin"))
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

    @Test func adminIsLinkedFromTheHeaderAndMeAndItsPageIsChineseInPlainWords() async throws {
        let fixture = try RecordsFlowTests.Fixture()
        defer { withExtendedLifetime(fixture) {} }
        let stick = TemporaryDirectory("usb")
        try FileManager.default.copyItem(
            atPath: try fixture.test.pack(["new.html": "<h1>新课</h1>"], id: "from-usb"),
            toPath: stick.file("from-usb.tar.zst"))
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) {
                #expect(!String(buffer: $0.body).contains(#"href="/admin""#), "the admin link is for admins only")
            }
            let headers = try await Self.adminHeaders(client)
            try await client.execute(uri: "/me", method: .get, headers: headers) {
                let html = String(buffer: $0.body)
                #expect(html.contains(#"<a href="/admin">管理</a>"#), "header link")
                #expect(html.contains(#"<a class="button" href="/admin">本校资源服务器管理</a>"#), "/me link")
            }
            var page = ""
            try await client.execute(uri: "/admin", method: .get, headers: headers) { page = String(buffer: $0.body) }
            #expect(page.contains("<h1>本校资源服务器管理</h1>"))
            #expect(page.contains("分钟") && page.contains("附近学校的服务器") && page.contains("从未同步"))
            for word in ["节点", "0 min", "Peers", "installed", "Satchel</strong>"] {
                #expect(!page.contains(word), "the Chinese admin page shows “\(word)”")
            }
            try await client.execute(
                uri: "/admin/import", method: .post, headers: headers,
                body: RecordsFlowTests.form(["csrf": RecordsFlowTests.csrf(page), "path": stick.path])
            ) {
                let html = String(buffer: $0.body)
                #expect(html.contains("（from-usb v1）已安装"))
                #expect(!html.contains("installed"))
            }
        }
    }

    @Test func removingABundleAsksFirstWithoutJavaScript() async throws {
        let fixture = try RecordsFlowTests.Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try await fixture.app.test(.router) { client in
            let headers = try await Self.adminHeaders(client)
            var page = ""
            try await client.execute(uri: "/admin", method: .get, headers: headers) { page = String(buffer: $0.body) }
            #expect(!page.contains(#"<form method="post" action="/admin/bundles/maths/remove">"#))
            #expect(page.contains(#"<a class="button" href="/admin/bundles/maths/remove">删除…</a>"#))
            let csrf = RecordsFlowTests.csrf(page)
            var question = ""
            try await client.execute(uri: "/admin/bundles/maths/remove", method: .get, headers: headers) {
                #expect($0.status == .ok)
                question = String(buffer: $0.body)
            }
            #expect(question.contains("确定删除资源包") && question.contains("2 个资源"))
            #expect(question.contains(#"name="confirm" value="yes""#) && RecordsFlowTests.csrf(question) == csrf)
            #expect(question.contains(#"<a class="button" href="/admin">取消</a>"#))
            // A form without the confirmation (an old page) is sent to the question and removes nothing.
            try await client.execute(
                uri: "/admin/bundles/maths/remove", method: .post, headers: headers,
                body: RecordsFlowTests.form(["csrf": csrf])
            ) {
                #expect($0.status == .seeOther)
                #expect($0.headers[.location] == "/admin/bundles/maths/remove")
            }
            #expect(try fixture.test.node.database.bundle(id: "maths") != nil)
            try await client.execute(
                uri: "/admin/bundles/maths/remove", method: .post, headers: headers,
                body: RecordsFlowTests.form(["csrf": csrf, "confirm": "yes"])
            ) { #expect($0.status == .seeOther) }
            #expect(try fixture.test.node.database.bundle(id: "maths") == nil)
            try await client.execute(uri: "/admin/bundles/maths/remove", method: .get, headers: headers) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func theReportCSVOpensInExcelWithChineseHeaders() async throws {
        let fixture = try RecordsFlowTests.Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try await fixture.app.test(.router) { client in
            let headers = try await Self.adminHeaders(client)
            try await client.execute(uri: "/admin/report.csv", method: .get, headers: headers) {
                #expect($0.headers[.contentType] == "text/csv; charset=utf-8")
                let bytes = Array(Data(buffer: $0.body))
                #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]), "no UTF-8 byte order mark for Excel")
                let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
                #expect(text.hasPrefix("类别,学科,年级,浏览次数,下载次数,使用分钟,流量（MB）\n"))
                #expect(text.contains("\n类别,教师,教师编号,课程,完成单元,单元总数,认定学时,学习分钟\n"))
            }
            try await client.execute(uri: "/admin/report.csv?lang=en", method: .get, headers: headers) {
                #expect(String(buffer: $0.body).hasPrefix("\u{FEFF}section,subject,grade,views"))
            }
        }
    }

    @Test func cardsJoinOnlyTheFieldsThatAreThere() async throws {
        let fixture = try RecordsFlowTests.Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try await fixture.app.test(.router) { client in
            let headers = try await Self.adminHeaders(client)
            // The admin has no teacher number and no subjects.
            try await client.execute(uri: "/admin/teachers", method: .get, headers: headers) {
                let html = String(buffer: $0.body)
                #expect(html.contains(#"<span class="meta">admin · 管理员</span>"#))
                #expect(html.range(of: #"·\s*·"#, options: .regularExpression) == nil)
            }
            // The maths lesson has no stage, edition or term.
            try await client.execute(uri: "/bundles/maths", method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("<span>课件</span> · <span>三年级</span> · <span>数学</span> · <span>"))
                #expect(html.range(of: #"·\s*(<span>\s*</span>\s*)?·"#, options: .regularExpression) == nil)
            }
        }
    }
}
