/// Parses a raw URL query the way HTML forms encode it: `+` is a space and `%XX` a byte, so "李白 poem" typed in the
/// search box and "a+b" sent as `a%2Bb` both come back as typed.
public struct QueryString {
    private var values: [String: String] = [:]

    /// Parses `query` (the part after `?`, without it). Malformed escapes make a value empty rather than fail.
    public init(_ query: String?) {
        guard let query else { return }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first.flatMap({ Self.decode($0) }), values[name] == nil else { continue }
            values[name] = parts.count > 1 ? (Self.decode(parts[1]) ?? "") : ""
        }
    }

    /// The first value of `name`, or nil.
    public subscript(_ name: String) -> String? { values[name] }

    /// Percent-decodes a value leniently: invalid UTF-8 becomes U+FFFD and control characters are dropped, so any
    /// text a user typed still arrives.
    private static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
                let value = UInt8(String(decoding: utf8[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 2
            } else {
                bytes.append(byte)
            }
            index += 1
        }
        let decoded = String(decoding: bytes, as: UTF8.self)
        return String(decoded.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
    }
}
