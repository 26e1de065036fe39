import SatchelCore
import Testing

@Suite struct SearchTextTests {
    @Test func chineseRunsBecomeUnigramsAndBigrams() {
        #expect(SearchText.indexForm("数学课") == "数 学 课 数学 学课")
        #expect(SearchText.indexForm("Grade 3 数学") == "Grade 3 数 学 数学")
        #expect(SearchText.indexForm("《静夜思》李白") == "静 夜 思 静夜 夜思 李 白 李白")
    }

    @Test(arguments: [
        ("数学", #""数学""#),
        ("数", #""数""#),
        ("静夜思", #""静夜" AND "夜思""#),
        ("frac", #""frac" *"#),
        ("李白 poem", #""李白" AND "poem" *"#),
        (#"a"b"#, #""a" AND "b""#),
    ])
    func queriesAreTokenizedAndQuoted(query: String, expected: String) {
        #expect(SearchText.matchExpression(query) == expected)
    }

    @Test(arguments: ["", "   ", "\"", "*", "():^", "-"])
    func punctuationOnlyQueriesMatchNothing(query: String) {
        #expect(SearchText.matchExpression(query) == nil)
    }
}
