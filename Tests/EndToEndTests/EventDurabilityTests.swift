import Foundation
import SatchelBundles
import SatchelCore
import SatchelNode
import SatchelStore
import SatchelSync
import SatchelTestSupport
import Testing

/// kill -9 of `satchel serve` in the middle of a burst of writes: every training record the node answered for is on
/// disk after restart, and no request was stored twice. Usage, which waits in memory to share a write, is on disk
/// once the node stops gracefully.
@Suite(.serialized) struct EventDurabilityTests {
    static let course = #"""
        {"title": {"zh": "培训", "en": "Course"}, "kind": "training",
         "resources": [{"id": "m1", "title": {"zh": "单元一", "en": "Module 1"}, "type": "course-module",
                        "entry": "m1.html", "creditHours": 1}]}
        """#

    @Test func everyAcknowledgedEnrolmentSurvivesKillDashNine() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(
            at: try test.pack(["m1.html": "<h1>课</h1>"], id: "ict", description: Self.course))
        try test.node.database.addTeacher(
            TeacherRecord(
                username: "liwei", name: "李老师", teacherNumber: nil, subjects: "", role: .teacher, status: .active,
                passwordHash: try PasswordHasher.hash("123456")))
        let environment = ["SATCHEL_TRUSTED_KEYS": test.publisher.publicKey.base64, "SATCHEL_LOG_LEVEL": "info"]
        let server = try BackgroundProcess(
            ["serve", "--data", test.node.directory.root, "--port", "0", "--host", "127.0.0.1"],
            environment: environment)
        let port = try await server.waitFor(#"satchel\.http\.port=(\d+)"#)
        let base = "http://127.0.0.1:\(port)"
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        let login = try await CurlTransport().post(
            base + "/login", body: Data("username=liwei&password=123456".utf8), headers: form)
        let cookie = String((login.headers["set-cookie"] ?? "").split(separator: ";").first ?? "")
        #expect(login.status == 303 && !cookie.isEmpty)
        let page = try await CurlTransport().get(base + "/training/ict", headers: ["Cookie": cookie])
        let token = CurlClient.csrf(in: String(decoding: page.body, as: UTF8.self))
        let body = Data("csrf=\(token)".utf8)

        let counter = Counter()
        // The clients stop on their own after a minute at most; the kill comes long before.
        let deadline = Date().addingTimeInterval(60)
        let clients = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        let curl = CurlTransport()
                        while Date() < deadline {
                            counter.sent()
                            guard
                                let response = try? await curl.post(
                                    base + "/training/ict/enrol", body: body,
                                    headers: form.merging(["Cookie": cookie]) { $1 })
                            else { return }
                            if response.status == 303 { counter.acknowledged() }
                        }
                    }
                }
            }
        }
        // Killed in the middle of the writes: once 300 have been acknowledged, with 32 clients still writing.
        while counter.totals.acknowledged < 300, Date() < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await server.stop(signal: SIGKILL) != 0)
        await clients.value
        let (sent, acknowledged) = counter.totals
        #expect(acknowledged > 50, "too few writes were acknowledged before the kill to test anything")

        let reopened = try Node.open(configuration: test.node.configuration)
        let stored = try await reopened.database.reader.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM event WHERE type = 'enrol'") ?? 0
        }
        #expect(stored >= acknowledged, "acknowledged \(acknowledged) but only \(stored) survived")
        #expect(stored <= sent, "stored \(stored) events for \(sent) requests: something was counted twice")
        let teacher = try #require(try reopened.database.teacher("liwei"))
        #expect(try reopened.database.enrolments(teacherId: teacher.id).map(\.bundleId) == ["ict"])
    }

    @Test func usageHeldInMemoryIsWrittenWhenTheNodeStops() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["lesson.html": "<h1>课</h1>"], id: "b"))
        let server = try BackgroundProcess(
            ["serve", "--data", test.node.directory.root, "--port", "0", "--host", "127.0.0.1"],
            environment: ["SATCHEL_TRUSTED_KEYS": test.publisher.publicKey.base64])
        let port = try await server.waitFor(#"satchel\.http\.port=(\d+)"#)
        // Five devices open the lesson: five views, held in memory to share one write (the production default).
        for device in 1...5 {
            let answer = try await CurlTransport().get(
                "http://127.0.0.1:\(port)/content/b/lesson.html", headers: ["User-Agent": "phone-\(device)"])
            #expect(answer.status == 200)
        }
        let viewsWhileServing = try test.node.database.pendingEventCount()
        #expect(await server.stop() == 0)
        let views = try await test.node.database.reader.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM event WHERE type = 'view'") ?? 0
        }
        print("views on disk while serving: \(viewsWhileServing); after a graceful stop: \(views)")
        #expect(views == 5)
    }
}

/// Thread-safe counts of requests sent and acknowledged.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var sentCount = 0
    private var acknowledgedCount = 0

    func sent() { lock.withLock { sentCount += 1 } }
    func acknowledged() { lock.withLock { acknowledgedCount += 1 } }
    var totals: (sent: Int, acknowledged: Int) { lock.withLock { (sentCount, acknowledgedCount) } }
}
