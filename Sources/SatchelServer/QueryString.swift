/// Parses a raw URL query the way HTML forms encode it: `+` is a space and `%XX` a byte, so "李白 poem" typed in the
/// search box and "a+b" sent as `a%2Bb` both come back as typed.
struct QueryString {
    private var values: [String: String] = [:]

    /// Parses `query` (the part after `?`, without it). Malformed escapes make a value empty rather than fail.
    init(_ query: String?) {
        guard let query else { return }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first.flatMap({ Self.decode($0) }), values[name] == nil else { continue }
            values[name] = parts.count > 1 ? (Self.decode(parts[1]) ?? "") : ""
        }
    }

    /// The first value of `name`, or nil.
    subscript(_ name: String) -> String? { values[name] }

    private static func decode(_ text: Substring) -> String? {
        ContentPath.percentDecode(Substring(text.replacingOccurrences(of: "+", with: " ")))
    }
}
