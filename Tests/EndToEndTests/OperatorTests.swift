import Foundation
import SatchelCore
import SatchelPlatform
import SatchelSync
import SatchelTestSupport
import Testing

/// Issue 16: the platform's pages and status API need an operator, and an operator sees their region's schools only.
/// A real platform over loopback, on SQLite and on PostgreSQL (the same calls, the same answers), reached with curl
/// (a cookie jar for the pages) and libcurl (a Bearer token for the API).
@Suite(.serialized) struct OperatorTests {
    /// The platform's two storages, for tests that run the same checks on each.
    enum Storage: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }

        /// Runs `body` with a platform in a temporary folder on this storage (PostgreSQL: a fresh database).
        func withPlatform(publisherKeys: [String] = [], _ body: (Platform) async throws -> Void) async throws {
            let folder = TemporaryDirectory("platform")
            switch self {
            case .sqlite:
                try await body(try Platform(root: folder.file("platform"), publisherKeys: publisherKeys))
            case .postgres:
                guard let server = try PostgresPlatformTests.server() else { return }
                try await PostgresPlatformTests.withFreshDatabase(on: server) { url in
                    let database = try await PostgresPlatformDatabase(url: url, maxConnections: 4)
                    do {
                        try await body(
                            try Platform(
                                root: folder.file("platform"), publisherKeys: publisherKeys, storage: database))
                    } catch {
                        await database.close()
                        throw error
                    }
                    await database.close()
                }
            }
        }
    }

    @Test(arguments: Storage.allCases)
    func operatorsSeeTheirRegionOnlyAndNobodyElseSeesAnything(storage: Storage) async throws {
        try await storage.withPlatform { try await check($0) }
    }

    private func check(_ platform: Platform) async throws {
        // Three schools in two provinces, each enrolled with a token that named its region.
        let schools = [("S-CHUNAN", "浙江省/淳安县"), ("S-JIANDE", "浙江省/杭州市/建德市"), ("S-HUINING", "甘肃省/会宁县")]
        for (school, region) in schools {
            let secret = try await platform.storage.createToken(schoolCode: school, region: region, stages: [])
            #expect(
                try await platform.storage.enrol(token: secret, schoolCode: school, publicKey: "key-\(school)") != nil)
        }
        let access = OperatorAccess(storage: platform.storage)
        try await access.add(
            try Operator(username: "zhejiang", name: "浙江省教育厅", role: .province, region: "浙江省"), password: "zj-secret")
        try await access.add(
            try Operator(username: "chunan", name: "淳安县教育局", role: .county, region: "浙江省/淳安县"), password: "ca-secret")
        await #expect(throws: PlatformError.self) {
            try await access.add(
                try Operator(username: "zhejiang", name: "again", role: .national, region: ""), password: "123456")
        }
        #expect(throws: PlatformError.self) { try Operator(username: "bad", name: "x", role: .county, region: "浙江省") }
        #expect(throws: PlatformError.self) { try Operator(username: "bad", name: "x", role: .province, region: "浙%") }

        let live = try await LivePlatform(platform: platform)
        do {
            try await checkAccess(base: live.baseURL, platform: platform, access: access)
        } catch {
            await live.stop()
            throw error
        }
        await live.stop()
    }

    private func checkAccess(base: String, platform: Platform, access: OperatorAccess) async throws {

        // Nobody logged in sees nothing: the page sends to the login, the API says 401; the node protocol and
        // /healthz stay open.
        let anonymous = CurlClient(baseURL: base)
        let front = await anonymous.request("/")
        #expect(front.status == 303 && front.location.hasSuffix("/login"))
        let api = await anonymous.request("/api/v1/status")
        #expect(api.status == 401 && !api.body.contains("S-CHUNAN"), "\(api.body)")
        #expect(await anonymous.request("/healthz").status == 200)
        #expect(await anonymous.request("/api/v1/catalog").status == 200)

        // A wrong password is refused; the province's operator logs in and sees both Zhejiang schools.
        let folder = TemporaryDirectory("operator-browser")
        let province = CurlClient(baseURL: base, cookieJar: folder.file("zj.txt"))
        let wrong = await province.request("/login", form: ["username": "zhejiang", "password": "nope"])
        #expect(wrong.status == 401 && wrong.body.contains("用户名或密码不正确"))
        let login = await province.request("/login", form: ["username": "zhejiang", "password": "zj-secret"])
        #expect(login.status == 303)
        // A guesser from another device is made to wait after three wrong passwords; the operator is not.
        let guesser = CurlClient(baseURL: base, interface: "127.0.0.2")
        var answers: [Int] = []
        // The waits after the third, fourth and fifth are 1, 2 and 4 s: a slow machine still meets one of them.
        while answers.count < 6, answers.last != 429 {
            answers.append(await guesser.request("/login", form: ["username": "zhejiang", "password": "guess"]).status)
        }
        #expect(answers.prefix(3) == [401, 401, 401] && answers.last == 429, "\(answers)")
        let again = await CurlClient(baseURL: base).request(
            "/login", form: ["username": "zhejiang", "password": "zj-secret"])
        #expect(again.status == 303, "the operator's own device was slowed by a guesser's")
        let page = await province.request("/")
        #expect(page.status == 200)
        #expect(page.body.contains("S-CHUNAN") && page.body.contains("S-JIANDE") && !page.body.contains("S-HUINING"))
        #expect(page.body.contains("浙江省教育厅"))

        // The county's API token: only its own school.
        let token = try await access.createAPIToken(username: "chunan")
        let county = try await CurlTransport().get(
            base + "/api/v1/status", headers: ["Authorization": "Bearer \(token)"])
        #expect(county.status == 200)
        let seen = try JSONDecoder().decode(PlatformStatus.self, from: county.body)
        #expect(seen.nodes.map(\.schoolCode) == ["S-CHUNAN"])
        #expect(seen.nodes.first?.region == "浙江省/淳安县")
        let forged = try await CurlTransport().get(
            base + "/api/v1/status", headers: ["Authorization": "Bearer x\(token)"])
        #expect(forged.status == 401)

        // Logging out ends the session; removing an operator ends their tokens.
        #expect(await province.request("/logout", form: ["logout": "1"]).status == 303)
        #expect(await province.request("/").status == 303)
        #expect(try await platform.storage.removeOperator(username: "chunan"))
        let removed = try await CurlTransport().get(
            base + "/api/v1/status", headers: ["Authorization": "Bearer \(token)"])
        #expect(removed.status == 401)
        #expect(try await platform.storage.operators().map(\.username) == ["zhejiang"])
        withExtendedLifetime(folder) {}
    }
}
