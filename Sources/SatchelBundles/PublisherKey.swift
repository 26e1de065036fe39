import Crypto
import Foundation
import SatchelCore

/// A publisher's Ed25519 public key, which a node trusts to sign bundles.
public struct PublisherKey: Sendable, Hashable {
    /// The 32-byte public key.
    public let rawRepresentation: Data

    /// Parses the base64 text of a `.pub` file or a `trustedKeys` config entry.
    public init(base64 text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed), data.count == 32,
            (try? Curve25519.Signing.PublicKey(rawRepresentation: data)) != nil
        else {
            throw BundleError(
                code: .badKey,
                message: LocalizedText(
                    zh: "公钥格式错误：应为 32 字节 Ed25519 公钥的 base64 编码（satchel keygen 生成的 .pub 文件内容）。",
                    en:
                        "Malformed public key: expected the base64 of a 32-byte Ed25519 public key (a .pub file made by satchel keygen)."
                )
            )
        }
        self.rawRepresentation = data
    }

    /// Reads a `.pub` file.
    public init(contentsOf path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BundleError(
                code: .badKey,
                message: LocalizedText(zh: "无法读取公钥文件 \(path)。", en: "Cannot read the public key file \(path).")
            )
        }
        do {
            try self.init(base64: text)
        } catch {
            throw BundleError(
                code: .badKey,
                message: LocalizedText(
                    zh: "公钥文件 \(path) 格式错误：应为 satchel keygen 生成的 .pub 文件。",
                    en: "The public key file \(path) is malformed: expected a .pub file made by satchel keygen."
                )
            )
        }
    }

    init(raw: Data) {
        self.rawRepresentation = raw
    }

    /// The base64 text, as written in `.pub` files and config.
    public var base64: String { rawRepresentation.base64EncodedString() }

    /// The key's id: the first 16 hex digits of the SHA-256 of the raw key. Manifests name their signer by it.
    public var id: String { String(ContentHasher.hash(rawRepresentation).prefix(16)) }

    /// Whether `signature` is this key's Ed25519 signature over `message`.
    public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

/// A publisher's Ed25519 private key, used by `satchel pack` to sign manifests.
public struct SigningKey: Sendable {
    private let seed: Data
    private var key: Curve25519.Signing.PrivateKey {
        // The seed was validated when the key was made or read.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// Makes a new random key.
    public init() {
        seed = Curve25519.Signing.PrivateKey().rawRepresentation
    }

    /// Reads a private key file written by ``write(to:)``.
    public init(contentsOf path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BundleError(
                code: .badKey,
                message: LocalizedText(
                    zh: "无法读取私钥文件 \(path)。请用 satchel keygen --output \(path) 生成。",
                    en: "Cannot read the private key file \(path). Make one with satchel keygen --output \(path)."
                )
            )
        }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard lines.count == 2, lines[0] == Self.header, let seed = Data(base64Encoded: lines[1]), seed.count == 32,
            (try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)) != nil
        else {
            throw BundleError(
                code: .badKey,
                message: LocalizedText(
                    zh: "私钥文件 \(path) 格式错误：应为 satchel keygen 生成的私钥。",
                    en: "The private key file \(path) is malformed: expected a private key made by satchel keygen."
                )
            )
        }
        self.seed = seed
    }

    private static let header = "satchel-ed25519-private-key-v1"

    /// The matching public key.
    public var publicKey: PublisherKey { PublisherKey(raw: key.publicKey.rawRepresentation) }

    /// Signs `message`. Ed25519 signatures are deterministic: the same key and message give the same bytes.
    public func signature(for message: Data) throws -> Data {
        try key.signature(for: message)
    }

    /// Writes the private key to `path` with mode 0600 and the public key to `path.pub`, refusing to overwrite.
    public func write(to path: String) throws {
        let fileManager = FileManager.default
        for target in [path, path + ".pub"] where fileManager.fileExists(atPath: target) {
            throw BundleError(
                code: .badInput,
                message: LocalizedText(
                    zh: "\(target) 已存在，不会覆盖。请换一个 --output 路径，或先删除旧文件。",
                    en:
                        "\(target) already exists and is not overwritten. Choose another --output or remove the old file."
                )
            )
        }
        let privateText = Self.header + "\n" + key.rawRepresentation.base64EncodedString() + "\n"
        guard
            fileManager.createFile(
                atPath: path, contents: Data(privateText.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw BundleError(code: .io, message: LocalizedText(zh: "无法写入 \(path)。", en: "Cannot write \(path)."))
        }
        let publicText = publicKey.base64 + "\n"
        guard
            fileManager.createFile(
                atPath: path + ".pub", contents: Data(publicText.utf8), attributes: [.posixPermissions: 0o644])
        else {
            throw BundleError(
                code: .io, message: LocalizedText(zh: "无法写入 \(path).pub。", en: "Cannot write \(path).pub."))
        }
    }
}
