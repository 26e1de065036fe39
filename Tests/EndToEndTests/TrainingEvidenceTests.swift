import Foundation
import SatchelNode
import SatchelStore
import SatchelTestSupport
import Testing

/// Training credit from evidence, against a real `satchel serve` process with its production settings (usage held in
/// memory for a minute), a teacher in curl with a cookie jar: a module is completed only after the teacher opened its
/// content and spent its minimum time there as the node saw it; a quiz is scored by the node.
@Suite(.serialized) struct TrainingEvidenceTests {
    static let course = #"""
        {"title": {"zh": "信息技术应用能力培训", "en": "ICT skills course"}, "kind": "training",
         "resources": [
           {"id": "m1", "title": {"zh": "单元一：多媒体课件", "en": "Module 1"}, "type": "course-module",
            "entry": "m1/index.html", "creditHours": 2, "minimumMinutes": 0.05},
           {"id": "m2", "title": {"zh": "单元二：测验", "en": "Module 2 quiz"}, "type": "exercise",
            "entry": "m2/index.html", "creditHours": 1.5, "minimumMinutes": 0.05,
            "quiz": {"passingScore": 100, "questions": [
              {"prompt": {"zh": "课件中插入视频应选哪种格式？", "en": "Which format plays in every classroom browser?"},
               "choices": [{"zh": "AVI", "en": "AVI"}, {"zh": "MP4 (H.264)", "en": "MP4 (H.264)"}], "answer": 1},
              {"prompt": {"zh": "一节课件的文字最好不超过？", "en": "How much text should a slide carry?"},
               "choices": [{"zh": "几行要点", "en": "A few lines"}, {"zh": "整页讲稿", "en": "A whole script"},
                           {"zh": "越多越好", "en": "As much as possible"}], "answer": 0}
            ]}},
           {"id": "m3", "title": {"zh": "单元三：课堂实录", "en": "Module 3"}, "type": "course-module",
            "entry": "m3/index.html", "creditHours": 1}
         ]}
        """#

    /// A node process with the course and an approved teacher, and that teacher logged in and enrolled.
    struct Fixture {
        let test: TestNode
        let server: BackgroundProcess
        let teacher: CurlClient
        let csrf: String

        init() async throws {
            test = try TestNode()
            _ = try test.importer().importBundle(
                at: try test.pack(
                    ["m1/index.html": "<h1>单元一</h1>", "m2/index.html": "<h1>单元二</h1>", "m3/index.html": "<h1>三</h1>"],
                    id: "ict", description: TrainingEvidenceTests.course))
            try test.node.database.addTeacher(
                TeacherRecord(
                    username: "liwei", name: "李老师", teacherNumber: "T-7", subjects: "数学", role: .teacher,
                    status: .active, passwordHash: try PasswordHasher.hash("123456")))
            server = try BackgroundProcess(
                ["serve", "--data", test.node.directory.root, "--port", "0", "--host", "127.0.0.1"],
                environment: ["SATCHEL_TRUSTED_KEYS": test.publisher.publicKey.base64])
            let port = try await server.waitFor(#"satchel\.http\.port=(\d+)"#)
            teacher = CurlClient(baseURL: "http://127.0.0.1:\(port)", cookieJar: test.folder.file("cookies"))
            let login = await teacher.request("/login", form: ["username": "liwei", "password": "123456"])
            #expect(login.status == 303)
            csrf = CurlClient.csrf(in: await teacher.request("/training/ict").body)
            #expect(await teacher.request("/training/ict/enrol", form: ["csrf": csrf]).status == 303)
        }

    }

    @Test func aModuleIsCompletedOnlyAfterItsContentWasOpenedAndItsTimeSpent() async throws {
        let fixture = try await Fixture()
        let teacher = fixture.teacher
        let csrf = fixture.csrf
        // "Mark as completed" on a module never opened: refused, and nothing credited.
        let unopened = await teacher.request("/training/ict/m1/complete", form: ["csrf": csrf])
        #expect(unopened.status == 409 && unopened.body.contains("请先打开本模块的内容"), "\(unopened.body.prefix(400))")
        // Opening the module page loads its content in the frame.
        #expect(await teacher.request("/resources/ict/m1").status == 200)
        let opened = Date()
        #expect(await teacher.request("/content/ict/m1/index.html").status == 200)
        let early = await teacher.request("/training/ict/m1/complete", form: ["csrf": csrf])
        #expect(early.status == 409 && early.body.contains("还需"), "\(early.body.prefix(400))")
        // The page reports two minutes each time (as a tampered page might); the node credits only the time it saw
        // pass. Beacons are paced every half second as a page's timer would send them; the test waits for the event
        // it means: the node accepting the completion.
        var completedAfter: TimeInterval?
        while completedAfter == nil, Date().timeIntervalSince(opened) < 30 {
            try await Task.sleep(for: .milliseconds(500))
            #expect(await teacher.beaconStatus("ict", "m1") == 204)
            if await teacher.request("/training/ict/m1/complete", form: ["csrf": csrf]).status == 303 {
                completedAfter = Date().timeIntervalSince(opened)
            }
        }
        let after = try #require(completedAfter, "the module was never accepted as completed")
        print("m1 (minimum 3 s) was accepted after \(after) s of beacons claiming 120 s each")
        #expect(after >= 3, "completed after \(after) s, before its 3 s minimum")
        let me = await teacher.request("/me")
        #expect(me.body.contains("已获培训学时: <strong>2</strong>"), "\(me.body.prefix(600))")
        // A module without a minimumMinutes asks 45 minutes per credit hour: m3 (1 credit hour) is refused now.
        _ = await teacher.request("/resources/ict/m3")
        _ = await teacher.request("/content/ict/m3/index.html")
        let m3 = await teacher.request("/training/ict/m3/complete", form: ["csrf": csrf])
        #expect(m3.status == 409 && m3.body.contains("本模块要求学习 45 分钟"), "\(m3.body.prefix(400))")
        #expect(await fixture.server.stop() == 0)
    }

    @Test func aQuizIsScoredByTheNodeNotByTheClient() async throws {
        let fixture = try await Fixture()
        let teacher = fixture.teacher
        let csrf = fixture.csrf
        _ = await teacher.request("/resources/ict/m2")
        let opened = Date()
        _ = await teacher.request("/content/ict/m2/index.html")
        // A score sent with "mark as completed" is not taken: the quiz module is completed by passing its quiz.
        let claimed = await teacher.request("/training/ict/m2/complete", form: ["csrf": csrf, "score": "100"])
        #expect(claimed.status == 409 && claimed.body.contains("需要通过测验"), "\(claimed.body.prefix(400))")
        // The quiz page shows the questions and choices, not which one is right.
        let page = await teacher.request("/training/ict/m2/quiz")
        #expect(page.status == 200 && page.body.contains("课件中插入视频应选哪种格式") && page.body.contains("几行要点"))
        #expect(!page.body.contains("answer"), "the page must not carry the answers")
        // Wrong answers with a forged score field. Until the node has counted the module's 3 s they are refused for
        // the time (409); beacons are paced as a page sends them, and the test waits for the node to take the answers.
        var wrong = await teacher.request(
            "/training/ict/m2/quiz", form: ["csrf": csrf, "q0": "0", "q1": "1", "score": "100"])
        while wrong.status == 409, Date().timeIntervalSince(opened) < 30 {
            try await Task.sleep(for: .milliseconds(500))
            _ = await teacher.beaconStatus("ict", "m2")
            wrong = await teacher.request(
                "/training/ict/m2/quiz", form: ["csrf": csrf, "q0": "0", "q1": "1", "score": "100"])
        }
        // Scored 0 by the node, not completed.
        #expect(wrong.status == 200 && wrong.body.contains("得分 0") && wrong.body.contains("未通过"), "\(wrong.body)")
        // A tampered form (a choice that does not exist) is refused with a clear message.
        let tampered = await teacher.request("/training/ict/m2/quiz", form: ["csrf": csrf, "q0": "9", "q1": "0"])
        #expect(tampered.status == 400 && tampered.body.contains("第 1 题的答案无效"), "\(tampered.body.prefix(400))")
        // Half right is below this quiz's pass mark of 100.
        let half = await teacher.request("/training/ict/m2/quiz", form: ["csrf": csrf, "q0": "1", "q1": "2"])
        #expect(half.body.contains("得分 50") && half.body.contains("未通过"))
        let right = await teacher.request("/training/ict/m2/quiz", form: ["csrf": csrf, "q0": "1", "q1": "0"])
        #expect(right.status == 200 && right.body.contains("得分 100，通过"), "\(right.body.prefix(400))")
        let me = await teacher.request("/me")
        #expect(me.body.contains("已获培训学时: <strong>1.5</strong>"), "\(me.body.prefix(600))")
        #expect(await fixture.server.stop() == 0)
        let progress = try fixture.test.node.database.progress(
            teacherId: try #require(try fixture.test.node.database.teacher("liwei")).id)
        let m2 = try #require(progress.first { $0.resourceId == "m2" })
        #expect(m2.score == 100 && m2.completedAt != nil && m2.openedAt != nil)
    }
}

extension CurlClient {
    /// Posts the usage beacon a visible resource page sends, claiming two minutes; returns the status.
    func beaconStatus(_ bundleId: String, _ resourceId: String) async -> Int {
        await request(
            "/api/v1/beacon", json: #"{"bundleId": "\#(bundleId)", "resourceId": "\#(resourceId)", "seconds": 120}"#
        ).status
    }
}
