import Crypto
import Foundation

/// How a node proves who it is: every request carries its node id, the time, and an Ed25519 signature over the
/// method, path, time and the SHA-256 of the body. The platform checks the signature with the public key registered
/// at enrolment and refuses times more than ``maxSkew`` away from its own clock.
public enum RequestSignature {
    public static let nodeHeader = "X-Satchel-Node"
    public static let timeHeader = "X-Satchel-Time"
    public static let signatureHeader = "X-Satchel-Signature"
    /// On a refusal for clock skew (401, error code ``skewErrorCode``), the platform's time in seconds since 1970,
    /// so that the node can correct its clock and sign again.
    public static let platformTimeHeader = "X-Satchel-Platform-Time"
    /// The error code of a refusal for clock skew alone.
    public static let skewErrorCode = "clock_skew"
    /// The largest clock difference accepted, in seconds.
    public static let maxSkew: TimeInterval = 24 * 3600

    /// The bytes that are signed.
    public static func message(method: String, path: String, time: Int64, body: Data) -> Data {
        message(method: method, path: path, time: time, bodySHA256: SHA256.hash(data: body))
    }

    /// The bytes that are signed, for a body hashed as it arrived.
    public static func message(method: String, path: String, time: Int64, bodySHA256: SHA256.Digest) -> Data {
        let digest = bodySHA256.map { String(format: "%02x", $0) }.joined()
        return Data("SATCHEL-SYNC-1\n\(method)\n\(path)\n\(time)\n\(digest)".utf8)
    }

    /// The headers for a request signed with `key`.
    public static func headers(
        nodeId: String, key: Curve25519.Signing.PrivateKey, method: String, path: String,
        body: Data, now: Date = Date()
    ) throws -> [String: String] {
        let time = Int64(now.timeIntervalSince1970)
        let signature = try key.signature(for: message(method: method, path: path, time: time, body: body))
        return [nodeHeader: nodeId, timeHeader: String(time), signatureHeader: signature.base64EncodedString()]
    }

    /// Whether the headers carry a valid, fresh signature by `publicKey` (base64) over a body whose SHA-256 is
    /// `bodySHA256`.
    public static func verify(
        headers: [String: String], publicKey: String, method: String, path: String, bodySHA256: SHA256.Digest,
        now: Date = Date()
    ) -> Bool {
        guard isFresh(headers: headers, now: now), let time = headers[timeHeader].flatMap({ Int64($0) }),
            let signatureText = headers[signatureHeader], let signature = Data(base64Encoded: signatureText),
            let keyData = Data(base64Encoded: publicKey),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyData)
        else { return false }
        return key.isValidSignature(
            signature, for: message(method: method, path: path, time: time, bodySHA256: bodySHA256))
    }

    /// Whether the headers carry a time within ``maxSkew`` of `now` and a signature at all: the check a server can
    /// make before it reads a body.
    public static func isFresh(headers: [String: String], now: Date = Date()) -> Bool {
        guard let timeText = headers[timeHeader], let time = Int64(timeText), headers[signatureHeader] != nil else {
            return false
        }
        return abs(now.timeIntervalSince1970 - Double(time)) <= maxSkew
    }
}
