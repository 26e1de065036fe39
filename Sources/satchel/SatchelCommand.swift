import ArgumentParser
import Foundation
import SatchelCore

/// The `satchel` command: the school node's one tool.
@main
struct SatchelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "satchel",
        abstract: "Satchel 学校资源节点 · Satchel, the offline-first school content node",
        discussion: """
            设置 SATCHEL_LANG=en 可显示英文信息。Set SATCHEL_LANG=en for English messages.
            Exit codes: 0 ok, 64 usage, 65 bad input data (archives, manifests, config), 66 a --data folder that does not
            exist, 69 unavailable, 74 I/O error, 1 other.
            """,
        subcommands: [
            ServeCommand.self, DemoCommand.self, ImportCommand.self, PackCommand.self, KeygenCommand.self,
            TrustCommand.self, BundlesCommand.self, SyncCommand.self, ExportCommand.self, ProvisionCommand.self,
            TeachersCommand.self, ReportCommand.self, StatusCommand.self, DoctorCommand.self, ImportWorkerCommand.self,
            UpgradeCommand.self, PackReleaseCommand.self,
        ]
    )

    /// Runs the tool: a mistyped subcommand is answered with the nearest one in the user's language (exit 64), all
    /// else goes to ArgumentParser.
    static func main() async {
        if let unknown = UnknownSubcommand.find(in: Array(CommandLine.arguments.dropFirst()), root: Self.self) {
            Console.warn(unknown.message)
            Foundation.exit(ExitStatus.usage.rawValue)
        }
        await main(nil)
    }
}
