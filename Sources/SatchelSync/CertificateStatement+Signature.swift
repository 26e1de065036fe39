import Crypto
import Foundation
import SatchelCore

/// Signing a certificate statement with a node's key, and checking a code against the key the platform registered.
extension CertificateStatement {
    /// What the platform knows of an enrolled node: its public key (base64 of the 32 raw bytes) and its school.
    public struct EnrolledNode: Sendable, Equatable {
        /// The node's Ed25519 public key, base64.
        public var publicKey: String
        /// The school code the node was enrolled for.
        public var schoolCode: String

        /// Creates the record.
        public init(publicKey: String, schoolCode: String) {
            self.publicKey = publicKey
            self.schoolCode = schoolCode
        }
    }

    /// The verification code: the canonical bytes and their Ed25519 signature by `key`, as ``CertificateCode`` text.
    /// The same statement and key always give the same code.
    public func code(signedWith key: Curve25519.Signing.PrivateKey) throws -> String {
        let payload = try encoded()
        let signature = try key.signature(for: CertificateCode.signedMessage(payload: payload))
        return CertificateCode.text(payload: payload, signature: signature)
    }

    /// The statement a code holds, once its signature is checked with the key of the node it names (looked up with
    /// `node`) and the school matches the node's enrolment; throws a ``CertificateError`` saying why otherwise.
    public static func verified(
        code: String, node: (String) throws -> EnrolledNode?
    ) throws -> CertificateStatement {
        let (payload, signature) = try CertificateCode.parse(code)
        let statement = try CertificateStatement(encoded: payload)
        guard let enrolled = try node(statement.nodeId), let keyBytes = Data(base64Encoded: enrolled.publicKey),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)
        else {
            throw CertificateError(
                code: .unknownNode,
                message: LocalizedText(
                    zh: "签发该证书的节点 \(statement.nodeId) 未在平台注册，无法核验。",
                    en: "The node \(statement.nodeId) that signed the code is not enrolled with this platform."))
        }
        guard key.isValidSignature(signature, for: CertificateCode.signedMessage(payload: payload)) else {
            throw CertificateError(
                code: .badSignature,
                message: LocalizedText(
                    zh: "验证码与签名不符：内容被改动、输入有误，或不是该节点签发的。",
                    en: "The code does not match its signature: it was changed or mistyped, or not signed by "
                        + "the node it names."))
        }
        guard enrolled.schoolCode == statement.schoolCode else {
            throw CertificateError(
                code: .wrongSchool,
                message: LocalizedText(
                    zh: "证书上的学校与签发节点注册的学校不一致。",
                    en: "The school on the certificate is not the school the signing node is enrolled for."))
        }
        return statement
    }
}
