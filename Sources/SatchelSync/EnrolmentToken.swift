import Crypto
import Foundation
import SatchelCore

/// The text a technician gets from `satchel-platform token create`: `<secret>.<fingerprint>`. The secret is the
/// one-time token the platform checks; the fingerprint names the platform's own signing key, so the node can tell the
/// platform's signed enrolment answer from one made by anyone between them, even over plain `http://`.
public struct EnrolmentToken: Sendable, Equatable {
    /// The one-time secret sent to the platform.
    public let secret: String
    /// The fingerprint of the platform's signing key (see ``fingerprint(of:)``).
    public let fingerprint: String

    /// A token from its parts.
    public init(secret: String, fingerprint: String) {
        self.secret = secret
        self.fingerprint = fingerprint
    }

    /// Parses the token text; the old form without a fingerprint is refused with a message saying what to ask for.
    public init(text: String) throws {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count == 43,
            Data(base64URL: String(parts[1]))?.count == 32
        else {
            throw SyncError(
                code: .badToken,
                message: LocalizedText(
                    zh: "注册令牌格式不对：应为“密码.平台指纹”（由新版 satchel-platform token create 生成）。"
                        + "旧格式的令牌不含平台公钥指纹，无法防止冒充平台，请向平台索取新令牌。",
                    en: "The enrolment token has the wrong form: expected SECRET.FINGERPRINT, as made by "
                        + "satchel-platform token create. An old token without the platform key's fingerprint cannot "
                        + "protect enrolment from an impostor; ask the platform for a new token."))
        }
        self.init(secret: String(parts[0]), fingerprint: String(parts[1]))
    }

    /// The token text, `<secret>.<fingerprint>`.
    public var text: String { secret + "." + fingerprint }

    /// The fingerprint of an Ed25519 public key: URL-safe base64, without padding, of the SHA-256 of its 32 raw
    /// bytes (43 characters).
    public static func fingerprint(of publicKey: Data) -> String {
        Data(SHA256.hash(data: publicKey)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

extension Data {
    /// Decodes URL-safe base64 with or without padding.
    fileprivate init?(base64URL text: String) {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        self.init(base64Encoded: standard)
    }
}
