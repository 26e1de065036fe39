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
    ///
    /// A `--data` folder that does not exist is refused (exit 66), so that a mistyped path never becomes a new,
    /// empty node; only commands that make a node (`provision`) pass `creating: true`.
    func loadConfiguration(creating: Bool = false) throws -> Configuration {
        let configuration = try Self.loadConfiguration(configPath: config, dataDirectory: data)
        if let data, !creating {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) {
                throw ConfigError(
                    code: .dataDirectoryMissing,
                    message: LocalizedText(
                        zh: "数据目录 \(data) 不存在。请检查路径是否输错；要新建数据目录，请用 satchel provision 或 satchel demo，"
                            + "或先运行 mkdir -p \(data)。",
                        en:
                            "The data directory \(data) does not exist. Check the path for a typo; to make a new node, use "
                            + "satchel provision or satchel demo, or run mkdir -p \(data) first."))
            }
            if !isDirectory.boolValue {
                throw ConfigError(
                    code: .dataDirectoryMissing,
                    message: LocalizedText(
                        zh: "\(data) 是文件，不是数据目录。请用 --data 指定节点的数据目录。",
                        en: "\(data) is a file, not a data directory. Give the node's data directory with --data."))
            }
        }
        return configuration
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

    /// The config file the other commands read: `--config`, else the first default that exists; nil when none does.
    func configFilePath() -> String? {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        return ConfigurationLoader(
            environment: ProcessInfo.processInfo.environment, installed: executable.hasPrefix("/usr/")
        )
        .configPath(explicit: config)
    }

    /// Loads the configuration, sets up logging and opens the node; `creating` as for ``loadConfiguration(creating:)``.
    func openNode(creating: Bool = false) throws -> (Configuration, Node, Logger) {
        let configuration = try loadConfiguration(creating: creating)
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
