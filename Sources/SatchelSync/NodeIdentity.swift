import Crypto
import Foundation
import GRDB
import SatchelBundles
import SatchelCore
import SatchelStore

/// The node's identity: an Ed25519 key kept in the data directory (mode 0600) and, once enrolled, the node id the
/// platform gave it. The enrolment state lives in `syncState`.
public struct NodeIdentity: Sendable {
    /// The key file inside the data directory.
    public static let keyFileName = "node.key"

    private let seed: Data
    /// The private key.
    public var key: Curve25519.Signing.PrivateKey {
        // The seed was validated when the identity was made or read.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }
    /// The public key, base64.
    public var publicKey: String { key.publicKey.rawRepresentation.base64EncodedString() }

    /// Loads the identity of `directory`, or nil when it has none.
    public static func load(from directory: DataDirectory) throws -> NodeIdentity? {
        let path = directory.root + "/" + keyFileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let seed = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), seed.count == 32
        else {
            throw SyncError(
                code: .identity,
                message: LocalizedText(
                    zh: "节点密钥文件 \(path) 已损坏。请用 satchel provision --force 重新注册。",
                    en: "The node key file \(path) is damaged. Enrol again with satchel provision --force."))
        }
        return NodeIdentity(seed: seed)
    }

    /// Makes a new identity and writes its key file, replacing an old one only when `force` is true.
    public static func create(in directory: DataDirectory, force: Bool) throws -> NodeIdentity {
        let path = directory.root + "/" + keyFileName
        if FileManager.default.fileExists(atPath: path) && !force {
            throw SyncError(
                code: .identity,
                message: LocalizedText(
                    zh: "本节点已有身份密钥（\(path)）。如确需更换，请加 --force（平台上的旧记录将失效）。",
                    en:
                        "This node already has an identity key (\(path)). Add --force to replace it (the platform's old record stops working)."
                ))
        }
        let identity = NodeIdentity(seed: Curve25519.Signing.PrivateKey().rawRepresentation)
        let temporary = path + ".tmp"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data((identity.seed.base64EncodedString() + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
        else {
            throw SyncError(
                code: .identity,
                message: LocalizedText(
                    zh: "无法写入 \(path)。", en: "Cannot write \(path)."))
        }
        guard rename(temporary, path) == 0 else {
            throw SyncError(code: .identity, message: LocalizedText(zh: "无法写入 \(path)。", en: "Cannot write \(path)."))
        }
        return identity
    }
}

/// The node's enrolment with the platform, kept in `syncState`.
public struct Enrolment: Sendable, Equatable {
    /// The id the platform gave this node; nil while enrolment is pending.
    public var nodeId: String?
    /// The platform's base URL.
    public var platformURL: String
    /// The school code given at provisioning.
    public var schoolCode: String
    /// The one-time token, kept only until enrolment succeeds.
    public var pendingToken: String?

    /// Creates an enrolment record.
    public init(nodeId: String?, platformURL: String, schoolCode: String, pendingToken: String?) {
        self.nodeId = nodeId
        self.platformURL = platformURL
        self.schoolCode = schoolCode
        self.pendingToken = pendingToken
    }

    /// Reads the enrolment from the database, or nil when the node was never provisioned.
    public static func load(_ database: SatchelDatabase) throws -> Enrolment? {
        let values = try database.syncValues(["platformURL", "nodeId", "schoolCode", "enrolToken"])
        guard let url = values["platformURL"] else { return nil }
        return Enrolment(
            nodeId: values["nodeId"], platformURL: url, schoolCode: values["schoolCode"] ?? "",
            pendingToken: values["enrolToken"])
    }

    /// Writes the enrolment to the database.
    public func save(_ database: SatchelDatabase) throws {
        try database.setSyncValues([
            ("nodeId", nodeId), ("platformURL", platformURL), ("schoolCode", schoolCode), ("enrolToken", pendingToken),
        ])
    }
}
