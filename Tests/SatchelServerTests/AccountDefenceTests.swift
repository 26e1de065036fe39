import Foundation
import Hummingbird
import Logging
import SatchelBundles
import SatchelHTTP
import SatchelNode
import SatchelStore
import SatchelTestSupport
import Testing

@testable import SatchelServer

/// Accounts under attack from a device on the LAN, over real HTTP on loopback with curl as the client: the attacker
/// binds 127.0.0.2 (and .3 to .5), the rightful users 127.0.0.1, so per-client delays and limits can tell them apart.
@Suite(.serialized) struct AccountDefenceTests {
    /// The node's own application on a loopback port (its connection handler tells clients apart by address).
    final class Server: Sendable {
        let test: TestNode
        let port: Int
        private let server: LiveServer

        init() async throws {
            test = try TestNode()
            try test.node.database.addTeacher(
                TeacherRecord(
                    username: "admin", name: "王校长", teacherNumber: nil, subjects: "", role: .admin, status: .active,
                    passwordHash: try PasswordHasher.hash("admin-secret")))
            server = try await LiveServer(node: test.node)
            port = server.port
        }

        func stop() async {
            await server.stop()
        }

        /// One request with curl from `client`; returns the status, the Retry-After and Location fields, and the body.
        func curl(
            _ path: String, from client: String = "127.0.0.1", form: [String: String]? = nil,
            headers: [String] = [], cookies: String? = nil
        ) async -> CurlClient.Answer {
            await CurlClient(baseURL: "http://127.0.0.1:\(port)", interface: client, cookieJar: cookies)
                .request(path, form: form, headers: headers)
        }
    }

    @Test func aStrangersWrongGuessesSlowTheStrangerDownButNeverLockTheOwnerOut() async throws {
        let server = try await Server()
        var statuses: [Int] = []
        var waits: [String] = []
        for _ in 0..<20 {
            let answer = await server.curl(
                "/login", from: "127.0.0.2", form: ["username": "admin", "password": "guess"])
            statuses.append(answer.status)
            if answer.status == 429 { waits.append(answer.retryAfter) }
        }
        print("stranger's 20 guesses: \(statuses), Retry-After \(waits)")
        #expect(statuses.prefix(3) == [401, 401, 401])
        #expect(statuses.contains(429))
        // The rightful admin on another device: one typo is just a typo, and the right password logs in at once.
        let typo = await server.curl("/login", form: ["username": "admin", "password": "admin-secreT"])
        #expect(typo.status == 401)
        let owner = await server.curl("/login", form: ["username": "admin", "password": "admin-secret"])
        #expect(owner.status == 303 && owner.location == "/me", "\(owner.status) \(owner.body.prefix(300))")
        await server.stop()
    }

    @Test func delaysGrowPerAccountAndClientAndPerClient() {
        let throttle = LoginThrottle()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var now = start
        var waits: [Int] = []
        for _ in 0..<16 {
            throttle.recordFailure(client: "10.0.0.9", username: "li", now: now)
            let wait = throttle.wait(client: "10.0.0.9", username: "li", now: now) ?? 0
            waits.append(Int(wait))
            now = now.addingTimeInterval(wait)
        }
        #expect(waits == [0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900])
        #expect(throttle.wait(client: "10.0.0.10", username: "li", now: now) == nil)
        // One client spraying many accounts waits too, once it has ten failures in all.
        for index in 0..<10 { throttle.recordFailure(client: "10.0.0.11", username: "u\(index)", now: start) }
        #expect(throttle.wait(client: "10.0.0.11", username: "someone-else", now: start) == 1)
        #expect(throttle.wait(client: "10.0.0.12", username: "someone-else", now: start) == nil)
    }

    @Test func originNullIsRefusedForLoginAndRegister() async throws {
        let server = try await Server()
        let login = await server.curl(
            "/login", form: ["username": "admin", "password": "admin-secret"], headers: ["Origin: null"])
        #expect(login.status == 403)
        let register = await server.curl(
            "/register", form: ["name": "李老师", "username": "liwei", "password": "123456"], headers: ["Origin: null"])
        #expect(register.status == 403)
        #expect(try server.test.node.database.teacher("liwei") == nil)
        let sameSite = await server.curl(
            "/login", form: ["username": "admin", "password": "admin-secret"],
            headers: ["Origin: http://127.0.0.1:\(server.port)"])
        #expect(sameSite.status == 303)
        await server.stop()
    }

    @Test func registrationIsLimitedPerClientChecksTheNameFirstAndHashesOffThePageThreads() async throws {
        let server = try await Server()
        var idle: [Double] = []
        for _ in 0..<5 { idle.append(await Self.searchMilliseconds(server)) }
        // Four devices register as fast as they can while a teacher searches.
        let loaded = await withTaskGroup(of: [Double].self) { group in
            for client in 2...5 {
                group.addTask {
                    for index in 0..<15 {
                        _ = await Self.register(server, "c\(client)-\(index)", from: "127.0.0.\(client)")
                    }
                    return []
                }
            }
            group.addTask {
                var times: [Double] = []
                for _ in 0..<20 { times.append(await Self.searchMilliseconds(server)) }
                return times
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        print("search median idle \(Int(median(idle))) ms, while 4 clients register \(Int(median(loaded))) ms")
        #expect(median(loaded) < 1000)
        // Each of those clients got ten accounts and then had to wait; another client still registers.
        let made = try server.test.node.database.teachers().filter { $0.username.hasPrefix("c2-") }.count
        #expect(made == LoginThrottle.registrationsPerWindow)
        #expect(await Self.register(server, "c2-more", from: "127.0.0.2") == 429)
        #expect(await Self.register(server, "li.wei", from: "127.0.0.1") == 200)
        // A name that is taken is refused without counting against the client or hashing anything.
        #expect(await Self.register(server, "admin", from: "127.0.0.6") == 400)
        await server.stop()
    }

    static func register(_ server: Server, _ username: String, from client: String) async -> Int {
        await server.curl(
            "/register", from: client, form: ["name": "测试", "username": username, "password": "123456"]
        ).status
    }

    static func searchMilliseconds(_ server: Server) async -> Double {
        let started = Date()
        _ = await server.curl("/search?q=%E6%95%B0%E5%AD%A6")
        return Date().timeIntervalSince(started) * 1000
    }

    @Test func anAdminResetsATeachersPasswordFromTheTeachersPage() async throws {
        let server = try await Server()
        try server.test.node.database.addTeacher(
            TeacherRecord(
                username: "liwei", name: "李老师", teacherNumber: nil, subjects: "", role: .teacher, status: .active,
                passwordHash: try PasswordHasher.hash("forgotten")))
        let jar = server.test.folder.file("cookies.txt")
        let login = await server.curl(
            "/login", form: ["username": "admin", "password": "admin-secret"], cookies: jar)
        #expect(login.status == 303)
        let page = await server.curl("/admin/teachers", cookies: jar)
        #expect(page.body.contains("重设密码"))
        let csrf = RecordsFlowTests.csrf(page.body)
        let id = try #require(try server.test.node.database.teacher("liwei")).id.uuidString
        let reset = await server.curl(
            "/admin/teachers/\(id)/password", form: ["csrf": csrf, "password": "new-pass-7"], cookies: jar)
        #expect(reset.status == 200 && reset.body.contains("已为 李老师 设置新密码"), "\(reset.status)")
        #expect(await server.curl("/login", form: ["username": "liwei", "password": "forgotten"]).status == 401)
        #expect(await server.curl("/login", form: ["username": "liwei", "password": "new-pass-7"]).status == 303)
        // Without the session's CSRF token nothing changes.
        let forged = await server.curl(
            "/admin/teachers/\(id)/password", form: ["csrf": "x", "password": "attacker-1"], cookies: jar)
        #expect(forged.status == 403)
        await server.stop()
    }
}
