import ArgumentParser
import Foundation
import SatchelBundles
import SatchelCore
import SatchelDemo
import SatchelServer

/// `satchel demo`: makes sample content, packs and signs it, imports it and serves it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "用示例内容运行演示节点 · Pack, import and serve built-in sample content"
    )

    @Option(name: .long, help: "配置文件 · Config file")
    var config: String?

    @Option(name: .long, help: "演示数据目录 · Demo data directory")
    var data: String = "satchel-demo"

    @Option(name: .long, help: "监听端口 · TCP port (0 picks a free one)")
    var port: Int = 8080

    @Option(name: .long, help: "监听地址 · Address to bind")
    var host: String = "0.0.0.0"

    @Flag(name: .long, help: "只准备内容，不启动服务 · Prepare the content and exit without serving")
    var noServe = false

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError(
                "--port \(port) is not a TCP port; give a number from 1 to 65535 (0 picks a free one).")
        }
    }

    func run() async throws {
        try await Console.run {
            var configuration = try NodeOptions.loadConfiguration(configPath: config, dataDirectory: data)
            configuration.dataDirectory = data
            configuration.port = port
            configuration.listenHost = host
            // The demo content is small; a full disk should not stop a demonstration.
            configuration.diskReserveBytes = min(configuration.diskReserveBytes, 16 * 1024 * 1024)
            let logger = Logging.makeLogger(level: configuration.logLevel)
            let node = try Node.open(configuration: configuration, logger: logger)
            let result = try DemoSetup.prepare(node: node, logger: logger)
            switch result.report.outcome {
            case .alreadyInstalled:
                Console.say(
                    LocalizedText(
                        zh: "示例资源包 \(result.report.manifest.id) v\(result.report.manifest.version) 已安装，直接使用。",
                        en:
                            "The sample bundle \(result.report.manifest.id) v\(result.report.manifest.version) is already installed; reusing it."
                    ))
            case .installed:
                Console.say(
                    LocalizedText(
                        zh:
                            "已生成、签名并导入示例资源包 \(result.report.manifest.id) v\(result.report.manifest.version)（\(result.report.manifest.files.count) 个文件）。",
                        en:
                            "Made, signed and imported the sample bundle \(result.report.manifest.id) v\(result.report.manifest.version) (\(result.report.manifest.files.count) files)."
                    ))
            }
            if noServe { return }
            let listenHost = configuration.listenHost
            try await NodeServer.run(configuration: configuration, node: node, logger: logger) { port in
                Console.say(LocalizedText(zh: "教师可在浏览器中打开：", en: "Teachers can open:"))
                for address in NodeServer.announcedAddresses(host: listenHost) {
                    Console.out("  http://\(address):\(port)/")
                }
                let loopback = "http://127.0.0.1:\(port)"
                for resource in result.report.manifest.resources {
                    Console.out(
                        "  \(loopback)/resources/\(result.report.manifest.id)/\(resource.id)  \(resource.title(Console.language))"
                    )
                }
                let course = result.courseReport.manifest
                Console.out("  \(loopback)/training/\(course.id)  \(course.title(Console.language))")
                Console.say(LocalizedText(zh: "按 Ctrl+C 停止。", en: "Press Ctrl+C to stop."))
            }
        }
    }
}
