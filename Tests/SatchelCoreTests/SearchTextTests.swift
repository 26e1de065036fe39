import SatchelCore
import Testing

@Suite struct SearchTextTests {
    @Test func chineseRunsBecomeUnigramsAndBigrams() {
        #expect(SearchText.indexForm("数学课") == "数 学 课 数学 学课")
        #expect(SearchText.indexForm("Grade 3 数学") == "Grade 3 数 学 数学")
        #expect(SearchText.indexForm("《静夜思》李白") == "静 夜 思 静夜 夜思 李 白 李白")
        // A pair spans an enumeration comma or a middle dot, as teachers type such titles without them.
        #expect(SearchText.indexForm("时、分、秒") == "时 分 秒 时分 分秒")
    }

    @Test func everyCharacterIsIndexed() {
        let long = String(repeating: "很长的描述", count: 100) + "周长"
        #expect(SearchText.indexForm(long).hasSuffix("述周 周长"))
    }

    @Test(arguments: [
        ("数学", [#""数学""#]),
        ("数", [#""数""#]),
        ("静夜思", [#""静夜""#, #""夜思""#]),
        ("frac", [#""frac" *"#]),
        ("李白 poem", [#""李白""#, #""poem" *"#]),
        (#"x"y"#, [#""x""#, #""y""#]),
        // 的, 和, 与 split a run where both sides keep two characters; 求和 stays whole.
        ("长方形的周长", [#""长方""#, #""方形""#, #""周长""#]),
        ("求和", [#""求和""#]),
        ("the area of a circle", [#""area""#, #""circle" *"#]),
    ])
    func queriesAreTokenizedAndQuoted(query: String, expected: [String]) {
        #expect(SearchText.terms(of: query) == expected)
    }

    @Test(arguments: ["", "   ", "\"", "*", "():^", "-"])
    func punctuationOnlyQueriesMatchNothing(query: String) {
        #expect(SearchText.terms(of: query).isEmpty)
    }

    @Test(arguments: [
        ("三年级数学", ["grade": "三年级", "subject": "数学"], ""),
        ("3年级数学", ["grade": "三年级", "subject": "数学"], ""),
        ("二年级语文上册", ["grade": "二年级", "subject": "语文", "term": "上册"], ""),
        ("三上", ["grade": "三年级", "term": "上册"], ""),
        ("数学五下", ["grade": "五年级", "term": "下册", "subject": "数学"], ""),
        ("部编版一年级上语文", ["edition": "统编版", "grade": "一年级", "term": "上册", "subject": "语文"], ""),
        ("小学三年级 长方形周长", ["stage": "小学", "grade": "三年级"], "长方形周长"),
        ("grade 3 maths fractions", ["grade": "三年级", "subject": "数学"], "fractions"),
        ("数学广角", ["subject": "数学"], "广角"),
        ("三角形", [:], "三角形"),
        ("上下", [:], "上下"),
    ])
    func classificationWordsAreRecognised(query: String, levels: [String: String], text: String) {
        let understood = SearchQuery(query)
        #expect(understood.levels.mapValues { $0[0] } == levels, "\(query)")
        #expect(understood.text.split(separator: " ").joined(separator: " ") == text, "\(query)")
    }

    @Test func kindWordsAreRecognised() {
        let understood = SearchQuery("乌鸦喝水视频")
        #expect(understood.kinds == [SearchQuery.Kind(word: "视频", type: "video")])
        #expect(understood.text.trimmingCharacters(in: .whitespaces) == "乌鸦喝水")
        #expect(SearchQuery("三年级数学练习").kinds.map(\.type) == ["exercise"])
    }
}
