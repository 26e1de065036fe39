import Foundation
import SatchelNode
import SatchelServer
import SatchelStore
import SatchelTestSupport
import Testing

/// The technician's record commands: teachers, report, status and doctor, as the real binary.
@Suite struct RecordsCommandTests {
    @Test func aTeachersPasswordCanBeResetFromTheCommandLine() throws {
        let folder = TemporaryDirectory("teachers")
        let data = folder.directory("data")
        let old = folder.write("old", "forgotten\n")
        let new = folder.write("new", "new-pass-7\n")
        let short = folder.write("short", "abc\n")
        #expect(
            try ProcessRunner.run([
                "teachers", "add", "zhang", "--name", "张老师", "--password-file", old, "--data", data,
            ]).status == 0)
        let reset = try ProcessRunner.run([
            "teachers", "reset-password", "zhang", "--password-file", new, "--data", data,
        ])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(reset.stdout.contains("Set a new password for zhang"))
        let refused = try ProcessRunner.run([
            "teachers", "reset-password", "zhang", "--password-file", short, "--data", data,
        ])
        #expect(refused.status != 0)
        let missing = try ProcessRunner.run([
            "teachers", "reset-password", "nobody", "--password-file", new, "--data", data,
        ])
        #expect(missing.status == 65)
        let database = try SatchelDatabase(path: data + "/satchel.sqlite")
        let hash = try #require(try database.teacher("zhang")).passwordHash
        #expect(PasswordHasher.verify("new-pass-7", against: hash))
        #expect(!PasswordHasher.verify("forgotten", against: hash))
    }

    @Test func teachersCanBeAddedApprovedExportedAndRemoved() throws {
        let folder = TemporaryDirectory("teachers")
        let data = folder.directory("data")
        let password = folder.write("pw", "secret-pin\n")
        let add = try ProcessRunner.run([
            "teachers", "add", "zhang", "--name", "张老师", "--number", "T-9",
            "--password-file", password, "--data", data,
        ])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(
            try ProcessRunner.run([
                "teachers", "add", "zhang", "--name", "x", "--password-file", password,
                "--data", data,
            ]).status == 65)
        #expect(try ProcessRunner.run(["teachers", "add", "x!", "--name", "x", "--data", data]).status == 64)
        let list = try ProcessRunner.run(["teachers", "list", "--data", data])
        #expect(list.stdout.contains("zhang\t张老师\tT-9\tteacher\tactive"))
        let export = try ProcessRunner.run(["teachers", "export", "zhang", "--data", data])
        let json = try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any]
        #expect(json?["name"] as? String == "张老师")
        #expect(json?["passwordHash"] == nil)
        #expect(try ProcessRunner.run(["teachers", "remove", "zhang", "--data", data]).status == 0)
        #expect(try ProcessRunner.run(["teachers", "export", "zhang", "--data", data]).status == 65)
    }

    @Test func reportStatusAndDoctor() throws {
        let folder = TemporaryDirectory("status")
        let data = folder.directory("data")
        let report = try ProcessRunner.run(["report", "--data", data])
        #expect(report.status == 0)
        // A UTF-8 byte order mark for Excel; headers in the user's language, English ones for scripts.
        #expect(report.stdout.hasPrefix("\u{FEFF}section,subject,grade,views"))
        let chinese = try ProcessRunner.run(["report", "--data", data], environment: ["SATCHEL_LANG": "zh"])
        #expect(chinese.stdout.hasPrefix("\u{FEFF}类别,学科,年级,浏览次数"))
        let script = try ProcessRunner.run(["report", "--lang", "en", "--no-bom", "--data", data])
        #expect(script.stdout.hasPrefix("section,subject,grade,views"))
        let status = try ProcessRunner.run(["status", "--json", "--data", data])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        for key in [
            "version", "dataDirectory", "bundles", "resources", "eventsPending", "eventsRolledUp", "eventsCompacted",
            "storeBytes", "freeBytes", "teachers", "pendingApprovals", "lastSync", "peers", "addresses",
            "syncBytesSent", "syncBytesReceived",
        ] {
            #expect(json?[key] != nil, "status --json lacks \(key)")
        }
        #expect(json?["lastSync"] is NSNull, "a node that never synced has \"lastSync\": null")
        #expect((json?["addresses"] as? [String])?.first == "http://127.0.0.1:8080/")
        // A fresh node with no keys, no platform and no server: warnings, no failure.
        let doctor = try ProcessRunner.run(
            ["doctor", "--json", "--data", data],
            environment: ["SATCHEL_PORT": "1", "SATCHEL_DISK_RESERVE_BYTES": "0"])
        let checks =
            (try JSONSerialization.jsonObject(with: Data(doctor.stdout.utf8)) as? [String: Any])?["checks"]
            as? [[String: Any]]
        let levels = Dictionary(
            uniqueKeysWithValues: (checks ?? []).map { ($0["name"] as? String ?? "", $0["level"] as? String ?? "") })
        #expect(levels["database"] == "OK" && levels["permissions"] == "OK" && levels["clock"] == "OK")
        #expect(levels["trust"] == "WARN" && levels["platform"] == "WARN")
        #expect(levels["enrolment"] == "OK", "an offline node needs no enrolment")
        // A disk below the reserve is a failure, and the exit code says so.
        let full = try ProcessRunner.run(
            ["doctor", "--data", data],
            environment: ["SATCHEL_DISK_RESERVE_BYTES": "999999999999999"])
        #expect(full.status == 69)
        #expect(full.stdout.contains("FAIL disk"))
    }
}
