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

        func run() async throws {
            try await Console.run {
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
                for record in try node.database.trustedKeys() {
                    Console.out("\(record.keyId)  \(record.publicKey)  \(record.label)")
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
