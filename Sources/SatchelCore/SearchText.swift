/// Turns Chinese and English text into the tokens the full-text index stores and searches.
///
/// SQLite's unicode61 tokenizer splits on spaces and punctuation, which leaves a run of Chinese characters as one
/// long "word" that no two-character query would ever match. So each run of CJK characters is written as its single
/// characters and its overlapping pairs (数学课 becomes 数 学 课 数学 学课); a two-character query such as 数学
/// matches the pair, a single character matches the unigram. A pair is also written across an enumeration comma or
/// a middle dot (时、分、秒 gives 时分 and 分秒), since teachers type such titles without them. Latin words pass
/// through for unicode61 to fold case and diacritics. The whole text is indexed: the manifest bounds its length.
public enum SearchText {
    /// The text as it goes into the index.
    public static func indexForm(_ text: String) -> String {
        var tokens: [String] = []
        for piece in pieces(of: text) {
            switch piece {
            case .word(let word):
                tokens.append(word)
            case .cjk(let run):
                tokens.append(contentsOf: run.map(String.init))
                if run.count > 1 {
                    for index in 0..<(run.count - 1) { tokens.append(String(run[index...index + 1])) }
                }
            }
        }
        let characters = Array(text)
        for index in characters.indices.dropFirst().dropLast()
        where joiners.contains(characters[index]) && isCJK(characters[index - 1]) && isCJK(characters[index + 1]) {
            tokens.append(String([characters[index - 1], characters[index + 1]]))
        }
        return tokens.joined(separator: " ")
    }

    /// Punctuation that joins words of one title rather than separating phrases: 、 and the middle dots.
    static let joiners: Set<Character> = ["、", "·", "・"]

    /// Characters that only glue words together (的 和 与 及): a query's CJK run is split at them, so that
    /// 长方形的周长 looks for 长方形 and 周长 rather than the pairs 形的 and 的周 a title may not have. A run is
    /// split only where both sides keep at least two characters (求和 stays whole).
    static let glue: Set<Character> = ["的", "和", "与", "及", "之"]

    /// English words too common to look for when a query has other words.
    static let englishStopWords: Set<String> = [
        "a", "an", "the", "of", "and", "or", "to", "in", "on", "for", "with", "at", "by", "is", "are",
    ]

    /// The terms of what a user typed, each an FTS5 expression matched on its own; at most 32, without repeats.
    ///
    /// A CJK run gives its overlapping pairs (a one-character run, that character), a Latin word itself, and the last
    /// Latin word of two or more characters also matches as a prefix, so results appear while typing. Every token
    /// is quoted, so no user input can form FTS5 syntax: a stray quote, `AND`, `*` or `:` is just text.
    public static func terms(of query: String) -> [String] {
        var terms: [String] = []
        let all = pieces(of: query)
        let hasOther = all.contains {
            if case .word(let word) = $0 { return !englishStopWords.contains(word.lowercased()) }
            return true
        }
        for (position, piece) in all.enumerated() {
            switch piece {
            case .word(let word):
                if hasOther && englishStopWords.contains(word.lowercased()) && position != all.count - 1 { continue }
                let quoted = quote(word)
                terms.append(position == all.count - 1 && word.count >= 2 ? quoted + " *" : quoted)
            case .cjk(let run):
                for part in splitAtGlue(run).map(Array.init) {
                    if part.count == 1 {
                        terms.append(quote(String(part)))
                    } else {
                        for index in 0..<(part.count - 1) { terms.append(quote(String(part[index...index + 1]))) }
                    }
                }
            }
        }
        var seen = Set<String>()
        return Array(terms.filter { seen.insert($0).inserted }.prefix(32))
    }

    /// An FTS5 expression matching text that holds every token of `word` (a CJK word as all its pairs), or nil
    /// when the word has nothing searchable.
    public static func phrase(_ word: String) -> String? {
        var tokens: [String] = []
        for piece in pieces(of: word) {
            switch piece {
            case .word(let word):
                tokens.append(quote(word))
            case .cjk(let run):
                if run.count == 1 {
                    tokens.append(quote(String(run)))
                } else {
                    for index in 0..<(run.count - 1) { tokens.append(quote(String(run[index...index + 1]))) }
                }
            }
        }
        return tokens.isEmpty ? nil : "(" + tokens.joined(separator: " AND ") + ")"
    }

    /// The CJK characters of `text` other than glue (的 和…), each once, in order: what a suggestion may share.
    public static func contentCharacters(of text: String) -> [Character] {
        var seen = Set<Character>()
        return text.filter { isCJK($0) && !glue.contains($0) && seen.insert($0).inserted }.map { $0 }
    }

    static func splitAtGlue(_ run: [Character]) -> [ArraySlice<Character>] {
        var parts: [ArraySlice<Character>] = []
        var start = 0
        for index in run.indices where glue.contains(run[index]) {
            if index - start >= 2 && run.count - index - 1 >= 2 {
                parts.append(run[start..<index])
                start = index + 1
            }
        }
        parts.append(run[start...])
        return parts
    }

    /// The words and CJK runs of a query, for highlighting matches in titles; a run of three or more characters
    /// also gives its pairs, so 长方形周长 marks 周长 in 长方形和正方形的周长.
    public static func highlightTerms(_ query: String) -> [String] {
        pieces(of: String(query.prefix(SearchQuery.maxLength))).flatMap { piece -> [String] in
            switch piece {
            case .word(let word):
                return [word]
            case .cjk(let run):
                let pairs = run.count < 3 ? [] : (0..<(run.count - 1)).map { String(run[$0...$0 + 1]) }
                return [String(run)] + pairs
            }
        }
    }

    enum Piece: Equatable {
        case word(String)
        case cjk([Character])
    }

    /// Splits text into Latin/digit words and runs of CJK characters; everything else separates them.
    static func pieces(of text: String) -> [Piece] {
        var result: [Piece] = []
        var word = ""
        var run: [Character] = []
        func flush() {
            if !word.isEmpty { result.append(.word(word)) }
            if !run.isEmpty { result.append(.cjk(run)) }
            word = ""
            run = []
        }
        for character in text {
            if isCJK(character) {
                if !word.isEmpty {
                    result.append(.word(word))
                    word = ""
                }
                run.append(character)
            } else if character.isLetter || character.isNumber {
                if !run.isEmpty {
                    result.append(.cjk(run))
                    run = []
                }
                word.append(character)
            } else {
                flush()
            }
        }
        flush()
        return result
    }

    static func isCJK(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first else { return false }
        switch scalar.value {
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F, 0x3040...0x30FF, 0xAC00...0xD7AF:
            return true
        default:
            return false
        }
    }

    private static func quote(_ token: String) -> String {
        "\"" + token.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
