import ArgumentParser
import Foundation
import SatchelBundles
import SatchelCore
import SatchelSync

/// `satchel provision`: gives the node its identity and enrols it with the platform.
struct ProvisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision", abstract: "注册节点并写入配置 · Enrol this node with the platform")
    @OptionGroup var options: NodeOptions
    @Option(name: .long, help: "平台网址 · Platform URL") var platform: String
    @Option(name: .long, help: "一次性注册令牌 · One-time enrolment token") var token: String
    @Option(name: .long, help: "学校代码 · School code") var school: String
    @Flag(name: .long, help: "替换已有身份 · Replace an existing identity") var force = false

    func validate() throws {
        guard platform.hasPrefix("http://") || platform.hasPrefix("https://") else {
            throw ValidationError("--platform \(platform) must be an http:// or https:// URL.")
        }
        guard !token.isEmpty, !school.isEmpty, school.count <= 64 else {
            throw ValidationError("Give a --token and a --school code of at most 64 characters.")
        }
        do {
            _ = try EnrolmentToken(text: token)
        } catch let error as SyncError {
            throw ValidationError(error.message.zh + "\n" + error.message.en)
        }
    }

    func run() async throws {
        try await Console.run {
            // provision writes the config file, so a --config that does not exist yet is created, not refused.
            if let path = options.config, !FileManager.default.fileExists(atPath: path) {
                try ConfigFileWriter.update(path: path, values: [:])
            }
            // provision makes the node, so its data directory may not exist yet.
            var (configuration, node, logger) = try options.openNode(creating: true)
            let existing = try Enrolment.load(node.database)
            var identity = try NodeIdentity.load(from: node.directory)
            if let nodeId = existing?.nodeId, identity != nil, !force {
                throw SyncError(
                    code: .identity,
                    message: LocalizedText(
                        zh: "本节点已注册（节点编号 \(nodeId)），不会替换其身份。如确需重新注册，请加 --force。",
                        en:
                            "This node is already enrolled (node \(nodeId)); its identity is not replaced. Add --force to enrol again."
                    ))
            }
            // A pending enrolment keeps the identity it made; --force always makes a new one.
            if identity == nil || force { identity = try NodeIdentity.create(in: node.directory, force: true) }
            let enrolment = Enrolment(nodeId: nil, platformURL: platform, schoolCode: school, pendingToken: token)
            try enrolment.save(node.database)
            try ConfigFileWriter.update(
                path: options.config ?? ConfigurationLoader.localConfigPath,
                values: ["platformURL": .string(platform), "schoolCode": .string(school)])
            configuration.platformURL = platform
            configuration.schoolCode = school
            do {
                let done = try await SyncSession.completeEnrolment(
                    enrolment, identity: identity!, node: node,
                    transport: SyncSession(node: node, logger: logger).transport())
                Console.say(
                    LocalizedText(
                        zh: "已注册到平台，节点编号 \(done.nodeId ?? "?")。已信任平台的发布者公钥。",
                        en:
                            "Enrolled with the platform as node \(done.nodeId ?? "?"). The platform's publisher keys are trusted."
                    ))
            } catch let error as TransportError {
                Console.say(
                    LocalizedText(
                        zh: "暂时无法连接平台（\(error.message.zh)）。注册已保存，首次同步成功时自动完成。",
                        en:
                            "The platform cannot be reached now (\(error.message.en)). The enrolment is saved and completes at the first successful sync."
                    ))
            }
        }
    }
}

/// `satchel sync`: one sync session in the foreground.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "与国家平台同步 · Sync with the national platform")
    @OptionGroup var options: NodeOptions
    @Flag(name: .long, help: "只同步一次（前台运行）· Run one session in the foreground") var once = false
    @Option(name: .long, help: "从邻近节点拉取 · Pull bundles from a LAN peer at this URL") var peer: String?

    func run() async throws {
        try await Console.run {
            let (_, node, logger) = try options.openNode()
            var session = SyncSession(node: node, logger: logger)
            session.progress = { line in Console.out("  " + line) }
            let report: SyncSession.Report
            if let peer {
                report = try await session.pull(fromPeer: peer)
            } else {
                report = try await session.run()
            }
            Console.say(
                LocalizedText(
                    zh:
                        "同步完成：推送 \(report.pushedEvents) 条事件（\(report.pushBytes) 字节），安装 \(report.installedBundles.count) 个资源包，下载 \(ByteCount.human(report.downloadedBytes))；网络流量：发送 \(ByteCount.human(report.wireBytes.sent))，接收 \(ByteCount.human(report.wireBytes.received))。",
                    en:
                        "Sync finished: pushed \(report.pushedEvents) events (\(report.pushBytes) bytes), installed \(report.installedBundles.count) bundles, downloaded \(ByteCount.human(report.downloadedBytes)); on the wire: \(ByteCount.human(report.wireBytes.sent)) sent, \(ByteCount.human(report.wireBytes.received)) received."
                ))
            for error in report.errors { Console.warn(LocalizedText(zh: error, en: error)) }
            if !report.errors.isEmpty { throw ExitCode(ExitStatus.unavailable.rawValue) }
        }
    }
}

/// `satchel export`: the pending push onto a USB stick.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "导出待同步数据到 U 盘 · Export pending sync data to a folder (USB)")
    @OptionGroup var options: NodeOptions
    @Option(name: .long, help: "目标目录 · Target folder") var to: String

    func run() async throws {
        try await Console.run {
            let (_, node, _) = try options.openNode()
            guard let enrolment = try Enrolment.load(node.database), let nodeId = enrolment.nodeId,
                let identity = try NodeIdentity.load(from: node.directory)
            else {
                throw SyncError(
                    code: .notEnrolled,
                    message: LocalizedText(
                        zh: "本节点尚未注册，平台无法识别导出的文件。请先完成 satchel provision。",
                        en:
                            "This node is not enrolled, so the platform could not recognise the files. Finish satchel provision first."
                    ))
            }
            let files = try SneakernetFiles.export(database: node.database, identity: identity, nodeId: nodeId, to: to)
            Console.say(
                LocalizedText(
                    zh: "已写入 \(files.count) 个文件到 \(to)。平台导入后，下次同步会确认。",
                    en:
                        "Wrote \(files.count) files to \(to). The next sync confirms them once the platform has imported them."
                ))
        }
    }
}
