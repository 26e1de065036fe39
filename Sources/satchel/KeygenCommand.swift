import ArgumentParser
import Foundation
import SatchelBundles
import SatchelCore

/// `satchel keygen`: makes a publisher's Ed25519 key pair.
struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "生成发布者签名密钥 · Make a publisher signing key (KEY and KEY.pub)"
    )

    @Option(name: .long, help: "私钥文件路径（公钥写到 .pub）· Private key path; the public key goes to PATH.pub")
    var output: String

    func run() async throws {
        try await Console.run {
            let key = SigningKey()
            try key.write(to: output)
            Console.say(
                LocalizedText(
                    zh: "已生成私钥 \(output)（权限 0600，请妥善保管）和公钥 \(output).pub，公钥编号 \(key.publicKey.id)。",
                    en:
                        "Wrote the private key \(output) (mode 0600; keep it safe) and the public key \(output).pub, key id \(key.publicKey.id)."
                ))
        }
    }
}
