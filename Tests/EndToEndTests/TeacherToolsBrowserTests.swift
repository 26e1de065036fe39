import Foundation
import SatchelTestSupport
import Testing

/// Issue 17: a teacher's own pages (收藏, 最近浏览, 备课篮 and its full-screen show, 教师研修) in headless Chromium at
/// 360 px: nothing scrolls sideways and every form control is a 44 px target with 16 px text. The pages are fetched
/// with the logged-in teacher's cookie (by curl, over a real socket to `satchel demo`) and laid out by Chromium.
@Suite struct TeacherToolsBrowserTests {
    @Test func theTeachersOwnPagesFitAPhone() async throws {
        let chromium = try Chromium.find()
        try await withDemoNode { base, data in
            let folder = TemporaryDirectory("browser-teacher")
            let passwordFile = folder.write("password", "123456\n")
            let added = try ProcessRunner.run([
                "teachers", "add", "liwei", "--name", "李老师", "--password-file", passwordFile, "--data", data,
            ])
            try #require(added.status == 0, "\(added.stdout)\(added.stderr)")
            let teacher = CurlClient(baseURL: base, cookieJar: folder.file("cookies.txt"))
            let login = await teacher.request("/login", form: ["username": "liwei", "password": "123456"])
            try #require(login.status == 303 && login.location.hasSuffix("/me"), "login: \(login.status)")

            // The teacher opens two resources, keeps one, and puts both in tomorrow's lesson plan.
            let video = await teacher.request("/resources/demo-primary-g3/intro-video")
            let csrf = CurlClient.csrf(in: video.body)
            _ = await teacher.request("/resources/demo-primary-g3/math-fractions")
            let kept = await teacher.request(
                "/me/favourites/demo-primary-g3/intro-video", form: ["csrf": csrf, "favourite": "1"])
            #expect(kept.status == 303)
            let created = await teacher.request(
                "/me/lessons",
                form: [
                    "csrf": csrf, "title": "《认识分数》第一课时", "className": "三年级（2）班", "bundle": "demo-primary-g3",
                    "resource": "intro-video",
                ])
            #expect(created.status == 303)
            let plan = created.location.replacingOccurrences(of: base, with: "")
            let planId = String(plan.split(separator: "/").last ?? "")
            let added2 = await teacher.request(
                "/me/lessons/add",
                form: ["csrf": csrf, "plan": planId, "bundle": "demo-primary-g3", "resource": "math-fractions"])
            #expect(added2.status == 303)

            let pages = [
                "/", "/me", "/me/favourites", "/me/recent", "/me/lessons", plan, plan + "/delete",
                plan + "/present/1", plan + "/present/2", "/training", "/resources/demo-primary-g3/math-fractions",
                "/me/lessons?lang=en",
            ]
            for page in pages {
                let answer = await teacher.request(page)
                #expect(answer.status == 200, "\(page): \(answer.status)")
                let layout = try await chromium.phoneLayout(
                    of: base + page, html: answer.body, width: 360, in: folder)
                expectFitsPhone(layout, page: page)
            }
            // The forms a teacher taps on a phone: the resource page's 收藏 and 备课篮, the plan's order buttons.
            for page in ["/resources/demo-primary-g3/math-fractions", plan, "/me/lessons"] {
                let answer = await teacher.request(page)
                let report = try await chromium.formTargets(
                    of: base + page, html: answer.body, width: 360, in: folder)
                expectPhoneSizedTargets(report, page: page, atLeast: 2)
            }
            withExtendedLifetime(folder) {}
        }
    }
}
