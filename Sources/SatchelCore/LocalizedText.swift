/// A piece of user-facing text in Simplified Chinese, with its English version.
///
/// Chinese is the default language of every screen and message a teacher or technician sees.
public struct LocalizedText: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The Simplified Chinese text.
    public var zh: String
    /// The English text.
    public var en: String

    /// Creates a text from its two language versions.
    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }

    /// The text in the given language.
    public func callAsFunction(_ language: Language) -> String {
        switch language {
        case .chinese: zh.isEmpty ? en : zh
        case .english: en.isEmpty ? zh : en
        }
    }

    /// The English text, which is what logs and developers see.
    public var description: String { en }
}

/// A language the user interface speaks.
public enum Language: String, Sendable, CaseIterable, Codable {
    /// Simplified Chinese, the default.
    case chinese = "zh-CN"
    /// English.
    case english = "en"

    /// Parses a tag such as `zh`, `zh-CN`, `en` or `en-US`; anything else is nil.
    public init?(tag: String) {
        let lowered = tag.lowercased()
        if lowered.hasPrefix("zh") {
            self = .chinese
        } else if lowered.hasPrefix("en") {
            self = .english
        } else {
            return nil
        }
    }

    /// The language for command-line messages: `SATCHEL_LANG` when set, else the locale (`LC_ALL`, `LC_MESSAGES`,
    /// `LANG`, the first one set) when it is Chinese or English, otherwise Chinese.
    public static func forCommandLine(environment: [String: String]) -> Language {
        if let chosen = environment["SATCHEL_LANG"].flatMap(Language.init(tag:)) { return chosen }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        return locale.flatMap(Language.init(tag:)) ?? .chinese
    }
}
