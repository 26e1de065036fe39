import Foundation

/// One key of the config file: its name, its JSON type, its validation and where it goes in ``Configuration``.
struct ConfigurationKey: Sendable {
    enum Kind: Sendable {
        case string, integer, stringList

        var name: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .stringList: "an array of strings"
            }
        }

        var nameZh: String {
            switch self {
            case .string: "字符串"
            case .integer: "整数"
            case .stringList: "字符串数组"
            }
        }
    }

    enum Value {
        case string(String)
        case integer(Int64)
        case stringList([String])

        var string: String {
            if case .string(let text) = self { return text }
            return ""
        }
        var integer: Int64 {
            if case .integer(let number) = self { return number }
            return 0
        }
        var stringList: [String] {
            if case .stringList(let items) = self { return items }
            return []
        }
    }

    /// The key as written in the JSON file.
    let name: String
    let kind: Kind
    /// Returns nil when the value is acceptable, else what is expected, in English and in Chinese.
    let check: @Sendable (Value) -> (en: String, zh: String)?
    let assign: @Sendable (Value, inout Configuration) -> Void

    /// `dataDirectory` becomes `SATCHEL_DATA_DIRECTORY`.
    var environmentName: String {
        var result = "SATCHEL_"
        for character in name {
            if character.isUppercase { result.append("_") }
            result.append(contentsOf: character.uppercased())
        }
        return result
    }

    func parseEnvironment(_ raw: String) -> JSONValue {
        switch kind {
        case .string:
            return .string(raw)
        case .integer:
            return Int64(raw.trimmingCharacters(in: .whitespaces)).map { .number(Double($0)) } ?? .string(raw)
        case .stringList:
            let items = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return .array(items.filter { !$0.isEmpty }.map(JSONValue.string))
        }
    }

    func apply(_ json: JSONValue, source: String, sourceZh: String, _ configuration: inout Configuration) throws {
        let value: Value
        switch (kind, json) {
        case (.string, .string(let text)):
            value = .string(text)
        case (.integer, .number(let number)) where number == number.rounded() && abs(number) < 9.0e15:
            value = .integer(Int64(number))
        case (.stringList, .array(let items)):
            var strings: [String] = []
            for item in items {
                guard case .string(let text) = item else { throw typeError(item, source, sourceZh) }
                strings.append(text)
            }
            value = .stringList(strings)
        default:
            throw typeError(json, source, sourceZh)
        }
        if let expected = check(value) {
            throw ConfigError(
                code: .invalidValue,
                message: LocalizedText(
                    zh: "\(sourceZh) 中 \"\(name)\" 的值无效：应为\(expected.zh)。",
                    en: "Invalid value for \"\(name)\" in \(source): expected \(expected.en)."
                )
            )
        }
        assign(value, &configuration)
    }

    private func typeError(_ json: JSONValue, _ source: String, _ sourceZh: String) -> ConfigError {
        ConfigError(
            code: .wrongType,
            message: LocalizedText(
                zh: "\(sourceZh) 中 \"\(name)\" 的类型错误：应为\(kind.nameZh)，实际是 \(json.typeName)。",
                en: "Wrong type for \"\(name)\" in \(source): expected \(kind.name), found \(json.typeName)."
            )
        )
    }

    /// Every key the config file accepts, in the order the documentation lists them.
    static let all: [ConfigurationKey] = [
        ConfigurationKey(
            name: "dataDirectory", kind: .string,
            check: { $0.string.isEmpty ? ("a non-empty directory path", "非空的目录路径") : nil },
            assign: { $1.dataDirectory = $0.string }
        ),
        ConfigurationKey(
            name: "listenHost", kind: .string,
            check: { $0.string.isEmpty ? ("an IP address or host name such as 0.0.0.0", "IP 地址或主机名，例如 0.0.0.0") : nil },
            assign: { $1.listenHost = $0.string }
        ),
        ConfigurationKey(
            name: "port", kind: .integer,
            check: { (1...65535).contains($0.integer) ? nil : ("a TCP port from 1 to 65535", "1 到 65535 之间的端口号") },
            assign: { $1.port = Int($0.integer) }
        ),
        ConfigurationKey(
            name: "logLevel", kind: .string,
            check: {
                Configuration.logLevels.contains($0.string)
                    ? nil
                    : (
                        "one of " + Configuration.logLevels.joined(separator: ", "),
                        "以下之一：" + Configuration.logLevels.joined(separator: ", ")
                    )
            },
            assign: { $1.logLevel = $0.string }
        ),
        ConfigurationKey(
            name: "language", kind: .string,
            check: { Language(tag: $0.string) == nil ? ("\"zh-CN\" or \"en\"", "\"zh-CN\" 或 \"en\"") : nil },
            assign: { $1.language = Language(tag: $0.string) ?? .chinese }
        ),
        ConfigurationKey(
            name: "trustedKeys", kind: .stringList,
            check: { value in
                let valid = value.stringList.allSatisfy { Data(base64Encoded: $0)?.count == 32 }
                return valid
                    ? nil
                    : ("base64 Ed25519 public keys (the contents of a .pub file)", "base64 编码的 Ed25519 公钥（.pub 文件的内容）")
            },
            assign: { $1.trustedKeys = $0.stringList }
        ),
        ConfigurationKey(
            name: "releaseKeys", kind: .stringList,
            check: { value in
                value.stringList.allSatisfy { Data(base64Encoded: $0)?.count == 32 }
                    ? nil
                    : ("base64 Ed25519 public keys (the contents of a .pub file)", "base64 编码的 Ed25519 公钥（.pub 文件的内容）")
            },
            assign: { $1.releaseKeys = $0.stringList }
        ),
        ConfigurationKey(
            name: "diskReserveBytes", kind: .integer,
            check: { $0.integer >= 0 ? nil : ("a number of bytes, 0 or more", "大于等于 0 的字节数") },
            assign: { $1.diskReserveBytes = $0.integer }
        ),
        ConfigurationKey(
            name: "storeQuotaBytes", kind: .integer,
            check: { $0.integer >= 0 ? nil : ("a number of bytes, 0 for no quota", "字节数，0 表示不限") },
            assign: { $1.storeQuotaBytes = $0.integer }
        ),
        ConfigurationKey(
            name: "maxBundleBytes", kind: .integer,
            check: { $0.integer > 0 ? nil : ("a number of bytes above 0", "大于 0 的字节数") },
            assign: { $1.maxBundleBytes = $0.integer }
        ),
        ConfigurationKey(
            name: "platformURL", kind: .string,
            check: { value in
                let text = value.string
                if text.isEmpty || text.hasPrefix("http://") || text.hasPrefix("https://") { return nil }
                return ("an http:// or https:// URL, or an empty string", "http:// 或 https:// 开头的网址，或空字符串")
            },
            assign: { $1.platformURL = $0.string }
        ),
        ConfigurationKey(
            name: "schoolCode", kind: .string,
            check: { $0.string.count > 64 ? ("a school code of at most 64 characters", "不超过 64 个字符的学校代码") : nil },
            assign: { $1.schoolCode = $0.string }
        ),
    ]

    /// The keys added for sync (issue 6) and bounded records (issue 5).
    static let syncKeys: [ConfigurationKey] = [
        ConfigurationKey(
            name: "syncIntervalSeconds", kind: .integer,
            check: { (30...86_400).contains($0.integer) ? nil : ("30 to 86400 seconds", "30 到 86400 秒") },
            assign: { $1.syncIntervalSeconds = Int($0.integer) }),
        ConfigurationKey(
            name: "subscriptions", kind: .stringList,
            check: { value in
                value.stringList.allSatisfy { !$0.isEmpty && $0.count <= 100 }
                    ? nil : ("bundle ids or stage=…/subject=… filters", "资源包编号或 stage=…/subject=… 筛选条件")
            },
            assign: { $1.subscriptions = $0.stringList }),
        ConfigurationKey(
            name: "peers", kind: .stringList,
            check: { value in
                value.stringList.allSatisfy { $0.hasPrefix("http://") || $0.hasPrefix("https://") }
                    ? nil : ("http:// or https:// URLs of other nodes", "其他节点的 http:// 或 https:// 地址")
            },
            assign: { $1.peers = $0.stringList }),
        ConfigurationKey(name: "syncProxy", kind: .string, check: { _ in nil }, assign: { $1.syncProxy = $0.string }),
        ConfigurationKey(
            name: "syncCABundle", kind: .string, check: { _ in nil }, assign: { $1.syncCABundle = $0.string }),
        ConfigurationKey(
            name: "syncSchoolHours", kind: .string,
            check: {
                SchoolHours(text: $0.string) == nil
                    ? ("HH:MM-HH:MM such as 08:00-17:00", "HH:MM-HH:MM，例如 08:00-17:00") : nil
            },
            assign: { $1.syncSchoolHours = $0.string }),
        ConfigurationKey(
            name: "syncSchoolHoursKbps", kind: .integer,
            check: { $0.integer >= 0 ? nil : ("kbit/s, 0 for no cap", "kbit/s，0 表示不限") },
            assign: { $1.syncSchoolHoursKbps = Int($0.integer) }),
        ConfigurationKey(
            name: "syncOtherKbps", kind: .integer,
            check: { $0.integer >= 0 ? nil : ("kbit/s, 0 for no cap", "kbit/s，0 表示不限") },
            assign: { $1.syncOtherKbps = Int($0.integer) }),
        ConfigurationKey(
            name: "eventRetentionDays", kind: .integer,
            check: { (1...3650).contains($0.integer) ? nil : ("1 to 3650 days", "1 到 3650 天") },
            assign: { $1.eventRetentionDays = Int($0.integer) }),
        ConfigurationKey(
            name: "maxPendingUsageEvents", kind: .integer,
            check: { $0.integer >= 1000 ? nil : ("at least 1000 events", "至少 1000 条") },
            assign: { $1.maxPendingUsageEvents = Int($0.integer) }),
        ConfigurationKey(
            name: "maxConnections", kind: .integer,
            check: { (1...65535).contains($0.integer) ? nil : ("1 to 65535 connections", "1 到 65535 个连接") },
            assign: { $1.maxConnections = Int($0.integer) }),
        ConfigurationKey(
            name: "maxConnectionsPerAddress", kind: .integer,
            check: { (1...65535).contains($0.integer) ? nil : ("1 to 65535 connections", "1 到 65535 个连接") },
            assign: { $1.maxConnectionsPerAddress = Int($0.integer) }),
        ConfigurationKey(
            name: "idleTimeoutSeconds", kind: .integer,
            check: { (1...3600).contains($0.integer) ? nil : ("1 to 3600 seconds", "1 到 3600 秒") },
            assign: { $1.idleTimeoutSeconds = Int($0.integer) }),
        ConfigurationKey(
            name: "minimumBodyBytesPerSecond", kind: .integer,
            check: { $0.integer >= 0 ? nil : ("0 (off) or more bytes a second", "0（不检查）或更多字节每秒") },
            assign: { $1.minimumBodyBytesPerSecond = Int($0.integer) }),
        ConfigurationKey(
            name: "usageWriteDelaySeconds", kind: .integer,
            check: { (0...600).contains($0.integer) ? nil : ("0 to 600 seconds", "0 到 600 秒") },
            assign: { $1.usageWriteDelaySeconds = Int($0.integer) }),
        ConfigurationKey(
            name: "compactionIntervalMinutes", kind: .integer,
            check: { (1...1440).contains($0.integer) ? nil : ("1 to 1440 minutes", "1 到 1440 分钟") },
            assign: { $1.compactionIntervalMinutes = Int($0.integer) }),
    ]

    /// The keys by name.
    static let named: [String: ConfigurationKey] = Dictionary(
        uniqueKeysWithValues: (all + syncKeys).map { ($0.name, $0) })
}
