/// Turns Chinese and English text into the tokens the full-text index stores and searches.
///
/// SQLite's unicode61 tokenizer splits on spaces and punctuation, which leaves a run of Chinese characters as one
/// long "word" that no two-character query would ever match. So each run of CJK characters is written as its single
/// characters and its overlapping pairs (数学课 becomes 数 学 课 数学 学课); a two-character query such as 数学
/// matches the pair, a single character matches the unigram, and longer queries match all their pairs. Latin words
/// pass through for unicode61 to fold case and diacritics.
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
        return tokens.joined(separator: " ")
    }

    /// An FTS5 MATCH expression for what a user typed, or nil when it holds nothing searchable.
    ///
    /// Every token is quoted, so no user input can form FTS5 syntax: a stray quote, `AND`, `*` or `:` is just text.
    /// All terms must match; the last Latin word also matches as a prefix, so results appear while typing.
    public static func matchExpression(_ query: String) -> String? {
        var terms: [String] = []
        let all = pieces(of: query)
        for (position, piece) in all.enumerated() {
            switch piece {
            case .word(let word):
                let quoted = quote(word)
                terms.append(position == all.count - 1 && word.count >= 2 ? quoted + " *" : quoted)
            case .cjk(let run):
                if run.count == 1 {
                    terms.append(quote(String(run)))
                } else {
                    for index in 0..<(run.count - 1) { terms.append(quote(String(run[index...index + 1]))) }
                }
            }
        }
        guard !terms.isEmpty else { return nil }
        return terms.prefix(32).joined(separator: " AND ")
    }

    /// The words and CJK runs of a query, for highlighting matches in titles.
    public static func highlightTerms(_ query: String) -> [String] {
        pieces(of: query).map {
            switch $0 {
            case .word(let word): word
            case .cjk(let run): String(run)
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
        for character in text.prefix(200) {
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
