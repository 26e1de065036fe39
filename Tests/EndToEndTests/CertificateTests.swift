import Crypto
import Foundation
import Logging
import SatchelBundles
import SatchelCore
import SatchelNode
import SatchelPlatform
import SatchelStore
import SatchelSync
import SatchelTestSupport
import Testing

/// A teacher's certificate, end to end: a real node and platform over loopback, the teacher logged in over HTTP, the
/// code checked by the `satchel-platform verify` binary and by the platform's `/verify` page. Changed, mistyped and
/// forged codes are refused.
@Suite(.serialized) struct CertificateTests {
    static let course = #"""
        {"title": {"zh": "信息技术应用能力培训", "en": "ICT skills course"}, "kind": "training",
         "resources": [
           {"id": "m1", "title": {"zh": "单元一", "en": "Module 1"}, "type": "course-module",
            "entry": "m1/index.html", "creditHours": 2},
           {"id": "m2", "title": {"zh": "单元二", "en": "Module 2"}, "type": "course-module",
            "entry": "m2/index.html", "creditHours": 1.5}
         ]}
        """#

    /// A node with the course, a teacher who completed module 1, and a pending enrolment with `platform`.
    static func schoolNode(platform: Platform, url: String) async throws -> (TestNode, TeacherRecord) {
        let test = try TestNode()
        _ = try test.importer().importBundle(
            at: try test.pack(
                ["m1/index.html": "<h1>单元一</h1>", "m2/index.html": "<h1>单元二</h1>"], id: "ict",
                description: course))
        let teacher = TeacherRecord(
            username: "liwei", name: "李老师", teacherNumber: "T-7", subjects: "数学", role: .teacher, status: .active,
            passwordHash: try PasswordHasher.hash("123456"))
        try test.node.database.addTeacher(teacher)
        let events = EventLog(database: test.node.database)
        try await events.append(NodeEvent(.enrol(.init(teacherId: teacher.id, bundleId: "ict"))))
        try await events.append(
            NodeEvent(
                .moduleCompleted(.init(teacherId: teacher.id, bundleId: "ict", resourceId: "m1", creditHours: 2))))
        _ = try NodeIdentity.create(in: test.node.directory, force: false)
        try Enrolment(
            nodeId: nil, platformURL: url, schoolCode: "S-042",
            pendingToken: try await platform.createToken(schoolCode: "S-042")
        ).save(test.node.database)
        return (test, teacher)
    }

    /// Logs in as the teacher over HTTP and returns the session cookie.
    static func logIn(_ base: String) async throws -> String {
        let answer = try await CurlTransport().post(
            base + "/login", body: Data("username=liwei&password=123456".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(answer.status == 303)
        return String(try #require(answer.headers["set-cookie"]).split(separator: ";")[0])
    }

    static func page(_ url: String, cookie: String = "") async throws -> (status: Int, html: String) {
        let answer = try await CurlTransport().get(url, headers: cookie.isEmpty ? [:] : ["Cookie": cookie])
        return (answer.status, String(decoding: answer.body, as: UTF8.self))
    }

    /// The verification code printed on a certificate page.
    static func code(in html: String) throws -> String {
        let start = try #require(html.range(of: #"<p class="code">"#), "no code on the page:\n\(html)")
        let end = try #require(html.range(of: "</p>", range: start.upperBound..<html.endIndex))
        return String(html[start.upperBound..<end.lowerBound])
    }

    static func verify(_ code: String, data: String) throws -> ProcessRunner.Result {
        try ProcessRunner.run(binary: "satchel-platform", ["verify", code, "--data", data])
    }

    @Test func aCompletedModuleGivesACodeThePlatformChecksAndChangedCodesAreRefused() async throws {
        let folder = TemporaryDirectory("certificate")
        let platformData = folder.file("platform")
        let platform = try Platform(root: platformData)
        let live = try await LivePlatform(platform: platform)
        let (test, _) = try await Self.schoolNode(platform: platform, url: live.baseURL)

        let code = try await LiveServer.serving(test.node) { server in
            let cookie = try await Self.logIn(server.baseURL)
            // Before enrolment the certificate prints without a code and says why.
            let pending = try await Self.page(server.baseURL + "/me/certificate", cookie: cookie)
            #expect(pending.status == 200)
            #expect(pending.html.contains("尚未在国家平台注册"))
            #expect(!pending.html.contains(#"<p class="code">"#))

            _ = try await SyncTests.syncUntil(test.node) { try Enrolment.load(test.node.database)?.nodeId != nil }
            let printed = try await Self.page(server.baseURL + "/me/certificate", cookie: cookie)
            for text in ["教师培训学时证明", "李老师（T-7）", "S-042", "信息技术应用能力培训", "@page{size:A4", "1 / 2"] {
                #expect(printed.html.contains(text), "\(text) is missing from the certificate")
            }
            let english = try await Self.page(server.baseURL + "/me/certificate?lang=en", cookie: cookie)
            #expect(english.html.contains("Teacher training certificate") && english.html.contains("ICT skills course"))
            let download = try await CurlTransport().get(
                server.baseURL + "/me/certificate?course=ict&download=1", headers: ["Cookie": cookie])
            #expect(download.headers["content-disposition"]?.hasPrefix("attachment") == true)
            #expect(try Self.code(in: String(decoding: download.body, as: UTF8.self)) == Self.code(in: printed.html))
            #expect(printed.html.contains(live.baseURL + "/verify?code="), "the page says where to check the code")
            return try Self.code(in: printed.html)
        }

        // The command line: exit 0 and the statement's contents.
        let valid = try Self.verify(code, data: platformData)
        #expect(valid.status == 0, "\(valid.stderr)")
        for text in ["李老师 (T-7)", "S-042", "信息技术应用能力培训 [ict]", "Hours credited: 2", "1 / 2"] {
            #expect(valid.stdout.contains(text), "\(text) is missing from:\n\(valid.stdout)")
        }
        // Typed in its groups without quotes, each group is an argument.
        let grouped = try ProcessRunner.run(
            binary: "satchel-platform",
            ["verify"] + code.split(separator: " ").map(String.init) + ["--data", platformData])
        #expect(grouped.status == 0, "\(grouped.stderr)")
        // The page: the code as printed, in its groups, as a browser's form sends it.
        let checked = try await Self.page(
            live.baseURL + "/verify?code=" + code.replacingOccurrences(of: " ", with: "+"))
        #expect(checked.status == 200)
        #expect(checked.html.contains("有效") && checked.html.contains("李老师 (T-7)"))

        // One changed hour, under the node's own signature.
        let (payload, signature) = try CertificateCode.parse(code)
        var statement = try CertificateStatement(encoded: payload)
        var inflated = statement
        inflated.creditedTenths += 10
        let changedHour = CertificateCode.text(payload: try inflated.encoded(), signature: signature)
        // One flipped character in the statement, and one in the signature.
        let compact = CertificateCode.compact(code)
        let flippedStatement = Self.flip(compact, at: 40)
        let flippedSignature = Self.flip(compact, at: compact.count - 20)
        // Signed by a key the platform does not know: as the real node, and as a node that was never enrolled.
        let stranger = Curve25519.Signing.PrivateKey()
        let forged = try inflated.code(signedWith: stranger)
        statement.nodeId = "node-000000000000"
        let unknownNode = try statement.code(signedWith: stranger)
        // Signed by the real node's key, but for another school.
        let identity = try #require(try NodeIdentity.load(from: test.node.directory))
        var otherSchool = try CertificateStatement(encoded: payload)
        otherSchool.schoolCode = "S-999"
        let wrongSchool = try otherSchool.code(signedWith: identity.key)

        let refused: [(String, String, String)] = [
            ("a changed hour", changedHour, "does not match its signature"),
            ("a flipped character", flippedStatement, ""),
            ("a flipped signature character", flippedSignature, "does not match its signature"),
            ("an unknown key", forged, "does not match its signature"),
            ("an unknown node", unknownNode, "is not enrolled"),
            ("another school", wrongSchool, "not the school"),
            ("not a code", "HELLO-WORLD", "not a valid code"),
        ]
        for (name, text, reason) in refused {
            let run = try Self.verify(text, data: platformData)
            #expect(run.status == 65, "\(name): \(run.stdout) \(run.stderr)")
            #expect(reason.isEmpty || run.stderr.contains(reason), "\(name): \(run.stderr)")
            #expect(!run.stdout.contains("valid"), "\(name)")
            let answer = try await Self.page(live.baseURL + "/verify?code=" + CertificateCode.compact(text))
            #expect(answer.status == 422, "\(name)")
            #expect(answer.html.contains("无效") && !answer.html.contains("李老师"), "\(name)")
            // The public page does not say whether a node exists.
            #expect(!answer.html.contains("not enrolled with this platform"), "\(name)")
        }
        let tooLong = try await Self.page(
            live.baseURL + "/verify?code=" + String(repeating: "A", count: CertificateCode.maxTextLength + 1))
        #expect(tooLong.status == 400)
        let form = try await Self.page(live.baseURL + "/verify")
        #expect(form.status == 200 && form.html.contains(#"<form method="get" action="/verify">"#))
        await live.stop()
    }

    @Test func theCertificatePrintsOnOneA4PageInABrowser() async throws {
        let chromium = try Chromium.find()
        let folder = TemporaryDirectory("certificate-pdf")
        let platform = try Platform(root: folder.file("platform"))
        let live = try await LivePlatform(platform: platform)
        let (test, _) = try await Self.schoolNode(platform: platform, url: live.baseURL)
        _ = try await SyncTests.syncUntil(test.node) { try Enrolment.load(test.node.database)?.nodeId != nil }
        let saved = try await LiveServer.serving(test.node) { server in
            let cookie = try await Self.logIn(server.baseURL)
            let download = try await CurlTransport().get(
                server.baseURL + "/me/certificate?course=ict&download=1", headers: ["Cookie": cookie])
            return folder.write("certificate.html", download.body)
        }
        await live.stop()
        let pdf = folder.file("certificate.pdf")
        _ = try await chromium.run([
            "--no-pdf-header-footer", "--print-to-pdf=" + pdf, URL(fileURLWithPath: saved).absoluteString,
        ])
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: pdf)), as: UTF8.self)
        let pages = text.matches(of: #/\/Type\s*\/Page[^s]/#).count
        #expect(pages == 1, "the certificate printed on \(pages) pages")
        let box = try #require(text.firstMatch(of: #/\/MediaBox\s*\[0 0 ([0-9.]+) ([0-9.]+)\]/#), "no page size")
        let (width, height) = (Double(box.1) ?? 0, Double(box.2) ?? 0)
        #expect(abs(width - 595.3) < 2 && abs(height - 841.9) < 2, "the page is \(width) x \(height) pt, not A4")
    }

    /// `code` with the character at `index` replaced by another one of the alphabet.
    static func flip(_ code: String, at index: Int) -> String {
        var characters = Array(code)
        characters[index] = characters[index] == "A" ? "B" : "A"
        return String(characters)
    }
}
