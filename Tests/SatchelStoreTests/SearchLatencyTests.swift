import Foundation
import SatchelCore
import SatchelStore
import SatchelTestSupport
import Testing

/// Search latency over 100,000 resources shaped like `scripts/bench-catalog.sh` makes them (long descriptions,
/// classification, kinds), with its query mix including teachers' queries. Opt-in, as it installs for minutes in a
/// debug build: `SATCHEL_SEARCH_LATENCY=1 swift test --filter SearchLatencyTests`. It prints p50, p95 and p99.
@Suite struct SearchLatencyTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SATCHEL_SEARCH_LATENCY"] == "1"))
    func searchOverOneHundredThousandResources() throws {
        let folder = TemporaryDirectory("search-latency")
        let database = try SatchelDatabase(path: folder.file("s.sqlite"))
        var generator = SystemRandomNumberGenerator()
        let subjects = ["数学", "语文", "英语", "科学", "物理", "化学", "历史", "地理", "音乐", "美术"]
        let topics = [
            "分数", "面积", "古诗", "阅读", "实验", "电路", "植物", "地图", "节奏", "色彩", "方程", "几何", "朗读", "写作",
            "时、分、秒", "万以内的加法和减法", "20以内的进位加法", "长方形和正方形的周长", "认识钟表", "有余数的除法",
            "小蝌蚪找妈妈", "静夜思", "草船借箭", "鸡兔同笼", "植树问题", "圆柱与圆锥",
        ]
        let filler =
            "本资源配合教材使用，适合一课时的教学，包含情境导入、新知探究、合作交流、课堂练习和课堂小结五个环节，每个环节都附有"
            + "教学建议和时间安排，教师可以根据班级学情调整顺序或删减内容。所有图片、动画和音频都已保存在本机，没有网络的教室也能"
            + "直接使用；练习题配有参考答案和常见错误分析，便于教师当堂反馈。"
        for part in 0..<10 {
            let resources = (0..<10_000).map { index -> Manifest.Resource in
                let number = part * 10_000 + index
                let subject = subjects.randomElement(using: &generator)!
                let topic = topics.randomElement(using: &generator)!
                return Manifest.Resource(
                    id: "r\(number)",
                    title: LocalizedText(zh: "\(subject)：\(topic)第\(number % 97 + 1)课", en: "lesson \(number)"),
                    type: ["html", "html", "video", "exercise", "document"].randomElement(using: &generator)!,
                    stage: ["小学", "初中", "高中"].randomElement(using: &generator)!,
                    grade: PrimaryCatalog.grades.randomElement(using: &generator)!, subject: subject,
                    edition: ["人教版", "统编版", "北师大版", "苏教版"].randomElement(using: &generator)!,
                    term: ["上册", "下册"].randomElement(using: &generator)!, entry: "r\(number).html",
                    description: LocalizedText(zh: "\(filler)本课内容：\(topic)的练习与讲解。", en: "practice"), tags: [topic])
            }
            try SearchTests.install(resources, as: "catalog-\(part)", into: database)
        }
        let queries = [
            "数学", "语文", "分数", "古诗", "面积", "实验", "数", "诗", "maths", "lesson", "chem", "数学 lesson",
            "分数 maths", "电路 physics", "第12课", "不存在的词", "zzzz", "\"(", "AND OR", "历史地图",
            "三年级数学", "3年级数学", "二年级语文上册", "三上数学", "人教版四年级数学下册", "时分秒", "万以内加减法",
            "20以内进位加法", "长方形周长", "认识钟表视频", "有余数的除法练习", "三年级 鸡兔同笼", "小学语文古诗朗读",
            "部编版六年级语文", "圆柱圆锥 课件", "光合作用",
        ]
        var times: [Double] = []
        var slowest: [String: Double] = [:]
        for round in 0..<10 {
            for query in queries {
                let start = ContinuousClock.now
                _ = try database.search(query)
                let elapsed = ContinuousClock.now - start
                let milliseconds =
                    Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                if round > 0 { times.append(milliseconds) }
                slowest[query] = max(slowest[query] ?? 0, milliseconds)
            }
        }
        times.sort()
        func percentile(_ share: Double) -> Double { times[Int(Double(times.count) * share) - 1] }
        print(
            String(
                format: "search over 100,000 resources: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms (%d searches)",
                percentile(0.5), percentile(0.95), percentile(0.99), times.count))
        for (query, milliseconds) in slowest.sorted(by: { $0.value > $1.value }).prefix(8) {
            print(String(format: "  slowest: %@ %.1f ms", query, milliseconds))
        }
    }
}
