import ArgumentParser
import Foundation
import SatchelBundles
import SatchelCore
import SatchelSync

/// `satchel upgrade`: Satchel releases on this node. Releases arrive as signed `software` bundles, from the platform,
/// a LAN peer or a USB stick, like curriculum; the service stages them and `satchel-upgrade.service` installs them
/// (`docs/provisioning.md`, "Releases").
struct UpgradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Satchel 软件更新 · Satchel releases: status, install from a USB stick",
        subcommands: [Status.self, Install.self, Verify.self, WaitHealthy.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "软件更新状态 · What is installed, waiting, and last done")
        @OptionGroup var options: NodeOptions

        func run() async throws {
            try await Console.run {
                let configuration = try options.loadConfiguration()
                let stager = ReleaseStager(directory: DataDirectory(root: configuration.dataDirectory))
                let installed = ReleaseStager.installedPackageVersion() ?? "-"
                Console.say(LocalizedText(zh: "已安装版本：\(installed)", en: "Installed version: \(installed)"))
                if let pending = stager.pendingVersion() {
                    Console.say(
                        LocalizedText(zh: "等待安装：\(pending)", en: "Waiting to be installed: \(pending)"))
                }
                if let outcome = stager.outcome() {
                    Console.say(
                        LocalizedText(zh: "上次更新：" + outcome.summary.zh, en: "Last upgrade: " + outcome.summary.en))
                }
            }
        }
    }

    /// The technician's one command for a release on a USB stick.
    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "从 U 盘安装软件更新（需要 root）· Install a release from a USB stick (as root)")
        @OptionGroup var options: NodeOptions
        @Argument(help: "软件更新包或 U 盘目录 · Release bundle or USB folder") var paths: [String]

        func run() async throws {
            try await Console.run {
                guard getuid() == 0 else {
                    throw BundleError(
                        code: .badInput,
                        message: LocalizedText(
                            zh: "安装软件更新需要 root：sudo satchel upgrade install \(paths.joined(separator: " "))",
                            en:
                                "Installing a release needs root: sudo satchel upgrade install \(paths.joined(separator: " "))"
                        ))
                }
                let configuration = try options.loadConfiguration()
                let stager = ReleaseStager(directory: DataDirectory(root: configuration.dataDirectory))
                // The import runs as the service's user, so that the node's files stay the service's; it verifies the
                // release and stages it like any other bundle.
                var importArguments = ["-u", "satchel", "--", "/usr/bin/satchel", "import"]
                if let config = options.configFilePath() { importArguments += ["--config", config] }
                try Self.run("/usr/sbin/runuser", importArguments + paths)
                guard stager.pendingVersion() != nil else {
                    Console.say(
                        stager.outcome().map {
                            LocalizedText(
                                zh: "未安装。上次更新：" + $0.summary.zh, en: "Nothing installed. Last upgrade: " + $0.summary.en
                            )
                        }
                            ?? LocalizedText(
                                zh: "没有可安装的新版本（已是该版本，或其中没有软件更新包）。",
                                en: "No new version to install (it runs already, or there is no release there)."))
                    return
                }
                // The installer itself, as the path unit would start it; systemctl returns when it has finished.
                try Self.run("/usr/bin/systemctl", ["start", "satchel-upgrade.service"])
                guard let outcome = stager.outcome() else {
                    throw BundleError(
                        code: .io,
                        message: LocalizedText(
                            zh: "安装程序没有留下结果；请查看 journalctl -u satchel-upgrade",
                            en: "The installer left no outcome; read journalctl -u satchel-upgrade"))
                }
                Console.say(outcome.summary)
                if outcome.result != .installed { throw ExitCode(1) }
            }
        }

        static func run(_ executable: String, _ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            // The technician's folder (often /root) is closed to the service's user, who runs the import.
            process.currentDirectoryURL = URL(fileURLWithPath: "/")
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
        }
    }

    /// The installer's check, run by `satchel-upgrade` as root with the binary from before the upgrade.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "（安装程序用）校验暂存的软件更新 · (for the installer) verify the staged release", shouldDisplay: false)
        @OptionGroup var options: NodeOptions
        @Option(name: .long, help: "复制到此目录后校验 · Copy into this root-only folder, then verify") var into: String

        func run() async throws {
            try await Console.run {
                let configuration = try options.loadConfiguration()
                let keys = try configuration.releaseKeys.map { try PublisherKey(base64: $0) }
                guard !keys.isEmpty else {
                    throw BundleError(
                        code: .untrustedKey,
                        message: LocalizedText(
                            zh: "配置文件中没有发布密钥（releaseKeys），不安装任何软件更新。请运行 sudo satchel trust add --release 公钥文件.pub",
                            en:
                                "The config file has no release key (releaseKeys), so no release is installed. Run sudo satchel trust add --release KEY.pub"
                        ))
                }
                let verified = try ReleaseStager(directory: DataDirectory(root: configuration.dataDirectory))
                    .takeStaged(into: into, releaseKeys: keys, maxPackageBytes: 1 << 30)
                Console.out("version=\(verified.release.packageVersion)")
                Console.out("package=\(verified.packagePath)")
                Console.out("port=\(configuration.port)")
                Console.out("data=\(configuration.dataDirectory)")
            }
        }
    }

    /// The installer's health check: the node must answer `/healthz` with 200 within the time given.
    struct WaitHealthy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "wait-healthy",
            abstract: "（安装程序用）等待 /healthz 正常 · (for the installer) wait for /healthz to answer 200",
            shouldDisplay: false)
        @Option(name: .long) var port: Int = 8080
        @Option(name: .long) var seconds: Double = 60

        func run() async throws {
            let deadline = Date().addingTimeInterval(seconds)
            var transport = CurlTransport()
            transport.connectTimeoutSeconds = 2
            transport.lowSpeedSeconds = 3
            var last = "no answer"
            while Date() < deadline {
                if let response = try? await transport.get("http://127.0.0.1:\(port)/healthz") {
                    if response.status == 200, response.headers["server"] == "satchel" { return }
                    last = "HTTP \(response.status)"
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            Console.out("not healthy within \(Int(seconds)) s: \(last)")
            throw ExitCode(1)
        }
    }
}
