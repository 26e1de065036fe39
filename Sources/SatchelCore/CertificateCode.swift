import Foundation

/// The text form of a signed ``CertificateStatement``: the statement's canonical bytes followed by the 64-byte Ed25519
/// signature, in Crockford base32 (digits and capital letters without I, L, O and U), in groups of five.
///
/// Reading is forgiving where a person copying by hand slips (lower case, `O` for `0`, `I` or `L` for `1`, spaces,
/// hyphens and line breaks anywhere) and strict everywhere else: any other character, a length no byte string has, or
/// unused bits that are not zero make the text malformed, so a code has one meaning and a changed character changes
/// the bytes.
public enum CertificateCode {
    /// The bytes of an Ed25519 signature.
    public static let signatureBytes = 64
    /// The longest text read, separators included; longer text is refused before it is decoded.
    public static let maxTextLength = 2048
    /// The prefix of the signed message, so that a certificate's signature can never be read as anything else the
    /// node signs.
    public static let signaturePrefix = Data("SATCHEL-CERT-1\n".utf8)

    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// The bytes a node signs for a statement whose canonical bytes are `payload`.
    public static func signedMessage(payload: Data) -> Data {
        signaturePrefix + payload
    }

    /// The code for `payload` and its `signature`, grouped in fives with spaces.
    public static func text(payload: Data, signature: Data) -> String {
        let plain = base32(payload + signature)
        var grouped = ""
        grouped.reserveCapacity(plain.count + plain.count / 5)
        for (index, character) in plain.enumerated() {
            if index > 0 && index % 5 == 0 { grouped.append(" ") }
            grouped.append(character)
        }
        return grouped
    }

    /// The code without separators, for a URL.
    public static func compact(_ text: String) -> String {
        String(text.filter { !separators.contains($0) })
    }

    /// Splits a code into the statement's bytes and the signature, refusing anything that is not a code.
    public static func parse(_ text: String) throws -> (payload: Data, signature: Data) {
        guard text.count <= maxTextLength else {
            throw CertificateError.malformed("it is longer than \(maxTextLength) characters")
        }
        var values: [UInt8] = []
        for (position, character) in text.enumerated() where !separators.contains(character) {
            guard let value = value(of: character) else {
                throw CertificateError.malformed("character \(position + 1) is not part of the code's alphabet")
            }
            values.append(value)
        }
        guard let bytes = decode(values) else {
            throw CertificateError.malformed("its length or last character is wrong; a character may be missing")
        }
        guard bytes.count > signatureBytes + 1 else { throw CertificateError.malformed("it is too short") }
        return (Data(bytes.dropLast(signatureBytes)), Data(bytes.suffix(signatureBytes)))
    }

    private static let separators: Set<Character> = [" ", "-", "\n", "\r", "\t"]

    private static func value(of character: Character) -> UInt8? {
        guard let ascii = character.asciiValue else { return nil }
        let upper = (97...122).contains(ascii) ? ascii - 32 : ascii
        switch upper {
        case UInt8(ascii: "O"): return 0
        case UInt8(ascii: "I"), UInt8(ascii: "L"): return 1
        default: return alphabet.firstIndex(of: upper).map(UInt8.init)
        }
    }

    private static func base32(_ data: Data) -> String {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in data {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int(buffer >> UInt32(bits - 5) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int(buffer << UInt32(5 - bits) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of 5-bit values, or nil when the count fits no byte string or the unused last bits are not zero.
    private static func decode(_ values: [UInt8]) -> [UInt8]? {
        let spare = values.count * 5 % 8
        guard spare < 5 else { return nil }
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for value in values {
            buffer = (buffer << 5 | UInt32(value)) & 0xFFFF
            bits += 5
            if bits >= 8 {
                output.append(UInt8(buffer >> UInt32(bits - 8) & 0xFF))
                bits -= 8
            }
        }
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return output
    }
}
