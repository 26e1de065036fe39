import Foundation

/// Builds a ``Configuration`` from defaults, one JSON file and `SATCHEL_*` environment variables, refusing anything
/// it does not understand.
public struct ConfigurationLoader: Sendable {
    /// The system-wide config file, used when it exists and no `--config` is given.
    public static let systemConfigPath = "/etc/satchel/satchel.json"
    /// The config file in the working directory, used when the system one does not exist.
    public static let localConfigPath = "satchel.json"
    /// The data directory of an installed node.
    public static let installedDataDirectory = "/var/lib/satchel"
    /// The data directory when running from a checkout.
    public static let checkoutDataDirectory = "satchel-data"

    private let environment: [String: String]
    private let fileExists: @Sendable (String) -> Bool
    private let readFile: @Sendable (String) throws -> Data
    private let installed: Bool

    /// Creates a loader that reads the real file system and the given environment.
    ///
    /// - Parameter installed: whether the binary runs from a system location, which chooses the default data
    ///   directory.
    public init(environment: [String: String], installed: Bool) {
        self.environment = environment
        self.installed = installed
        self.fileExists = { FileManager.default.fileExists(atPath: $0) }
        self.readFile = { try Data(contentsOf: URL(fileURLWithPath: $0)) }
    }

    /// The file this loader reads: the explicit path when given, else the system file when it exists, else the local
    /// one when it exists, else none.
    public func configPath(explicit: String?) -> String? {
        if let explicit { return explicit }
        if fileExists(Self.systemConfigPath) { return Self.systemConfigPath }
        if fileExists(Self.localConfigPath) { return Self.localConfigPath }
        return nil
    }

    /// Loads the configuration.
    ///
    /// - Parameter explicitPath: the `--config` flag; a missing file there is an error, unlike the default paths.
    /// - Throws: ``ConfigError`` naming the key, the file and what is expected.
    public func load(explicitPath: String?) throws -> Configuration {
        var configuration = Configuration.defaults(
            dataDirectory: installed ? Self.installedDataDirectory : Self.checkoutDataDirectory
        )
        if let path = configPath(explicit: explicitPath) {
            guard fileExists(path) else {
                throw ConfigError(
                    code: .fileMissing,
                    message: LocalizedText(
                        zh: "配置文件 \(path) 不存在。请检查 --config 指定的路径。",
                        en: "The config file \(path) does not exist. Check the path given with --config."
                    )
                )
            }
            try apply(file: path, to: &configuration)
        }
        try applyEnvironment(to: &configuration)
        return configuration
    }

    private func apply(file path: String, to configuration: inout Configuration) throws {
        let data: Data
        do {
            data = try readFile(path)
        } catch {
            throw ConfigError(
                code: .fileUnreadable,
                message: LocalizedText(
                    zh: "无法读取配置文件 \(path)：\(error.localizedDescription)。请检查文件权限。",
                    en: "Cannot read the config file \(path): \(error.localizedDescription). Check its permissions."
                ),
                cause: error
            )
        }
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ConfigError(
                code: .malformed,
                message: LocalizedText(
                    zh: "配置文件 \(path) 不是有效的 JSON。请用 JSON 格式书写，例如 {\"port\": 8080}。",
                    en: "The config file \(path) is not valid JSON. Write it as a JSON object, e.g. {\"port\": 8080}."
                ),
                cause: error
            )
        }
        guard case .object(let object) = root else {
            throw ConfigError(
                code: .malformed,
                message: LocalizedText(
                    zh: "配置文件 \(path) 的顶层必须是 JSON 对象（{...}），实际是 \(root.typeName)。",
                    en: "The config file \(path) must hold a JSON object ({...}) at the top, not a \(root.typeName)."
                )
            )
        }
        for key in object.keys.sorted() {
            guard let setting = ConfigurationKey.named[key] else {
                let known = (ConfigurationKey.all + ConfigurationKey.syncKeys).map(\.name).joined(separator: ", ")
                throw ConfigError(
                    code: .unknownKey,
                    message: LocalizedText(
                        zh: "配置文件 \(path) 中有未知的键 \"\(key)\"。可用的键：\(known)。",
                        en: "Unknown key \"\(key)\" in the config file \(path). Known keys: \(known)."
                    )
                )
            }
            try setting.apply(object[key]!, source: "the config file \(path)", sourceZh: "配置文件 \(path)", &configuration)
        }
    }

    private func applyEnvironment(to configuration: inout Configuration) throws {
        for setting in ConfigurationKey.all + ConfigurationKey.syncKeys {
            let variable = setting.environmentName
            guard let raw = environment[variable] else { continue }
            try setting.apply(
                setting.parseEnvironment(raw),
                source: "the environment variable \(variable)",
                sourceZh: "环境变量 \(variable)",
                &configuration
            )
        }
    }
}
