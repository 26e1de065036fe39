import Foundation
import Hummingbird
import HummingbirdTesting
import SatchelServer
import SatchelSync
import SatchelTestSupport
import Testing

/// The share page: a resource's link, absolute with the address the teacher used, and its QR code.
@Suite struct SharePageTests {
    /// A node holding SearchAndBrowseRoutesTests' grade 3 bundle, configured to listen on `listenHost`.
    static func makeNode(listenHost: String) throws -> TestNode {
        let test = try TestNode { configuration in
            configuration.listenHost = listenHost
            configuration.port = 8080
        }
        _ = try test.importer().importBundle(
            at: try test.pack(
                SearchAndBrowseRoutesTests.files, id: "g3", description: SearchAndBrowseRoutesTests.description))
        return test
    }

    @Test func theSharePageLinksStudentsByTheLANAddressWhenTheTeacherIsOnTheNodeItself() async throws {
        let test = try Self.makeNode(listenHost: "192.168.1.20")
        let app = Application(router: buildRouter(node: test.node))
        try await app.test(.router) { client in
            // The test client's Host is localhost, which a student's phone cannot open.
            try await client.execute(uri: "/share/g3/fractions", method: .get) {
                #expect($0.status == .ok)
                let html = String(buffer: $0.body)
                #expect(html.contains("<title>分享给学生 · 认识分数 · Satchel</title>"))
                #expect(html.contains("<p class=\"share-link\">http://192.168.1.20:8080/resources/g3/fractions</p>"))
                #expect(!html.contains("http://localhost"))
                #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
                #expect(html.contains("学生用手机扫码或在浏览器输入地址，需连接学校网络"))
                #expect(!html.contains("<script"), "the share page needs no JavaScript")
            }
            try await client.execute(uri: "/share/g3/fractions?lang=en", method: .get) {
                let html = String(buffer: $0.body)
                #expect(html.contains("<title>Share with students · Fractions · Satchel</title>"))
                #expect(html.contains("Students scan the code"))
            }
            try await client.execute(uri: "/resources/g3/fractions", method: .get) {
                #expect(String(buffer: $0.body).contains("<a class=\"button\" href=\"/share/g3/fractions\">分享给学生</a>"))
            }
            for missing in ["/share/g3/no-such-lesson", "/share/no-such-bundle/fractions"] {
                try await client.execute(uri: missing, method: .get) {
                    #expect($0.status == .notFound, "\(missing)")
                    let html = String(buffer: $0.body)
                    #expect(html.contains("找不到页面") && !html.contains("<svg"), "\(missing)")
                }
            }
        }
        withExtendedLifetime(test) {}
    }

    @Test func aNodeWithoutALANAddressKeepsTheAddressTheTeacherUsed() async throws {
        let test = try Self.makeNode(listenHost: "127.0.0.1")
        let app = Application(router: buildRouter(node: test.node))
        try await app.test(.router) { client in
            try await client.execute(uri: "/share/g3/poem", method: .get) {
                #expect(
                    String(buffer: $0.body).contains("<p class=\"share-link\">http://localhost/resources/g3/poem</p>"))
            }
        }
        withExtendedLifetime(test) {}
    }

    @Test func overARealSocketTheLinkUsesTheHostTheTeacherTyped() async throws {
        let test = try Self.makeNode(listenHost: "0.0.0.0")
        try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            let url = server.baseURL + "/share/g3/video"
            for host in ["192.168.1.20:8080", "satchel.school.lan", "[fd00::20]:8080"] {
                let answer = try await curl.get(url, headers: ["Host": host])
                #expect(answer.status == 200, "\(host)")
                let html = String(decoding: answer.body, as: UTF8.self)
                #expect(html.contains("<p class=\"share-link\">http://\(host)/resources/g3/video</p>"), "\(host)")
                #expect(html.contains("<svg"), "\(host)")
            }
            let missing = try await curl.get(server.baseURL + "/share/g3/nothing", headers: ["Host": "192.168.1.20"])
            #expect(missing.status == 404)
            #expect(String(decoding: missing.body, as: UTF8.self).contains("找不到页面"))
        }
    }
}
