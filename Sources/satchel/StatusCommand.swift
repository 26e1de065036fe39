import ArgumentParser
import Foundation
import SatchelBundles
import SatchelCore
import SatchelNode
import SatchelServer
import SatchelSync

/// `satchel status`: what the node holds and how its sync stands.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "显示节点状态 · Show the node's state")
    @OptionGroup var options: NodeOptions
    @Flag(name: .long, help: "JSON 输出（字段稳定）· JSON output with stable keys") var json = false
    @Flag(name: .long, help: "在地址下打印二维码（终端中默认打印）· Print a QR code under the address (the default in a terminal)")
    var qr = false

    func run() async throws {
        try await Console.run {
            let (configuration, node, _) = try options.openNode()
            var status = try NodeStatus.read(node: node)
            status.addresses = TeacherAddresses.urls(node: node, configuration: configuration)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                Console.out(String(decoding: try encoder.encode(status), as: UTF8.self))
                return
            }
            let sync = status.lastSync.map { "\(ISO8601DateFormatter().string(from: $0.at)) \($0.result)" }
            let side = status.lastSync?.failingSide.flatMap(FailingSide.init(rawValue:))
            let addresses = status.addresses.map { "  " + $0 }.joined(separator: "\n")
            Console.say(
                LocalizedText(
                    zh: """
                        Satchel \(status.version) · 数据目录 \(status.dataDirectory)
                        资源包 \(status.bundles) 个，资源 \(status.resources) 个，占用 \(ByteCount.human(status.storeBytes))，磁盘可用 \(ByteCount.human(status.freeBytes))
                        教师 \(status.teachers) 人（待批准 \(status.pendingApprovals) 人）
                        待同步事件 \(status.eventsPending) 条；已汇总 \(status.eventsRolledUp) 条，已压缩 \(status.eventsCompacted) 条
                        同步流量（含中断的传输）：发送 \(ByteCount.human(status.syncBytesSent))，接收 \(ByteCount.human(status.syncBytesReceived))
                        上次同步：\(sync ?? "从未同步")；附近学校的服务器：\(status.peers.isEmpty ? "无" : status.peers.joined(separator: ", "))
                        教师在浏览器中打开：
                        \(addresses)
                        """,
                    en: """
                        Satchel \(status.version) · data \(status.dataDirectory)
                        \(status.bundles) bundles, \(status.resources) resources, \(ByteCount.human(status.storeBytes)) stored, \(ByteCount.human(status.freeBytes)) free
                        \(status.teachers) teachers (\(status.pendingApprovals) awaiting approval)
                        \(status.eventsPending) events pending sync; \(status.eventsRolledUp) rolled up, \(status.eventsCompacted) compacted
                        sync traffic (aborted transfers included): \(ByteCount.human(status.syncBytesSent)) sent, \(ByteCount.human(status.syncBytesReceived)) received
                        last sync: \(sync ?? "never"); peers: \(status.peers.isEmpty ? "none" : status.peers.joined(separator: ", "))
                        Teachers open in a browser:
                        \(addresses)
                        """))
            if let side { Console.say(side.advice) }
            if let waiting = status.upgradeWaiting {
                Console.say(LocalizedText(zh: "软件更新 \(waiting) 等待安装", en: "Release \(waiting) waiting to be installed"))
            }
            if let upgrade = status.lastUpgrade {
                Console.say(
                    LocalizedText(zh: "上次软件更新：" + upgrade.summary.zh, en: "Last upgrade: " + upgrade.summary.en))
            }
            TerminalQRCode.print(addresses: status.addresses, requested: qr)
        }
    }
}

/// `satchel doctor`: checks the node and says what to fix.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "检查节点健康 · Check the node's health")
    @OptionGroup var options: NodeOptions
    @Flag(name: .long, help: "JSON 输出 · JSON output") var json = false
    @Flag(name: .long, help: "在地址下打印二维码（终端中默认打印）· Print a QR code under the address (the default in a terminal)")
    var qr = false

    func run() async throws {
        try await Console.run {
            let configuration = try options.loadConfiguration()
            let path = ConfigurationLoader(environment: ProcessInfo.processInfo.environment, installed: false)
                .configPath(explicit: options.config)
            let checks = await NodeDoctor(configuration: configuration, configPath: path).run()
            let node = try? Node.open(configuration: configuration)
            let addresses = TeacherAddresses.urls(node: node, configuration: configuration)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                Console.out(
                    String(decoding: try encoder.encode(Report(checks: checks, addresses: addresses)), as: UTF8.self))
            } else {
                for check in checks {
                    let hint = check.hint.map { " · " + $0(Console.language) } ?? ""
                    let title = Console.language == .english ? "" : "（\(NodeDoctor.Check.title(check.name).zh)）"
                    Console.out(
                        "\(check.level.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0)) \(check.name)\(title): \(check.detail(Console.language))\(hint)"
                    )
                }
                Console.say(LocalizedText(zh: "教师在浏览器中打开：", en: "Teachers open in a browser:"))
                for address in addresses { Console.out("  " + address) }
                TerminalQRCode.print(addresses: addresses, requested: qr)
            }
            if checks.contains(where: { $0.level == .fail }) { throw ExitCode(ExitStatus.unavailable.rawValue) }
        }
    }
}

/// What `satchel doctor --json` prints: the checks, and the addresses teachers open.
private struct Report: Encodable {
    var checks: [NodeDoctor.Check]
    var addresses: [String]
}

/// The QR code `status` and `doctor` print under the addresses teachers open, so that a phone opens the node by its
/// camera instead of a typed address.
enum TerminalQRCode {
    /// Prints the QR code of the first LAN address in `addresses` when stdout is a terminal or `requested` (`--qr`);
    /// says why there is none when the node has no LAN address, which no phone could open.
    static func print(addresses: [String], requested: Bool) {
        guard requested || Console.isTerminal else { return }
        guard let address = TeacherAddresses.firstLAN(addresses), let code = QRCode(address) else {
            Console.say(
                LocalizedText(
                    zh: "没有局域网地址，无法生成二维码：请把服务器连接到学校网络。",
                    en: "No LAN address, so no QR code: connect the server to the school network."))
            return
        }
        Console.say(LocalizedText(zh: "用手机扫码打开 \(address)：", en: "Scan with a phone to open \(address):"))
        Console.out(code.terminalText)
    }
}
