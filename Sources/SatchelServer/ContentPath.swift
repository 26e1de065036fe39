/// Decodes the path of a `/content/{bundleId}/{path}` request strictly: any percent-escape that is malformed, that
/// decodes to invalid (including overlong) UTF-8, to a NUL, a backslash or a control character, or any `.`/`..`
/// segment, is refused rather than cleaned up.
enum ContentPath {
    /// The bundle id and the path inside the bundle, or nil when the request path is unsafe.
    static func parse(_ rawPath: String) -> (bundleId: String, path: String)? {
        if let plain = parsePlain(rawPath) { return plain }
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
            guard !segment.isEmpty, segment != ".", segment != "..", !segment.contains("/") else { return nil }
        }
        return (bundleId, pathSegments.joined(separator: "/"))
    }

    /// The common case in one pass over the bytes: a path of unreserved ASCII characters only, no escapes, no
    /// empty, `.` or `..` segments. Anything else is nil, and ``parse(_:)`` decides it the careful way; for the
    /// paths this accepts, both give the same answer.
    private static func parsePlain(_ rawPath: String) -> (bundleId: String, path: String)? {
        var raw = rawPath
        return raw.withUTF8 { bytes -> (bundleId: String, path: String)? in
            let start = 9  // "/content/"
            guard bytes.count > start, rawPath.hasPrefix("/content/") else { return nil }
            var bundleEnd = -1
            var segmentStart = start
            func isDotSegment(_ from: Int, _ to: Int) -> Bool {
                let length = to - from
                return (length == 1 || length == 2) && bytes[from] == UInt8(ascii: ".")
                    && (length == 1 || bytes[from + 1] == UInt8(ascii: "."))
            }
            for index in start..<bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "/") {
                    guard index > segmentStart, !isDotSegment(segmentStart, index) else { return nil }
                    if bundleEnd < 0 { bundleEnd = index }
                    segmentStart = index + 1
                } else if !isUnreserved(byte) {
                    return nil
                }
            }
            guard bundleEnd > 0, !isDotSegment(segmentStart, bytes.count) else { return nil }
            let bundleId = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<bundleEnd]), as: UTF8.self)
            var path = String(decoding: UnsafeBufferPointer(rebasing: bytes[(bundleEnd + 1)...]), as: UTF8.self)
            // A trailing slash names a folder: serve its index.html.
            if segmentStart == bytes.count { path += "index.html" }
            return (bundleId, path)
        }
    }

    /// RFC 3986 unreserved characters: letters, digits, `-`, `.`, `_` and `~`.
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
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
