import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SatchelBundles
import SatchelCore
import SatchelNode
import SatchelServer
import SatchelStore
import SatchelTestSupport
import Testing

/// 收藏, 最近浏览 and 备课篮 through the real router, with real sessions and CSRF tokens: each teacher sees only their
/// own lists, and a lesson plan is shown in order, full screen, one resource after another.
@Suite struct TeacherToolsTests {
    static let lessons = #"""
        {"title": {"zh": "三年级数学", "en": "Grade 3 maths"},
         "defaults": {"stage": "小学", "grade": "三年级", "subject": "数学"},
         "resources": [
           {"id": "fractions", "title": {"zh": "认识分数", "en": "Fractions"}, "type": "html", "entry": "fractions.html"},
           {"id": "clock", "title": {"zh": "时分秒", "en": "Hours and minutes"}, "type": "video", "entry": "clock.mp4"},
           {"id": "area", "title": {"zh": "长方形的面积", "en": "Area"}, "type": "html", "entry": "area.html"}
         ]}
        """#

    struct Fixture {
        let test: TestNode
        let app: any ApplicationProtocol

        init() throws {
            test = try TestNode()
            _ = try test.importer().importBundle(
                at: try test.pack(
                    [
                        "fractions.html": "<h1>认识分数</h1>", "area.html": "<h1>面积</h1>",
                        "clock.mp4": String(repeating: "v", count: 2048),
                    ], id: "maths", description: TeacherToolsTests.lessons))
            for (username, name) in [("liwei", "李老师"), ("zhang", "张老师")] {
                try test.node.database.addTeacher(
                    TeacherRecord(
                        username: username, name: name, teacherNumber: nil, subjects: "", role: .teacher,
                        status: .active, passwordHash: try PasswordHasher.hash("123456")))
            }
            app = Application(router: buildRouter(node: test.node))
        }
    }

    /// One logged-in teacher's requests.
    struct Teacher {
        let client: any TestClientProtocol
        let headers: HTTPFields

        static func login(_ username: String, _ client: any TestClientProtocol) async throws -> Teacher {
            var cookie = ""
            try await client.execute(
                uri: "/login", method: .post, headers: RecordsFlowTests.formHeaders,
                body: RecordsFlowTests.form(["username": username, "password": "123456"])
            ) {
                #expect($0.status == .seeOther)
                cookie = RecordsFlowTests.cookie($0)
            }
            var headers = RecordsFlowTests.formHeaders
            headers[.cookie] = cookie
            return Teacher(client: client, headers: headers)
        }

        func get(_ uri: String) async throws -> (HTTPResponse.Status, String, String?) {
            try await client.execute(uri: uri, method: .get, headers: headers) {
                ($0.status, String(buffer: $0.body), $0.headers[.location])
            }
        }

        /// Posts `fields` with the CSRF token of `page`'s HTML.
        func post(
            _ uri: String, _ fields: [String: String], csrfFrom page: String
        ) async throws
            -> (HTTPResponse.Status, String?)
        {
            var fields = fields
            fields["csrf"] = fields["csrf"] ?? RecordsFlowTests.csrf(page)
            return try await client.execute(
                uri: uri, method: .post, headers: headers, body: RecordsFlowTests.form(fields)
            ) { ($0.status, $0.headers[.location]) }
        }
    }

    @Test func favouritesAndRecentlyOpenedAreEachTeachersOwn() async throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try await fixture.app.test(.router) { client in
            // Logged out: the lists ask for a login, the resource page offers one.
            try await client.execute(uri: "/me/favourites", method: .get) {
                #expect($0.status == .seeOther)
                #expect($0.headers[.location] == "/login")
            }
            try await client.execute(uri: "/resources/maths/fractions", method: .get) {
                #expect(String(buffer: $0.body).contains("登录后可收藏、加入备课篮"))
            }
            let li = try await Teacher.login("liwei", client)
            _ = try await li.get("/resources/maths/fractions")
            let (_, clockPage, _) = try await li.get("/resources/maths/clock")
            #expect(clockPage.contains("☆ 收藏"))
            let (_, recent, _) = try await li.get("/me/recent")
            let fractionsAt = try #require(recent.range(of: "认识分数"))
            let clockAt = try #require(recent.range(of: "时分秒"))
            #expect(clockAt.lowerBound < fractionsAt.lowerBound, "the latest opened comes first")

            // 收藏 from the resource page's own form; the page then offers to remove it.
            let (status, location) = try await li.post(
                "/me/favourites/maths/clock", ["favourite": "1"], csrfFrom: clockPage)
            #expect(status == .seeOther)
            #expect(location == "/resources/maths/clock")
            #expect(try await li.get("/resources/maths/clock").1.contains("★ 已收藏"))
            let (_, favourites, _) = try await li.get("/me/favourites")
            #expect(favourites.contains("时分秒") && !favourites.contains("认识分数"))
            // The teacher's own data export carries the lists too.
            let (_, export, _) = try await li.get("/me/export")
            #expect(export.contains(#""favourites""#) && export.contains("时分秒"), "\(export)")
            let (_, home, _) = try await li.get("/")
            #expect(home.contains("我的收藏") && home.contains("最近浏览") && home.contains("/training"))

            // Without the session's token, or from another site, nothing changes.
            #expect(try await li.post("/me/favourites/maths/area", ["csrf": "forged"], csrfFrom: "").0 == .forbidden)
            #expect(try await li.post("/me/favourites/maths/nope", [:], csrfFrom: clockPage).0 == .notFound)

            // Another teacher sees none of it.
            let zhang = try await Teacher.login("zhang", client)
            #expect(try await zhang.get("/me/favourites").1.contains("还没有收藏"))
            #expect(try await zhang.get("/me/recent").1.contains("还没有浏览记录"))

            _ = try await li.post("/me/favourites/maths/clock", ["favourite": "0"], csrfFrom: clockPage)
            #expect(try await li.get("/me/favourites").1.contains("还没有收藏"))
        }
    }

    @Test func aLessonPlanIsFilledReorderedPresentedInOrderAndDeletedAfterAQuestion() async throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        try await fixture.app.test(.router) { client in
            let li = try await Teacher.login("liwei", client)
            // From a resource page: a new plan named after tomorrow, holding the resource.
            let (_, areaPage, _) = try await li.get("/resources/maths/area")
            #expect(areaPage.contains("新建备课篮："))
            let (created, planURL) = try await li.post(
                "/me/lessons", ["bundle": "maths", "resource": "area", "title": "《面积》第一课时", "className": "三（2）班"],
                csrfFrom: areaPage)
            #expect(created == .seeOther)
            let plan = try #require(planURL)
            // The other resources join it from their pages, through the plan chosen there.
            for id in ["clock", "fractions"] {
                let (_, page, _) = try await li.get("/resources/maths/\(id)")
                #expect(page.contains("《面积》第一课时 ("))
                let planId = String(plan.split(separator: "/").last ?? "")
                let (status, _) = try await li.post(
                    "/me/lessons/add", ["plan": planId, "bundle": "maths", "resource": id], csrfFrom: page)
                #expect(status == .seeOther)
            }
            var (_, planPage, _) = try await li.get(plan)
            #expect(order(of: ["长方形的面积", "时分秒", "认识分数"], in: planPage) == [0, 1, 2])
            #expect(planPage.contains("三（2）班 · 3 个资源"))
            // 时分秒 (second) moves up.
            #expect(try await li.post(plan + "/items/2", ["action": "up"], csrfFrom: planPage).0 == .seeOther)
            planPage = try await li.get(plan).1
            #expect(order(of: ["长方形的面积", "时分秒", "认识分数"], in: planPage) == [1, 0, 2])

            // Presenting: the first is the video, full screen, with the way on to the second.
            let (_, first, _) = try await li.get(plan + "/present/1")
            #expect(first.contains("<video") && first.contains("/content/maths/clock.mp4"))
            #expect(first.contains(#"href="\#(plan)/present/2" rel="next""#))
            #expect(!first.contains(#"rel="prev""#))
            let (_, last, _) = try await li.get(plan + "/present/3")
            #expect(last.contains(#"<iframe src="/content/maths/fractions.html""#))
            #expect(!last.contains(#"rel="next""#))
            #expect(try await li.get(plan + "/present/4").0 == .notFound)

            // Another teacher can neither see nor change it.
            let zhang = try await Teacher.login("zhang", client)
            #expect(try await zhang.get(plan).0 == .notFound)
            #expect(try await zhang.get(plan + "/present/1").0 == .notFound)
            let (_, zhangPage, _) = try await zhang.get("/resources/maths/area")
            let planId = String(plan.split(separator: "/").last ?? "")
            #expect(
                try await zhang.post(
                    "/me/lessons/add", ["plan": planId, "bundle": "maths", "resource": "area"], csrfFrom: zhangPage
                ).0 == .notFound)
            #expect(try await zhang.post(plan + "/delete", [:], csrfFrom: zhangPage).0 == .notFound)

            // A removed resource stays listed as removed, so the teacher sees what is missing.
            _ = try fixture.test.node.database.removeBundle(id: "maths")
            #expect(try await li.get(plan).1.contains("这个资源已从本校服务器移除"))

            #expect(try await li.get("/me/export").1.contains("《面积》第一课时"))
            // Deleting asks first.
            let (_, question, _) = try await li.get(plan + "/delete")
            #expect(question.contains("确定删除这个备课篮吗？"))
            #expect(try await li.post(plan + "/delete", [:], csrfFrom: question).0 == .seeOther)
            #expect(try await li.get(plan).0 == .notFound)
            #expect(try await li.get("/me/lessons").1.contains("还没有备课篮"))
        }
    }

    @Test func theHomePageLeadsToTheTrainingCourses() async throws {
        let fixture = try Fixture()
        defer { withExtendedLifetime(fixture) {} }
        _ = try fixture.test.importer().importBundle(
            at: try fixture.test.pack(
                ["m1/index.html": "<h1>单元一</h1>", "m2/index.html": "<h1>单元二</h1>"], id: "ict",
                description: RecordsFlowTests.course))
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) {
                #expect(String(buffer: $0.body).contains(#"<a class="button" href="/training">教师研修</a>"#))
            }
            try await client.execute(uri: "/training", method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("信息技术应用能力培训"))
                #expect(html.contains("2 个单元 · 3.5 学时"), "\(html)")
                #expect(!html.contains("三年级数学"))
            }
        }
    }

    /// The index of each of `texts` in the order they appear in `html`.
    private func order(of texts: [String], in html: String) -> [Int] {
        let positions = texts.map { html.range(of: $0)?.lowerBound ?? html.endIndex }
        let sorted = positions.sorted()
        return positions.map { sorted.firstIndex(of: $0) ?? -1 }
    }
}
