import Foundation
import SatchelHTTP

/// Turns a bundle's HTML page into one file that works offline: every file of the same bundle that the page
/// references (`src`, `poster`, a stylesheet's or icon's `href`, `url(...)` in a `<style>`, a `style` attribute or a
/// linked stylesheet) is put inside it as a `data:` URI.
///
/// This is a small scanner, not an HTML parser: it finds tags and their attribute values, and `url(...)` in CSS. It
/// leaves alone what it does not resolve to a bundle file: absolute and external URLs, anchors, `data:` URIs, missing
/// files and paths that climb out of the bundle. Not handled: `srcset`, and `@import` without `url(...)`. The work is
/// bounded: at most ``Limits/maxInlinedBytes`` of files go inside, and at most ``Limits/maxReferences`` references
/// are looked up; what is over either limit points at the node instead (``remoteBase``), and a comment at the top of
/// the file says so.
struct OfflinePage {
    /// A bundle file a reference resolves to.
    struct Asset {
        /// Its size in bytes, known before it is read.
        var size: Int64
        /// Its media type, such as `text/css; charset=utf-8`.
        var mediaType: String
        /// Reads its bytes; nil when it cannot be read.
        var read: () -> [UInt8]?
    }

    /// How much one page may take in.
    struct Limits {
        /// The most bytes of files put inside the page (counted before base64).
        var maxInlinedBytes = 30 << 20
        /// The most references resolved; later ones point at the node.
        var maxReferences = 2000
        /// How deep stylesheets that reference stylesheets are followed.
        var maxStylesheetDepth = 3
    }

    /// The path of the page inside its bundle, such as `lesson/index.html`: its references resolve against its folder.
    let entryPath: String
    /// The node's address of the bundle's files, such as `http://192.168.1.2:8080/content/demo/`, for what stays
    /// outside the page; nil leaves such references as they are.
    let remoteBase: String?
    let limits: Limits
    /// The bundle file at a path, or nil when the bundle has none.
    let lookup: (String) -> Asset?

    /// The bytes of files put inside the page so far.
    private(set) var inlinedBytes = 0
    /// The references resolved so far.
    private(set) var references = 0
    /// The paths of the bundle files left outside the page (too large, or past the reference limit).
    private(set) var leftOutside: [String] = []

    /// A page builder for the page at `entryPath`.
    init(
        entryPath: String, remoteBase: String?, limits: Limits = Limits(), lookup: @escaping (String) -> Asset?
    ) {
        self.entryPath = entryPath
        self.remoteBase = remoteBase
        self.limits = limits
        self.lookup = lookup
    }

    // MARK: - The page

    /// The self-contained page made from `html`, the bytes of the page at ``entryPath``, with a comment at its top
    /// saying where it comes from and which files, if any, it still loads from the node. A page in UTF-8 gets a byte
    /// order mark, so that a phone opening the saved file reads its Chinese right even without `<meta charset>`.
    mutating func build(_ html: [UInt8]) -> [UInt8] {
        var source = html[...]
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        if source.starts(with: bom) { source = source.dropFirst(3) }
        let body = rewriteHTML(source)
        var note = "Saved from Satchel for offline use / 由 Satchel 保存，可离线打开。"
        if !leftOutside.isEmpty {
            note +=
                " \(leftOutside.count) file(s) were too large to include and load from the school node"
                + " (\(remoteBase ?? "")) when the phone is on the school network"
                + " / 有 \(leftOutside.count) 个文件太大未放入，连上学校网络时从学校服务器加载。"
        }
        let isUTF8 = String(validating: source, as: UTF8.self) != nil
        return (isUTF8 ? bom : []) + Array("<!-- \(note) -->\n".utf8) + body
    }

    /// `html` with the references of its tags, its `<style>` elements and `style` attributes rewritten.
    mutating func rewriteHTML(_ html: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(html.count)
        var index = html.startIndex
        while index < html.endIndex {
            guard html[index] == ascii("<") else {
                output.append(html[index])
                index += 1
                continue
            }
            if html[index...].starts(with: Array("<!--".utf8)) {
                let end = Self.find(Array("-->".utf8), in: html, from: index + 4).map { $0 + 3 } ?? html.endIndex
                output += html[index..<end]
                index = end
                continue
            }
            guard let tag = Tag(html, at: index) else {
                output.append(html[index])
                index += 1
                continue
            }
            output += rewriteTag(tag, in: html)
            index = tag.end
            // The text of <style> and <script> is not HTML: it runs to the closing tag.
            guard tag.name == "style" || tag.name == "script" else { continue }
            let close = Self.find(Array("</\(tag.name)".utf8), in: html, from: index, ignoringCase: true)
            let textEnd = close ?? html.endIndex
            if tag.name == "style" {
                output += rewriteCSS(html[index..<textEnd], base: entryPath, depth: 0)
            } else {
                output += html[index..<textEnd]
            }
            index = textEnd
        }
        return output
    }

    /// The bytes of `tag` with the values of its reference attributes replaced.
    private mutating func rewriteTag(_ tag: Tag, in html: ArraySlice<UInt8>) -> [UInt8] {
        let rel = tag.attributes.first { $0.name == "rel" }.map { String(decoding: html[$0.value], as: UTF8.self) }
        let relWords = Set((rel ?? "").lowercased().split(whereSeparator: \.isWhitespace))
        let linksAsset = tag.name == "link" && !relWords.isDisjoint(with: ["stylesheet", "icon"])
        var output: [UInt8] = []
        var copied = tag.start
        for attribute in tag.attributes {
            let value = html[attribute.value]
            let replacement: [UInt8]?
            switch attribute.name {
            case "src", "poster":
                replacement = self.replacement(for: Self.attributeText(value), base: entryPath, depth: 0).map {
                    Array($0.utf8)
                }
            case "href" where linksAsset:
                replacement = self.replacement(for: Self.attributeText(value), base: entryPath, depth: 0).map {
                    Array($0.utf8)
                }
            case "style":
                replacement = rewriteCSS(value, base: entryPath, depth: 0)
            default:
                replacement = nil
            }
            guard let replacement else { continue }
            output += html[copied..<attribute.value.lowerBound]
            output += replacement
            copied = attribute.value.upperBound
        }
        output += html[copied..<tag.end]
        return output
    }

    // MARK: - CSS

    /// `css` (a stylesheet, a `<style>` text or a `style` attribute) with every `url(...)` that names a bundle file
    /// rewritten; `base` is the path of the file it came from.
    mutating func rewriteCSS(_ css: ArraySlice<UInt8>, base: String, depth: Int) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(css.count)
        var index = css.startIndex
        while let found = Self.find(Array("url(".utf8), in: css, from: index, ignoringCase: true) {
            var start = found + 4
            while start < css.endIndex, Self.isSpace(css[start]) { start += 1 }
            var end = start
            var valueEnd: Int
            if start < css.endIndex, css[start] == ascii("\"") || css[start] == ascii("'") {
                let quote = css[start]
                start += 1
                end = css[start...].firstIndex(of: quote) ?? css.endIndex
                valueEnd = end
            } else {
                end = css[start...].firstIndex(of: ascii(")")) ?? css.endIndex
                valueEnd = end
                while valueEnd > start, Self.isSpace(css[valueEnd - 1]) { valueEnd -= 1 }
            }
            output += css[index..<start]
            let reference = String(decoding: css[start..<valueEnd], as: UTF8.self)
            if let replacement = replacement(for: reference, base: base, depth: depth) {
                output += Array(replacement.utf8)
            } else {
                output += css[start..<valueEnd]
            }
            index = valueEnd
        }
        output += css[index...]
        return output
    }

    // MARK: - References

    /// What a reference becomes: a `data:` URI, the node's address of the file when it stays outside, or nil to
    /// leave it as it is (not a bundle file, missing, or escaping the bundle).
    private mutating func replacement(for reference: String, base: String, depth: Int) -> String? {
        guard let (path, fragment) = Self.resolve(reference, against: base) else { return nil }
        references += 1
        guard references <= limits.maxReferences else { return outside(path, fragment: fragment) }
        guard let asset = lookup(path) else { return nil }
        guard Int64(inlinedBytes) + asset.size <= Int64(limits.maxInlinedBytes), var bytes = asset.read() else {
            return outside(path, fragment: fragment)
        }
        if asset.mediaType.hasPrefix("text/css"), depth < limits.maxStylesheetDepth {
            bytes = rewriteCSS(bytes[...], base: path, depth: depth + 1)
            guard inlinedBytes + bytes.count <= limits.maxInlinedBytes else { return outside(path, fragment: fragment) }
        }
        inlinedBytes += bytes.count
        let mediaType = asset.mediaType.filter { !$0.isWhitespace }
        return "data:\(mediaType);base64,\(Data(bytes).base64EncodedString())\(fragment)"
    }

    /// The node's address of a file left outside the page, or nil when there is no address to point at.
    private mutating func outside(_ path: String, fragment: String) -> String? {
        guard let remoteBase else { return nil }
        leftOutside.append(path)
        return remoteBase + HTMLText.path(path) + fragment
    }

    /// The bundle path that `reference` names relative to the file at `base`, and its `#fragment` (empty when none),
    /// or nil when it names no bundle file: empty, an anchor, a URL with a scheme (`http:`, `data:`...), an absolute
    /// or network path, a malformed escape, or `..` beyond the bundle's root. A query is dropped.
    static func resolve(_ reference: String, against base: String) -> (path: String, fragment: String)? {
        let trimmed = reference.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = trimmed.first, first != "#", first != "/", first != "\\", !hasScheme(trimmed) else {
            return nil
        }
        var rest = Substring(trimmed)
        var fragment = ""
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[hash...])
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: "?") { rest = rest[..<question] }
        var segments = base.split(separator: "/", omittingEmptySubsequences: false).dropLast().map(String.init)
        for raw in rest.split(separator: "/", omittingEmptySubsequences: false) {
            guard let segment = ContentPath.percentDecode(raw), !segment.contains("/") else { return nil }
            switch segment {
            case "", ".": continue
            case "..":
                guard !segments.isEmpty else { return nil }
                segments.removeLast()
            default: segments.append(segment)
            }
        }
        guard !segments.isEmpty, !rest.hasSuffix("/") else { return nil }
        return (segments.joined(separator: "/"), fragment)
    }

    /// Whether `reference` starts with a URL scheme such as `http:` or `data:` (RFC 3986: a letter, then letters,
    /// digits, `+`, `-` or `.`, then a colon).
    private static func hasScheme(_ reference: String) -> Bool {
        guard let colon = reference.firstIndex(of: ":") else { return false }
        let scheme = reference[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }

    /// An attribute value as text, with `&amp;` (the one character reference a file name commonly needs) decoded.
    private static func attributeText(_ value: ArraySlice<UInt8>) -> String {
        String(decoding: value, as: UTF8.self).replacingOccurrences(of: "&amp;", with: "&")
    }

    // MARK: - Scanning

    /// One start tag: its lowercased name, its attributes and where it ends.
    struct Tag {
        /// One attribute: its lowercased name and where its value lies (without quotes).
        struct Attribute {
            /// The attribute's name, lowercased.
            var name: String
            /// Where its value lies in the text, without quotes.
            var value: Range<Int>
        }

        /// The tag's name, lowercased.
        var name: String
        /// Its attributes in order.
        var attributes: [Attribute] = []
        /// The index of its `<`.
        var start: Int
        /// The index just after the tag's `>` (or the end of the text).
        var end: Int

        /// The start tag at `start` in `html` (which holds `<`), or nil when no tag starts there (an end tag, a
        /// `<!DOCTYPE>`, or a `<` in text).
        init?(_ html: ArraySlice<UInt8>, at start: Int) {
            var index = start + 1
            guard index < html.endIndex, OfflinePage.isLetter(html[index]) else { return nil }
            while index < html.endIndex, !OfflinePage.isSpace(html[index]), html[index] != ascii(">"),
                html[index] != ascii("/")
            {
                index += 1
            }
            self.start = start
            name = String(decoding: html[(start + 1)..<index], as: UTF8.self).lowercased()
            while index < html.endIndex {
                let byte = html[index]
                if byte == ascii(">") {
                    index += 1
                    break
                }
                if OfflinePage.isSpace(byte) || byte == ascii("/") {
                    index += 1
                    continue
                }
                let nameStart = index
                while index < html.endIndex, !OfflinePage.isSpace(html[index]),
                    ![ascii(">"), ascii("="), ascii("/")].contains(html[index])
                {
                    index += 1
                }
                if index == nameStart { index += 1 }
                let attributeName = String(decoding: html[nameStart..<index], as: UTF8.self).lowercased()
                while index < html.endIndex, OfflinePage.isSpace(html[index]) { index += 1 }
                guard index < html.endIndex, html[index] == ascii("=") else { continue }
                index += 1
                while index < html.endIndex, OfflinePage.isSpace(html[index]) { index += 1 }
                guard index < html.endIndex else { break }
                let value: Range<Int>
                if html[index] == ascii("\"") || html[index] == ascii("'") {
                    let quote = html[index]
                    let valueEnd = html[(index + 1)...].firstIndex(of: quote) ?? html.endIndex
                    value = (index + 1)..<valueEnd
                    index = min(valueEnd + 1, html.endIndex)
                } else {
                    let valueStart = index
                    while index < html.endIndex, !OfflinePage.isSpace(html[index]), html[index] != ascii(">") {
                        index += 1
                    }
                    value = valueStart..<index
                }
                attributes.append(Attribute(name: attributeName, value: value))
            }
            end = index
        }
    }

    /// The first index of `needle` in `text` from `start`, comparing ASCII letters without case if asked.
    static func find(
        _ needle: [UInt8], in text: ArraySlice<UInt8>, from start: Int, ignoringCase: Bool = false
    ) -> Int? {
        guard let first = needle.first, needle.count <= text.count else { return nil }
        var index = max(start, text.startIndex)
        let last = text.endIndex - needle.count
        while index <= last {
            if lower(text[index], ignoringCase) == lower(first, ignoringCase) {
                var offset = 1
                while offset < needle.count,
                    lower(text[index + offset], ignoringCase) == lower(needle[offset], ignoringCase)
                {
                    offset += 1
                }
                if offset == needle.count { return index }
            }
            index += 1
        }
        return nil
    }

    private static func lower(_ byte: UInt8, _ ignoringCase: Bool) -> UInt8 {
        ignoringCase && byte >= ascii("A") && byte <= ascii("Z") ? byte + 32 : byte
    }

    /// Whether `byte` is HTML or CSS white space.
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0C || byte == 0x0D
    }

    /// Whether `byte` is an ASCII letter.
    static func isLetter(_ byte: UInt8) -> Bool {
        (ascii("a")...ascii("z")).contains(byte) || (ascii("A")...ascii("Z")).contains(byte)
    }
}

/// The byte of an ASCII character.
private func ascii(_ character: Unicode.Scalar) -> UInt8 {
    UInt8(character.value)
}
