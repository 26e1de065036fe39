/// Rules for paths inside a bundle, shared by the manifest validator, the importer and the HTTP server.
public enum BundlePath {
    /// Returns the path in its canonical form (a leading `./` removed), or throws the reason it is unsafe.
    ///
    /// The thrown error is always a ``PathProblem``.
    ///
    /// Unsafe: empty, absolute, `.` or `..` components, empty components, backslashes, NUL or other control
    /// characters, or longer than ``BundleLimits``.
    public static func normalize(_ path: String) throws -> String {
        var text = path
        while text.hasPrefix("./") { text.removeFirst(2) }
        if text.hasSuffix("/") { text.removeLast() }
        guard !text.isEmpty else { throw PathProblem.empty }
        guard !text.hasPrefix("/") else { throw PathProblem.absolute }
        guard !text.contains("\\") else { throw PathProblem.backslash }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw PathProblem.controlCharacter
        }
        guard text.utf8.count <= BundleLimits.maxPathBytes else { throw PathProblem.tooLong }
        for component in text.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty { throw PathProblem.emptyComponent }
            if component == "." || component == ".." { throw PathProblem.dotComponent }
            if component.utf8.count > BundleLimits.maxComponentBytes { throw PathProblem.tooLong }
        }
        return text
    }

    /// The reason a path is unsafe, or nil when it is safe.
    public static func problem(with path: String) -> PathProblem? {
        do {
            _ = try normalize(path)
            return nil
        } catch {
            return error as? PathProblem ?? .empty
        }
    }

    /// Why a path is unsafe.
    public enum PathProblem: Error, Sendable, Hashable, CustomStringConvertible {
        case empty, absolute, backslash, controlCharacter, tooLong, emptyComponent, dotComponent

        /// The reason in English.
        public var description: String { text.en }

        /// The reason in both languages.
        public var text: LocalizedText {
            switch self {
            case .empty: LocalizedText(zh: "路径为空", en: "the path is empty")
            case .absolute: LocalizedText(zh: "是绝对路径", en: "it is an absolute path")
            case .backslash: LocalizedText(zh: "含有反斜杠", en: "it contains a backslash")
            case .controlCharacter: LocalizedText(zh: "含有控制字符", en: "it contains a control character")
            case .tooLong:
                LocalizedText(
                    zh: "超过 \(BundleLimits.maxPathBytes) 字节的长度限制",
                    en: "it is longer than the limit of \(BundleLimits.maxPathBytes) bytes"
                )
            case .emptyComponent: LocalizedText(zh: "含有空的路径段 (//)", en: "it has an empty component (//)")
            case .dotComponent:
                LocalizedText(zh: "含有 . 或 .. 路径段（路径穿越）", en: "it has a . or .. component (path traversal)")
            }
        }
    }
}

/// Rules for bundle and resource ids.
public enum Identifier {
    /// Whether `text` is a valid id: 1 to 64 characters from `a-z`, `0-9`, `.`, `_` and `-`, starting with a letter or
    /// digit. Ids appear in URLs and file names, so nothing else is allowed.
    public static func isValid(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= BundleLimits.maxIDLength else { return false }
        func allowed(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        guard allowed(first) else { return false }
        return text.unicodeScalars.allSatisfy { allowed($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }
}
