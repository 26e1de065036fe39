import ArgumentParser
import SatchelCore

// Subcommands whose capability another issue builds. Each says so plainly and exits 69; none pretends to succeed.

/// `satchel sync` (issue 6).
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "与国家平台同步 · Sync with the national platform")
    @OptionGroup var options: NodeOptions
    @Flag(name: .long, help: "只同步一次 · Run one session in the foreground") var once = false
    func run() async throws { try Console.notBuilt("sync", issue: 6) }
}

/// `satchel export` (issue 6).
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "导出待同步数据到 U 盘 · Export pending sync data to a folder (USB)")
    @OptionGroup var options: NodeOptions
    @Option(name: .long, help: "目标目录 · Target folder") var to: String?
    func run() async throws { try Console.notBuilt("export", issue: 6) }
}

/// `satchel provision` (issues 6 and 7).
struct ProvisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision", abstract: "注册节点并写入配置 · Enrol this node with the platform")
    @OptionGroup var options: NodeOptions
    func run() async throws { try Console.notBuilt("provision", issue: 7) }
}
