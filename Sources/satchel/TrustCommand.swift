import ArgumentParser
import Foundation
import SatchelBundles
import SatchelCore
import SatchelStore

/// `satchel trust`: manages the publisher keys whose bundles this node accepts.
struct TrustCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "管理受信任的发布者公钥 · Manage trusted publisher keys",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "信任公钥 · Trust a publisher key (.pub file)")
        @OptionGroup var options: NodeOptions
        @Argument(help: "公钥文件 · Public key file") var keyFile: String
        @Flag(
            name: .long,
            help:
                "作为发布密钥（签发 Satchel 软件更新），写入配置文件，需要 root · As a release key (signs Satchel releases), written to the config file, as root"
        )
        var release = false

        func run() async throws {
            try await Console.run {
                if release {
                    try addReleaseKey()
                    return
                }
                let (_, node, _) = try options.openNode()
                let key = try PublisherKey(contentsOf: keyFile)
                let added = try node.database.trust(
                    TrustedKeyRecord(
                        keyId: key.id, publicKey: key.base64, label: (keyFile as NSString).lastPathComponent,
                        addedAt: Date()
                    ))
                Console.say(
                    added
                        ? LocalizedText(zh: "已信任公钥 \(key.id)。", en: "Now trusting key \(key.id).")
                        : LocalizedText(
                            zh: "公钥 \(key.id) 已受信任，未做更改。", en: "Key \(key.id) was already trusted; nothing changed."))
            }
        }

        private func addReleaseKey() throws {
            let key = try PublisherKey(contentsOf: keyFile)
            let configuration = try options.loadConfiguration()
            guard let path = options.configFilePath() ?? (getuid() == 0 ? ConfigurationLoader.systemConfigPath : nil),
                access((path as NSString).deletingLastPathComponent, W_OK) == 0
            else {
                throw ConfigError(
                    code: .fileUnwritable,
                    message: LocalizedText(
                        zh: "发布密钥写在配置文件里，需要 root：sudo satchel trust add --release \(keyFile)",
                        en:
                            "Release keys are written to the config file, which needs root: sudo satchel trust add --release \(keyFile)"
                    ))
            }
            let added = try TrustCommand.addReleaseKeyText(key, configPath: path, existing: configuration.releaseKeys)
            Console.say(
                added
                    ? LocalizedText(
                        zh: "已把发布密钥 \(key.id) 写入 \(path)。请重启服务：sudo systemctl restart satchel",
                        en:
                            "Release key \(key.id) written to \(path). Restart the service: sudo systemctl restart satchel"
                    )
                    : LocalizedText(
                        zh: "发布密钥 \(key.id) 已受信任，未做更改。",
                        en: "Release key \(key.id) was already trusted; nothing changed."))
        }
    }

    /// Release keys live in the config file, which is root's: the installer, which runs as root, trusts only
    /// what root wrote, never what the service stored.
    static func addReleaseKeyText(_ key: PublisherKey, configPath: String, existing: [String]) throws -> Bool {
        guard !existing.contains(key.base64) else { return false }
        try ConfigFileWriter.update(
            path: configPath, values: ["releaseKeys": .array((existing + [key.base64]).map { .string($0) })])
        return true
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "列出受信任的公钥 · List trusted keys")
        @OptionGroup var options: NodeOptions

        func run() async throws {
            try await Console.run {
                let (configuration, node, _) = try options.openNode()
                for text in configuration.trustedKeys {
                    let key = try PublisherKey(base64: text)
                    Console.out("\(key.id)  \(key.base64)  (config)")
                }
                for text in configuration.releaseKeys {
                    let key = try PublisherKey(base64: text)
                    Console.out("\(key.id)  \(key.base64)  (config, release)")
                }
                for record in try node.database.trustedKeys() {
                    let purpose = record.purpose == .release ? " (release, not yet in the config file)" : ""
                    Console.out("\(record.keyId)  \(record.publicKey)  \(record.label)\(purpose)")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "取消信任 · Stop trusting a key (.pub file or key id)")
        @OptionGroup var options: NodeOptions
        @Argument(help: "公钥文件或公钥编号 · Public key file or key id") var key: String

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                let id = FileManager.default.fileExists(atPath: key) ? try PublisherKey(contentsOf: key).id : key
                guard try node.database.distrust(keyId: id) else {
                    throw StoreError(
                        code: .notFound,
                        message: LocalizedText(
                            zh: "公钥 \(id) 不在信任列表中（配置文件中的 trustedKeys 需在配置文件里删除）。",
                            en:
                                "Key \(id) is not in the trusted list (keys in the config's trustedKeys are removed there)."
                        ))
                }
                Console.say(LocalizedText(zh: "已取消信任公钥 \(id)。", en: "No longer trusting key \(id)."))
            }
        }
    }
}
