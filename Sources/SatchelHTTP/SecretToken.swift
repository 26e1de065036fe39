import Crypto
import Foundation

/// The random tokens that open a session or an API (a node's teacher sessions, the platform's operator logins and API
/// tokens), and the SHA-256 the databases keep of them instead: a copy of a database opens nothing.
public enum SecretToken {
    /// 32 random bytes from the system's generator, base64url without padding.
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The SHA-256 of `token`, in lower-case hex: what is stored.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
