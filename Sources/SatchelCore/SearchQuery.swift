import Foundation

/// What a teacher typed into the search box, understood: the classification it names (学段, 年级, 学科, 教材版本, 册),
/// the kinds of resource it asks for (视频, 练习, 课件…) and the words left to match against titles and text.
///
/// Teachers type `三年级数学`, `3年级数学`, `三上`, `部编版二年级语文上册` or `grade 3 maths` with no spaces and in any
/// order; each recognised word is taken out of the text. A level's value comes with the other spellings a catalog
/// may use for it (`统编版` and `部编版`, `三年级` and `3年级`), so the search can filter on whichever one the catalog
/// holds. Nothing here knows the catalog: a word the catalog does not use is matched as text instead.
public struct SearchQuery: Sendable, Equatable {
    /// A resource kind a query asks for: the word typed (kept, since titles say 微课 or 练习 too) and the `type`.
    public struct Kind: Sendable, Equatable {
        /// The word as typed, e.g. `视频`.
        public var word: String
        /// The manifest `type` it stands for, e.g. `video`.
        public var type: String

        /// Creates a kind.
        public init(word: String, type: String) {
            self.word = word
            self.type = type
        }
    }

    /// The query as typed (first ``maxLength`` characters).
    public var original: String
    /// For each classification level named (`stage`, `grade`, `subject`, `edition`, `term`), the spellings of its
    /// value, the usual one first.
    public var levels: [String: [String]] = [:]
    /// For each level named, the words typed for it, so that a value the catalog lacks can be matched as text.
    public var words: [String: String] = [:]
    /// The resource kinds named, in the order typed.
    public var kinds: [Kind] = []
    /// What is left to match as text: the query with the recognised words replaced by spaces.
    public var text: String

    /// Only this many characters of a query are read.
    public static let maxLength = 200

    /// Understands `query`.
    public init(_ query: String) {
        original = String(query.prefix(Self.maxLength))
        var characters = Array(original.precomposedStringWithCompatibilityMapping)
        var levels: [String: [String]] = [:]
        var words: [String: String] = [:]
        var kinds: [Kind] = []
        func set(_ level: String, _ values: [String], typed range: Range<Int>) {
            if levels[level] == nil { levels[level] = values }
            words[level, default: ""] += String(characters[range]).trimmingCharacters(in: .whitespaces)
        }
        func take(_ range: Range<Int>) {
            for index in range { characters[index] = " " }
        }

        // Grades written out: 三年级, 3年级, 3 年级, with an optional term after (三年级上册, 三年级上).
        var index = 0
        while index < characters.count {
            if let grade = Self.gradeNumber(characters[index]) {
                var end = index + 1
                while end < characters.count, characters[end] == " " { end += 1 }
                if end + 1 < characters.count, characters[end] == "年", characters[end + 1] == "级" {
                    end += 2
                    set("grade", Self.gradeSpellings(grade), typed: index..<end)
                    if let (term, length) = Self.term(after: end, in: characters) {
                        set("term", Self.termSpellings(term), typed: end..<end + length)
                        end += length
                    }
                    take(index..<end)
                    index = end
                    continue
                }
            }
            index += 1
        }
        // English grades: "grade 3", "grade3", "g3".
        let lower = characters.map { $0.lowercased().first ?? $0 }
        index = 0
        while index < lower.count {
            let startsWord = index == 0 || !lower[index - 1].isLetter
            for prefix in ["grade", "g"] where startsWord {
                let word = Array(prefix)
                var end = index + word.count
                guard end <= lower.count, Array(lower[index..<end]) == word else { continue }
                while end < lower.count, lower[end] == " ", prefix == "grade" { end += 1 }
                if end < lower.count, let grade = lower[end].wholeNumberValue, (1...9).contains(grade),
                    end + 1 == lower.count || !(lower[end + 1].isLetter || lower[end + 1].isNumber)
                {
                    set("grade", Self.gradeSpellings(grade), typed: index..<end + 1)
                    take(index..<end + 1)
                    break
                }
            }
            index += 1
        }

        // Vocabulary: stages, subjects, editions, terms and kinds, longest words first.
        for entry in Self.vocabulary {
            let word = Array(entry.word)
            let isLatin = entry.word.allSatisfy(\.isASCII)
            var start = 0
            while start + word.count <= characters.count {
                let end = start + word.count
                let candidate = isLatin ? Array(lower[start..<end]) : Array(characters[start..<end])
                let bounded =
                    !isLatin
                    || ((start == 0 || !Self.isWordCharacter(lower[start - 1]))
                        && (end == lower.count || !Self.isWordCharacter(lower[end])))
                if candidate == word, bounded, characters[start..<end].allSatisfy({ $0 != " " }) {
                    if entry.level == "kind" {
                        kinds.append(Kind(word: entry.word, type: entry.values[0]))
                    } else {
                        set(entry.level, entry.values, typed: start..<end)
                    }
                    take(start..<end)
                    start = end
                } else {
                    start += 1
                }
            }
        }

        // Shorthand for a volume: 三上, 3下, 五上册, standing alone or next to a recognised word.
        index = 0
        while index + 1 < characters.count {
            let before = index == 0 || !SearchText.isCJK(characters[index - 1])
            if before, let grade = Self.gradeNumber(characters[index]), grade <= 9,
                characters[index + 1] == "上" || characters[index + 1] == "下"
            {
                var end = index + 2
                if end < characters.count, characters[end] == "册" { end += 1 }
                if end == characters.count || !SearchText.isCJK(characters[end]) {
                    set("grade", Self.gradeSpellings(grade), typed: index..<end)
                    set("term", Self.termSpellings(characters[index + 1] == "上" ? "上册" : "下册"), typed: end..<end)
                    take(index..<end)
                    index = end
                    continue
                }
            }
            index += 1
        }

        self.levels = levels
        self.words = words
        self.kinds = kinds
        text = String(characters)
    }

    /// Whether the query names any classification level.
    public var hasLevels: Bool { !levels.isEmpty }

    /// The grade a numeral stands for: 一…九 and 1…9 (十 is not a primary or lower-secondary grade in one character).
    static func gradeNumber(_ character: Character) -> Int? {
        if let digit = character.wholeNumberValue, character.isASCII, (1...9).contains(digit) { return digit }
        return numerals.firstIndex(of: character).map { $0 + 1 }
    }

    static let numerals = Array("一二三四五六七八九")

    /// The spellings of grade `number`: 三年级, 3年级, and for 7-9 the 初一…初三 some catalogs use.
    static func gradeSpellings(_ number: Int) -> [String] {
        let numeral = String(numerals[number - 1])
        var spellings = ["\(numeral)年级", "\(number)年级"]
        if number >= 7 { spellings.append("初" + String(Array("一二三")[number - 7])) }
        return spellings
    }

    /// The spellings of a term value.
    static func termSpellings(_ term: String) -> [String] {
        term == "上册" ? ["上册", "上"] : ["下册", "下"]
    }

    /// A term written right after a grade (上册, 下册, 上学期, 下学期, or 上/下 alone), with its length.
    static func term(after index: Int, in characters: [Character]) -> (String, Int)? {
        guard index < characters.count, characters[index] == "上" || characters[index] == "下" else { return nil }
        let term = characters[index] == "上" ? "上册" : "下册"
        let rest = String(characters[(index + 1)...].prefix(2))
        if rest.hasPrefix("册") { return (term, 2) }
        if rest == "学期" { return (term, 3) }
        let next = index + 1 < characters.count ? characters[index + 1] : " "
        return SearchText.isCJK(next) && !Self.startsVocabulary(characters, at: index + 1) ? nil : (term, 1)
    }

    /// Whether a recognised word starts at `index`, e.g. 数学 in 三年级上数学.
    static func startsVocabulary(_ characters: [Character], at index: Int) -> Bool {
        vocabulary.contains { entry in
            let word = Array(entry.word)
            return index + word.count <= characters.count && Array(characters[index..<index + word.count]) == word
        }
    }

    /// A Latin letter or digit: what an English word cannot be next to (a CJK character can).
    static func isWordCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber)
    }

    /// A word a query may contain, the level it names and the spellings of its value (for `kind`, the type).
    struct Entry {
        var word: String
        var level: String
        var values: [String]
    }

    /// Every recognised word, longest first so that 道德与法治 wins over 道德 and 上学期 over 上.
    static let vocabulary: [Entry] = {
        var entries: [Entry] = []
        func add(_ level: String, _ words: [String], _ values: [String]) {
            for word in words { entries.append(Entry(word: word, level: level, values: values)) }
        }
        add("stage", ["小学", "primary"], ["小学"])
        add("stage", ["初中", "junior"], ["初中"])
        add("stage", ["高中"], ["高中"])
        add("stage", ["学前", "幼儿园"], ["学前", "幼儿园"])
        add("subject", ["数学", "maths", "math", "mathematics"], ["数学"])
        add("subject", ["语文"], ["语文"])
        add("subject", ["英语"], ["英语"])
        add("subject", ["科学", "science"], ["科学"])
        add("subject", ["道德与法治", "道法", "品德"], ["道德与法治", "品德与社会", "品德与生活"])
        add("subject", ["音乐", "music"], ["音乐"])
        add("subject", ["美术"], ["美术"])
        add("subject", ["体育与健康", "体育"], ["体育与健康", "体育"])
        add("subject", ["信息技术", "信息科技"], ["信息技术", "信息科技"])
        add("subject", ["劳动"], ["劳动"])
        add("subject", ["书法"], ["书法"])
        add("subject", ["物理", "physics"], ["物理"])
        add("subject", ["化学", "chemistry"], ["化学"])
        add("subject", ["生物", "biology"], ["生物"])
        add("subject", ["历史", "history"], ["历史"])
        add("subject", ["地理", "geography"], ["地理"])
        add("edition", ["人教版", "人教pep版", "人教pep", "pep", "人教"], ["人教版", "人教PEP版", "PEP", "人教"])
        add("edition", ["统编版", "部编版", "统编", "部编"], ["统编版", "部编版", "统编", "部编"])
        add("edition", ["北师大版", "北师大", "北师版"], ["北师大版", "北师大"])
        add("edition", ["苏教版", "苏教"], ["苏教版"])
        add("edition", ["教科版"], ["教科版"])
        add("edition", ["外研版", "外研"], ["外研版"])
        add("edition", ["青岛版"], ["青岛版"])
        add("edition", ["冀教版"], ["冀教版"])
        add("edition", ["沪教版"], ["沪教版"])
        add("edition", ["西师版", "西师大版"], ["西师版", "西师大版"])
        add("term", ["上册", "上学期"], ["上册", "上"])
        add("term", ["下册", "下学期"], ["下册", "下"])
        add("term", ["全一册"], ["全一册"])
        add("kind", ["视频", "微课", "动画", "video"], ["video"])
        add("kind", ["练习题", "练习", "习题", "作业", "试卷", "测试题", "exercise"], ["exercise"])
        add("kind", ["课件", "ppt"], ["html"])
        add("kind", ["教案", "教学设计", "文档", "讲义"], ["document"])
        add("kind", ["音频", "录音", "audio"], ["audio"])
        add("kind", ["图片", "挂图"], ["image"])
        return entries.sorted { $0.word.count > $1.word.count }
    }()
}
