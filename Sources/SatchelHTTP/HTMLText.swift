import Foundation

/// Escaping, URL encoding and match highlighting for the server-rendered pages.
public enum HTMLText {
    /// Escapes text for an HTML text node or a quoted attribute.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// The non-empty fields joined by " · ", so that a missing field leaves no empty "· ·" behind.
    public static func fields(_ fields: [String?]) -> String {
        fields.compactMap { $0?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " · ")
    }

    /// The non-empty fields, each escaped in a `<span>` that does not break inside, joined by " · ".
    public static func fieldsHTML(_ fields: [String?]) -> String {
        fields.compactMap { $0?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { "<span>\(escape($0))</span>" }.joined(separator: " · ")
    }

    /// Percent-encodes one URL path segment or query value.
    public static func segment(_ text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~".utf8)
        var result = ""
        for byte in text.utf8 {
            if allowed.contains(byte) {
                result.append(Character(Unicode.Scalar(byte)))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }

    /// Percent-encodes a bundle path, keeping its slashes.
    public static func path(_ text: String) -> String {
        text.split(separator: "/", omittingEmptySubsequences: false).map { segment(String($0)) }.joined(separator: "/")
    }

    /// Escapes `text` and wraps every case-insensitive occurrence of `terms` in `<mark>`.
    public static func highlight(_ text: String, terms: [String]) -> String {
        let terms = terms.filter { !$0.isEmpty }
        guard !terms.isEmpty else { return escape(text) }
        let characters = Array(text)
        let lowered = characters.map { String($0).lowercased() }
        var marked = [Bool](repeating: false, count: characters.count)
        for term in terms {
            let needle = Array(term).map { String($0).lowercased() }
            guard needle.count <= lowered.count else { continue }
            var index = 0
            while index + needle.count <= lowered.count {
                if Array(lowered[index..<(index + needle.count)]) == needle {
                    for offset in 0..<needle.count { marked[index + offset] = true }
                    index += needle.count
                } else {
                    index += 1
                }
            }
        }
        var result = ""
        var open = false
        for (index, character) in characters.enumerated() {
            if marked[index] && !open {
                result += "<mark>"
                open = true
            } else if !marked[index] && open {
                result += "</mark>"
                open = false
            }
            result += escape(String(character))
        }
        if open { result += "</mark>" }
        return result
    }
}
