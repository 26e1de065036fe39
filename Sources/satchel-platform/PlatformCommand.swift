import ArgumentParser
import SatchelCore

/// `satchel-platform`: the reference national platform. Its protocol side is built by issue 6.
@main
struct PlatformCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "satchel-platform",
        abstract: "Satchel 参考国家平台 · The reference national platform",
        subcommands: [Serve.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "运行平台服务 · Run the platform")
        @Option(name: .long, help: "数据目录 · Data directory") var data: String = "platform-data"
        @Option(name: .long, help: "端口 · Port") var port: Int = 9090

        func run() async throws {
            print("satchel-platform serve 尚未实现（见第 6 号需求）。satchel-platform serve is not built yet (see issue 6).")
            throw ExitCode(ExitStatus.unavailable.rawValue)
        }
    }
}
