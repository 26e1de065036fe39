import Foundation
import SatchelBundles
import SatchelCore
import SatchelTestSupport
import Testing

/// The `satchel` binary's contract with technicians' scripts: subcommands, messages and sysexits exit codes.
@Suite struct CommandLineTests {
    @Test func helpListsEverySubcommandInChineseAndEnglish() throws {
        let result = try ProcessRunner.run(["--help"])
        #expect(result.status == 0)
        for name in [
            "serve", "demo", "import", "pack", "keygen", "trust", "bundles", "sync", "export", "provision",
            "teachers", "report", "status", "doctor",
        ] {
            #expect(result.stdout.contains("  \(name) "), "\(name) missing from --help")
        }
        #expect(result.stdout.contains("导入资源包"))
        #expect(result.stdout.contains("Import bundles"))
    }

    @Test func syncWithoutEnrolmentSaysWhatToDoAndExits69() throws {
        let folder = TemporaryDirectory("cli")
        let sync = try ProcessRunner.run(["sync", "--once", "--data", folder.path])
        #expect(sync.status == 69)
        #expect(sync.stderr.contains("not enrolled") && sync.stderr.contains("satchel provision"))
        let export = try ProcessRunner.run(["export", "--to", folder.file("usb"), "--data", folder.path])
        #expect(export.status == 69)
    }

    @Test func provisionWithoutAReachablePlatformRecordsAPendingEnrolment() throws {
        let folder = TemporaryDirectory("cli")
        let config = folder.file("satchel.json")
        let first = try ProcessRunner.run([
            "provision", "--platform", "http://127.0.0.1:9/", "--token", "t0k3n." + String(repeating: "A", count: 43),
            "--school", "S-9",
            "--data", folder.file("data"), "--config", config,
        ])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("completes at the first successful sync"))
        let written = try String(contentsOfFile: config, encoding: .utf8)
        #expect(written.contains("\"platformURL\"") && written.contains("S-9"))
        let mode =
            try FileManager.default.attributesOfItem(atPath: folder.file("data/node.key"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The doctor sees the pending enrolment; a platform configured without provisioning is a failure.
        let doctor = try ProcessRunner.run(
            ["doctor", "--json", "--data", folder.file("data"), "--config", config],
            environment: ["SATCHEL_PORT": "1", "SATCHEL_DISK_RESERVE_BYTES": "0"])
        #expect(Self.level("enrolment", in: doctor.stdout) == "WARN", "\(doctor.stdout)")
        let unprovisioned = folder.write("platform-only.json", #"{"platformURL": "http://127.0.0.1:9/"}"#)
        let missing = try ProcessRunner.run(
            ["doctor", "--json", "--data", folder.directory("other"), "--config", unprovisioned],
            environment: ["SATCHEL_PORT": "1", "SATCHEL_DISK_RESERVE_BYTES": "0"])
        #expect(Self.level("enrolment", in: missing.stdout) == "FAIL", "\(missing.stdout)")
        #expect(missing.status != 0)
    }

    @Test func provisionLeavesAConfigThatAlreadySaysItAlone() throws {
        // install.sh writes the config as root, then runs provision as the service user, who may not write it.
        let folder = TemporaryDirectory("cli")
        let config = folder.write(
            "satchel.json", #"{"platformURL": "http://127.0.0.1:9/", "schoolCode": "S-7", "port": 8080}"#)
        let inode = { (try? FileManager.default.attributesOfItem(atPath: config)[.systemFileNumber] as? Int) ?? nil }
        let before = inode()
        let run = try ProcessRunner.run([
            "provision", "--platform", "http://127.0.0.1:9/", "--token", "t0k3n." + String(repeating: "A", count: 43),
            "--school", "S-7",
            "--data", folder.file("data"), "--config", config,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(inode() == before, "the config was rewritten although nothing in it changed")
        let changed = try ProcessRunner.run([
            "provision", "--platform", "http://127.0.0.1:9/", "--token", "t0k3n." + String(repeating: "A", count: 43),
            "--school", "S-8",
            "--data", folder.file("data2"), "--config", config,
        ])
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(try String(contentsOfFile: config, encoding: .utf8).contains("S-8"))
    }

    /// The level of the named check in `satchel doctor --json` output.
    static func level(_ name: String, in json: String) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let checks = object?["checks"] as? [[String: Any]]
        return checks?.first { $0["name"] as? String == name }?["level"] as? String
    }

    @Test func configErrorsStopStartUp() throws {
        let folder = TemporaryDirectory("cli")
        let missing = try ProcessRunner.run(["bundles", "list", "--config", folder.file("nope.json")])
        #expect(missing.status == 74)
        #expect(missing.stderr.contains("does not exist"))
        let bad = folder.write("bad.json", #"{"prot": 1}"#)
        let unknown = try ProcessRunner.run(["bundles", "list", "--config", bad, "--data", folder.file("d")])
        #expect(unknown.status == 65)
        #expect(unknown.stderr.contains("Unknown key \"prot\""))
        let typed = folder.write("typed.json", #"{"port": "80"}"#)
        let wrongType = try ProcessRunner.run(["serve", "--config", typed, "--data", folder.file("d")])
        #expect(wrongType.status == 65)
        #expect(wrongType.stderr.contains("Wrong type for \"port\""))
        let chinese = try ProcessRunner.run(["bundles", "list", "--config", bad], environment: ["SATCHEL_LANG": "zh"])
        #expect(chinese.stderr.contains("未知的键"))
    }

    @Test func usageErrorsExit64() throws {
        #expect(try ProcessRunner.run(["import"]).status == 64)
        #expect(try ProcessRunner.run(["serve", "--port", "99999"]).status == 64)
        #expect(try ProcessRunner.run(["no-such-command"]).status == 64)
    }

    @Test func aMistypedSubcommandIsAnsweredWithTheNearestInTheUsersLanguage() throws {
        let folder = TemporaryDirectory("cli")
        let chinese = try ProcessRunner.run(["stauts", "--data", folder.path], environment: ["SATCHEL_LANG": "zh"])
        #expect(chinese.status == 64)
        #expect(chinese.stderr.contains("没有子命令“stauts”。您是不是想用：satchel status？"), "\(chinese.stderr)")
        #expect(!chinese.stderr.contains("Unknown option"))
        // Without SATCHEL_LANG the locale decides.
        let english = try ProcessRunner.run(
            ["bundles", "lsit", "--data", folder.path], environment: ["SATCHEL_LANG": "", "LANG": "en_US.UTF-8"])
        #expect(english.status == 64)
        #expect(english.stderr.contains("There is no subcommand 'lsit'. Did you mean: satchel bundles list?"))
        let neither = try ProcessRunner.run(["zzzzzz"], environment: ["SATCHEL_LANG": "", "LANG": "C.UTF-8"])
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("没有子命令“zzzzzz”。可用的子命令：serve, demo"), "\(neither.stderr)")
    }

    @Test func aDataDirectoryThatDoesNotExistIsRefusedExceptByProvisionAndDemo() throws {
        let folder = TemporaryDirectory("cli")
        let mistyped = folder.file("dta")
        for arguments in [["status"], ["doctor"], ["import", folder.path], ["teachers", "list"], ["report"]] {
            let run = try ProcessRunner.run(arguments + ["--data", mistyped])
            #expect(run.status == 66, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("The data directory \(mistyped) does not exist"), "\(arguments)")
        }
        #expect(!FileManager.default.fileExists(atPath: mistyped), "a refused --data was created")
        let chinese = try ProcessRunner.run(["status", "--data", mistyped], environment: ["SATCHEL_LANG": "zh"])
        #expect(chinese.stderr.contains("数据目录 \(mistyped) 不存在"))
        let demo = try ProcessRunner.run(["demo", "--no-serve", "--data", folder.file("demo")])
        #expect(demo.status == 0, "\(demo.stderr)")
    }

    @Test func statusAndDoctorNameTheAddressAndCheckThePortTheNodeServesOn() async throws {
        let folder = TemporaryDirectory("cli")
        let data = folder.directory("data")
        let environment = ["SATCHEL_DISK_RESERVE_BYTES": "0"]
        let server = try BackgroundProcess(
            ["serve", "--data", data, "--port", "0", "--host", "127.0.0.1"], environment: environment)
        let port = try await server.waitFor(#"satchel\.http\.port=(\d+)"#)
        let status = try ProcessRunner.run(["status", "--data", data], environment: ["SATCHEL_LANG": "zh"])
        #expect(status.stdout.contains("教师在浏览器中打开：\n  http://127.0.0.1:\(port)/"), "\(status.stdout)")
        let doctor = try ProcessRunner.run(["doctor", "--json", "--data", data], environment: environment)
        #expect(Self.level("port", in: doctor.stdout) == "OK", "\(doctor.stdout)")
        #expect(
            doctor.stdout.contains("satchel answers on port \(port) (200) (where it last ran; the config says 8080)"))
        #expect(doctor.stdout.contains("\"http://127.0.0.1:\(port)/\""))
        let chinese = try ProcessRunner.run(["doctor", "--data", data], environment: ["SATCHEL_LANG": "zh"])
        #expect(chinese.stdout.contains("OK   port（网页端口）: 本校资源服务器在端口 \(port) 上运行"), "\(chinese.stdout)")
        for english in ["is writable", "integrity ok", "free, store", "trusted publisher", "no platformURL"] {
            #expect(!chinese.stdout.contains(english), "the Chinese doctor says “\(english)”")
        }
        #expect(chinese.stdout.contains("教师在浏览器中打开：\n  http://127.0.0.1:\(port)/"))
        #expect(await server.stop() == 0)
    }

    @Test func statusAndDoctorPrintAQRCodeOfTheLANAddressThatDecodes() throws {
        let folder = TemporaryDirectory("cli")
        let data = folder.directory("data")
        let lan = ["SATCHEL_LANG": "zh", "SATCHEL_LISTEN_HOST": "192.168.1.20", "SATCHEL_DISK_RESERVE_BYTES": "0"]
        let status = try ProcessRunner.run(["status", "--qr", "--data", data], environment: lan)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("教师在浏览器中打开：\n  http://192.168.1.20:8080/\n用手机扫码打开 http://192.168.1.20:8080/："))
        let blocks = status.stdout.split(separator: "\n").filter { line in
            line.contains { "█▀▄".contains($0) } && line.allSatisfy { "█▀▄ ".contains($0) }
        }
        #expect(blocks.count >= 15, "\(status.stdout)")
        let image = try BarcodeReader.writeImage(
            BarcodeReader.modules(ofTerminalText: blocks.joined(separator: "\n")), to: folder.file("status.pgm"))
        #expect(try BarcodeReader.decode(image) == ["http://192.168.1.20:8080/"])

        // Not a terminal and no --qr: the addresses only; --json stays JSON, with or without --qr.
        let plain = try ProcessRunner.run(["status", "--data", data], environment: lan)
        #expect(!plain.stdout.contains("█") && !plain.stdout.contains("▀"))
        for arguments in [["status", "--json"], ["status", "--json", "--qr"], ["doctor", "--json", "--qr"]] {
            let run = try ProcessRunner.run(arguments + ["--data", data], environment: lan)
            let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            #expect(json?["addresses"] as? [String] == ["http://192.168.1.20:8080/"], "\(arguments): \(run.stdout)")
        }
        let doctor = try ProcessRunner.run(["doctor", "--qr", "--data", data], environment: lan)
        #expect(doctor.stdout.contains("用手机扫码打开 http://192.168.1.20:8080/：\n█"), "\(doctor.stdout)")

        // A node that serves only this machine has no address for a phone: it says so instead of a code.
        let loopback = try ProcessRunner.run(
            ["status", "--qr", "--data", data], environment: lan.merging(["SATCHEL_LISTEN_HOST": "127.0.0.1"]) { $1 })
        #expect(loopback.stdout.contains("没有局域网地址，无法生成二维码"), "\(loopback.stdout)")
        #expect(!loopback.stdout.contains("█"))
    }

    @Test func keygenTrustPackImportAndBundlesWorkTogether() throws {
        let folder = TemporaryDirectory("cli")
        let data = folder.directory("data")
        #expect(try ProcessRunner.run(["keygen", "--output", folder.file("pub.key")]).status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: folder.file("pub.key"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try ProcessRunner.run(["keygen", "--output", folder.file("pub.key")]).status != 0)
        folder.write("lesson/第一课.html", "<h1>第一课</h1>")
        folder.write("lesson/notes.txt", "notes")
        let pack = try ProcessRunner.run([
            "pack", folder.file("lesson"), "--id", "lesson", "--version", "1",
            "--key", folder.file("pub.key"), "--output", folder.file("lesson.tar.zst"),
        ])
        #expect(pack.status == 0, "\(pack.stderr)")
        let untrusted = try ProcessRunner.run(["import", "--data", data, folder.file("lesson.tar.zst")])
        #expect(untrusted.status == 65)
        #expect(untrusted.stderr.contains("trust"))
        #expect(try ProcessRunner.run(["trust", "add", "--data", data, folder.file("pub.key.pub")]).status == 0)
        let imported = try ProcessRunner.run(["import", "--data", data, folder.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("lesson v1: imported 2 files"))
        let again = try ProcessRunner.run(["import", "--data", data, folder.file("lesson.tar.zst")])
        #expect(again.stdout.contains("already installed"))
        let list = try ProcessRunner.run(["bundles", "list", "--data", data])
        #expect(list.stdout.contains("lesson\tv1"))
        #expect(try ProcessRunner.run(["bundles", "verify", "--data", data]).status == 0)
        #expect(try ProcessRunner.run(["bundles", "remove", "lesson", "--data", data]).status == 0)
        #expect(try ProcessRunner.run(["bundles", "show", "lesson", "--data", data]).status == 65)
    }

    @Test func hostileImportExits65NamingTheArchiveAndEntry() throws {
        let folder = TemporaryDirectory("cli")
        let evil = folder.file("evil.tar")
        RawArchive.write([.file("../../etc/cron.d/evil", Data("x".utf8))], to: evil)
        let result = try ProcessRunner.run(["import", "--data", folder.directory("data"), evil])
        #expect(result.status == 65)
        #expect(result.stderr.contains(evil))
        #expect(result.stderr.contains("../../etc/cron.d/evil"))
        #expect(result.stderr.contains("path traversal"))
    }

    @Test func verifyReportsRottedBlobs() throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["a.txt": "alpha", "b.txt": "beta"]))
        let sha = try #require(try test.node.database.file(bundleId: "test-bundle", path: "a.txt")).sha256
        try Data("alphA".utf8).write(to: URL(fileURLWithPath: test.node.blobStore.path(for: sha)))
        let result = try ProcessRunner.run(
            [
                "bundles", "verify", "--data", test.node.directory.root,
            ], environment: ["SATCHEL_TRUSTED_KEYS": test.publisher.publicKey.base64])
        #expect(result.status == 65)
        #expect(result.stderr.contains("a.txt"))
        #expect(!result.stderr.contains("b.txt"))
    }
}
