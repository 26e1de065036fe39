/// A `Range: bytes=...` request header, interpreted as RFC 9110 section 14 says.
public enum ByteRange: Equatable, Sendable {
    /// Send the whole representation with 200: no Range header, a syntax Satchel ignores, or several ranges (which
    /// RFC 9110 allows a server to answer with the full body).
    case full
    /// Send bytes `lower...upper` with 206.
    case partial(ClosedRange<Int64>)
    /// Answer 416 with `Content-Range: bytes */length`.
    case unsatisfiable

    /// Interprets `header` for a representation of `length` bytes.
    public init(header: String?, length: Int64) {
        guard let header else {
            self = .full
            return
        }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else {
            self = .full
            return
        }
        let specs = trimmed.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var parsed: [ClosedRange<Int64>?] = []
        for spec in specs {
            guard let dash = spec.firstIndex(of: "-") else {
                self = .full
                return
            }
            let first = spec[..<dash]
            let last = spec[spec.index(after: dash)...]
            guard first.allSatisfy(\.isASCIIDigit), last.allSatisfy(\.isASCIIDigit), !(first.isEmpty && last.isEmpty)
            else {
                self = .full
                return
            }
            if first.isEmpty {
                // A suffix range: the last N bytes.
                guard let suffix = Int64(last) else {
                    parsed.append(length > 0 ? 0...(length - 1) : nil)
                    continue
                }
                parsed.append(suffix == 0 || length == 0 ? nil : max(0, length - suffix)...(length - 1))
            } else {
                guard let start = Int64(first) else {
                    parsed.append(nil)
                    continue
                }
                let end = last.isEmpty ? length - 1 : min(Int64(last) ?? Int64.max, length - 1)
                if !last.isEmpty, let lastValue = Int64(last), lastValue < start {
                    // first-pos greater than last-pos makes the header invalid: ignore it.
                    self = .full
                    return
                }
                parsed.append(start < length ? start...end : nil)
            }
        }
        let satisfiable = parsed.compactMap { $0 }
        if satisfiable.isEmpty {
            self = .unsatisfiable
        } else if parsed.count > 1 {
            self = .full
        } else {
            self = .partial(satisfiable[0])
        }
    }
}

extension Character {
    /// Whether this is 0 to 9.
    public var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
