import ArgumentParser
import Foundation
import Logging
import SatchelBundles
import SatchelCore

/// The flags every subcommand shares: where the config and the data live.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "配置文件 · Config file (default /etc/satchel/satchel.json, else ./satchel.json)")
    var config: String?

    @Option(
        name: .long,
        help: "数据目录 · Data directory (default /var/lib/satchel when installed, ./satchel-data in a checkout)")
    var data: String?

    /// Loads the configuration, applying `--data` over the file and the environment.
    func loadConfiguration() throws -> Configuration {
        try Self.loadConfiguration(configPath: config, dataDirectory: data)
    }

    /// Loads the configuration from `configPath` (or the default places), with `dataDirectory` overriding it.
    static func loadConfiguration(configPath config: String?, dataDirectory data: String?) throws -> Configuration {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let installed = executable.hasPrefix("/usr/")
        var configuration = try ConfigurationLoader(
            environment: ProcessInfo.processInfo.environment, installed: installed
        ).load(explicitPath: config)
        if let data { configuration.dataDirectory = data }
        return configuration
    }

    /// Loads the configuration, sets up logging and opens the node.
    func openNode() throws -> (Configuration, Node, Logger) {
        let configuration = try loadConfiguration()
        let logger = Logging.makeLogger(level: configuration.logLevel)
        let node = try Node.open(configuration: configuration, logger: logger)
        return (configuration, node, logger)
    }
}

/// Log setup shared by the subcommands: one line per message on stderr, which journald keeps.
enum Logging {
    private static let bootstrap: Void = {
        LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
    }()

    static func makeLogger(level: String) -> Logger {
        _ = bootstrap
        var logger = Logger(label: "satchel")
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }
}
