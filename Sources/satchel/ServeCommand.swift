import ArgumentParser
import Foundation
import Hummingbird
import SatchelCore
import SatchelServer

/// `satchel serve`: runs the node's web server until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "运行节点服务 · Run the node: LAN web UI, content and API"
    )

    @OptionGroup var options: NodeOptions

    @Option(name: .long, help: "监听端口 · TCP port (overrides config)")
    var port: Int?

    @Option(name: .long, help: "监听地址 · Address to bind (overrides config)")
    var host: String?

    func validate() throws {
        if let port, !(0...65535).contains(port) {
            throw ValidationError(
                "--port \(port) is not a TCP port; give a number from 1 to 65535 (0 picks a free one).")
        }
    }

    func run() async throws {
        try await Console.run {
            var (configuration, node, logger) = try options.openNode()
            if let port { configuration.port = port }
            if let host { configuration.listenHost = host }
            // A release installed just before a power cut or a crash may not have reached the installer yet.
            do {
                try node.importer(logger: logger).stageNewestRelease()
            } catch {
                logger.warning("could not stage the newest satchel release", metadata: ["error": "\(error)"])
            }
            try await NodeServer.run(configuration: configuration, node: node, logger: logger, announce: { _ in })
        }
    }
}
