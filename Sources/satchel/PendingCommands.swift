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

/// `satchel teachers` (issue 5).
struct TeachersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teachers", abstract: "管理教师账号 · Manage teacher accounts")
    @OptionGroup var options: NodeOptions
    func run() async throws { try Console.notBuilt("teachers", issue: 5) }
}

/// `satchel report` (issue 5).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "生成学校使用和培训报告 · School usage and training report (CSV)")
    @OptionGroup var options: NodeOptions
    func run() async throws { try Console.notBuilt("report", issue: 5) }
}

/// `satchel status` (issue 7).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "显示节点状态 · Show the node's state")
    @OptionGroup var options: NodeOptions
    @Flag(name: .long, help: "JSON 输出 · JSON output") var json = false
    func run() async throws { try Console.notBuilt("status", issue: 7) }
}

/// `satchel doctor` (issue 7).
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "检查节点健康 · Check the node's health")
    @OptionGroup var options: NodeOptions
    @Flag(name: .long, help: "JSON 输出 · JSON output") var json = false
    func run() async throws { try Console.notBuilt("doctor", issue: 7) }
}
