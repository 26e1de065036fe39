/// Decodes the path of a `/content/{bundleId}/{path}` request strictly: any percent-escape that is malformed, that
/// decodes to invalid (including overlong) UTF-8, to a NUL, a backslash or a control character, or any `.`/`..`
/// segment, is refused rather than cleaned up.
enum ContentPath {
    /// The bundle id and the path inside the bundle, or nil when the request path is unsafe.
    static func parse(_ rawPath: String) -> (bundleId: String, path: String)? {
        let prefix = "/content/"
        guard rawPath.hasPrefix(prefix) else { return nil }
        let rest = rawPath.dropFirst(prefix.count)
        var segments: [String] = []
        for rawSegment in rest.split(separator: "/", omittingEmptySubsequences: false) {
            guard let segment = percentDecode(rawSegment) else { return nil }
            segments.append(segment)
        }
        guard segments.count >= 1, let bundleId = segments.first, !bundleId.isEmpty else { return nil }
        var pathSegments = Array(segments.dropFirst())
        // A trailing slash names a folder: serve its index.html.
        if pathSegments.last == "" { pathSegments[pathSegments.count - 1] = "index.html" }
        if pathSegments.isEmpty { return nil }
        for segment in pathSegments {
            // A byte check: `contains("/")` would resolve to Foundation's locale-aware search, a tenth of the route's CPU.
            guard !segment.isEmpty, segment != ".", segment != "..", !segment.utf8.contains(UInt8(ascii: "/")) else {
                return nil
            }
        }
        return (bundleId, pathSegments.joined(separator: "/"))
    }

    /// Percent-decodes one segment, refusing bytes that are not valid UTF-8 and characters that never belong in a
    /// bundle path.
    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { return nil }
        guard !decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) else {
            return nil
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
