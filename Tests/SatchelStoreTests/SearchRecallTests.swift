import Foundation
import SatchelCore
import SatchelStore
import SatchelTestSupport
import Testing

/// Queries as teachers type them, over ``PrimaryCatalog``: recall@10 over the whole set must reach 0.95.
///
/// A query's relevant resources are either the resources of named lessons (optionally only one kind) or every
/// resource of a grade/subject/term. Recall@10 of one query is the share of its relevant resources in the first ten
/// results, out of at most ten (a query with 30 relevant resources scores 1 when its first ten are all relevant).
@Suite(.serialized) struct SearchRecallTests {
    /// What a query should find.
    enum Relevant: Sendable {
        /// The resources of these lessons, by exact title; of one type when `type` is set.
        case lessons([String], type: String? = nil)
        /// Every resource of this subject and grade (and term when set).
        case volume(subject: String, grade: String, term: String? = nil)
        /// Every resource carrying this tag.
        case tag(String)

        func ids() -> Set<String> {
            var ids = Set<String>()
            for lesson in PrimaryCatalog.lessons {
                for resource in lesson.resources {
                    switch self {
                    case .lessons(let titles, let type):
                        if titles.contains(lesson.title), type == nil || resource.type == type {
                            ids.insert(resource.id)
                        }
                    case .volume(let subject, let grade, let term):
                        if resource.subject == subject, resource.grade == grade, term == nil || resource.term == term {
                            ids.insert(resource.id)
                        }
                    case .tag(let tag):
                        if resource.tags?.contains(tag) == true { ids.insert(resource.id) }
                    }
                }
            }
            return ids
        }
    }

    static let queries: [(String, Relevant)] = [
        // Classification alone, as typed: no spaces, Arabic numerals, shorthand, old and new edition names.
        ("三年级数学", .volume(subject: "数学", grade: "三年级")),
        ("3年级数学", .volume(subject: "数学", grade: "三年级")),
        ("三年级 数学", .volume(subject: "数学", grade: "三年级")),
        ("二年级语文上册", .volume(subject: "语文", grade: "二年级", term: "上册")),
        ("三上数学", .volume(subject: "数学", grade: "三年级", term: "上册")),
        ("数学三下", .volume(subject: "数学", grade: "三年级", term: "下册")),
        ("一年级数学上册", .volume(subject: "数学", grade: "一年级", term: "上册")),
        ("人教版三年级数学", .volume(subject: "数学", grade: "三年级")),
        ("部编版二年级语文", .volume(subject: "语文", grade: "二年级")),
        ("统编版语文六年级下册", .volume(subject: "语文", grade: "六年级", term: "下册")),
        ("四年级下册语文", .volume(subject: "语文", grade: "四年级", term: "下册")),
        ("五上语文", .volume(subject: "语文", grade: "五年级", term: "上册")),
        ("六下数学", .volume(subject: "数学", grade: "六年级", term: "下册")),
        ("英语三年级上册", .volume(subject: "英语", grade: "三年级", term: "上册")),
        ("三年级科学", .volume(subject: "科学", grade: "三年级")),
        ("小学五年级数学", .volume(subject: "数学", grade: "五年级")),
        ("4年级上册数学", .volume(subject: "数学", grade: "四年级", term: "上册")),
        ("grade 3 maths", .volume(subject: "数学", grade: "三年级")),
        // Lesson titles typed without their punctuation, 的, 和 or brackets.
        ("时分秒", .lessons(["时、分、秒"])),
        ("万以内加减法", .lessons(["万以内的加法和减法（一）", "万以内的加法和减法（二）"])),
        ("20以内进位加法", .lessons(["20以内的进位加法"])),
        ("20以内退位减法", .lessons(["20以内的退位减法"])),
        ("长方形周长", .lessons(["长方形和正方形的周长"])),
        ("长方形正方形面积", .lessons(["长方形和正方形的面积"])),
        ("100以内加减法", .lessons(["100以内的加法和减法（一）", "100以内的加法和减法（二）"])),
        ("年月日", .lessons(["年、月、日"])),
        ("分数初步认识", .lessons(["分数的初步认识"])),
        ("小数意义和性质", .lessons(["小数的意义和性质"])),
        ("分数加减法", .lessons(["分数的加法和减法"])),
        ("小数加减法", .lessons(["小数的加法和减法"])),
        ("图形运动", .lessons(["图形的运动（一）", "图形的运动（二）", "图形的运动（三）"])),
        ("圆柱圆锥", .lessons(["圆柱与圆锥"])),
        ("雷锋叔叔你在哪里", .lessons(["雷锋叔叔，你在哪里"])),
        ("克与千克", .lessons(["克和千克"])),
        // Lesson titles as they are.
        ("认识钟表", .lessons(["认识钟表"])),
        ("认识人民币", .lessons(["认识人民币"])),
        ("有余数的除法", .lessons(["有余数的除法"])),
        ("倍的认识", .lessons(["倍的认识"])),
        ("多位数乘一位数", .lessons(["多位数乘一位数"])),
        ("扇形统计图", .lessons(["扇形统计图"])),
        ("静夜思", .lessons(["静夜思"])),
        ("小蝌蚪找妈妈", .lessons(["小蝌蚪找妈妈"])),
        ("曹冲称象", .lessons(["曹冲称象"])),
        ("草船借箭", .lessons(["草船借箭"])),
        ("少年闰土", .lessons(["少年闰土"])),
        ("落花生", .lessons(["落花生"])),
        ("守株待兔", .lessons(["守株待兔"])),
        ("植物的生长变化", .lessons(["植物的生长变化"])),
        // Topics, unit names and words found only in tags or late in a long description.
        ("鸡兔同笼", .lessons(["数学广角——鸡兔同笼"])),
        ("植树问题", .lessons(["数学广角——植树问题"])),
        ("鸽巢问题", .lessons(["数学广角——鸽巢问题"])),
        ("找次品", .lessons(["数学广角——找次品"])),
        ("乘法口诀", .lessons(["表内乘法（一）", "表内乘法（二）", "表内除法（二）"])),
        ("平行四边形面积", .lessons(["多边形的面积"])),
        ("三角形面积", .lessons(["多边形的面积"])),
        ("圆的面积", .lessons(["圆"])),
        ("简便计算", .lessons(["运算定律"])),
        ("凑十法", .lessons(["20以内的进位加法"])),
        ("李白", .lessons(["静夜思", "望庐山瀑布"])),
        ("鲁迅", .lessons(["少年闰土", "好的故事", "我的伯父鲁迅先生"])),
        ("老舍的文章", .lessons(["猫", "母鸡", "草原", "北京的春节"])),
        ("文言文", .tag("文言文")),
        ("汉语拼音", .tag("汉语拼音")),
        ("古诗", .tag("古诗")),
        ("寓言故事", .tag("寓言")),
        ("空气", .lessons(["感受空气", "空气占据空间吗"])),
        ("声音", .lessons(["听听声音", "声音是怎样产生的"])),
        // With a grade, subject or kind next to the topic.
        ("三年级 长方形周长", .lessons(["长方形和正方形的周长"])),
        ("二年级数学认识时间", .lessons(["认识时间"])),
        ("四年级数学三角形", .lessons(["三角形"])),
        ("小蝌蚪找妈妈视频", .lessons(["小蝌蚪找妈妈"], type: "video")),
        ("时分秒 微课", .lessons(["时、分、秒"], type: "video")),
        ("有余数的除法练习", .lessons(["有余数的除法"], type: "exercise")),
        ("曹冲称象课件", .lessons(["曹冲称象"], type: "html")),
        (
            "三年级数学视频",
            .lessons(
                PrimaryCatalog.lessons.filter { $0.volume.grade == "三年级" && $0.volume.subject == "数学" }.map(\.title),
                type: "video")
        ),
        (
            "一年级语文练习",
            .lessons(
                PrimaryCatalog.lessons.filter { $0.volume.grade == "一年级" && $0.volume.subject == "语文" }.map(\.title),
                type: "exercise")
        ),
        // English titles and descriptions.
        ("We love animals", .lessons(["Unit 4 We love animals"])),
        ("colours", .lessons(["Unit 2 Colours"])),
        ("My classroom", .lessons(["Unit 1 My classroom"])),
        ("fractions", .lessons(["分数的初步认识", "分数的意义和性质", "分数的加法和减法", "分数乘法", "分数除法"])),
        ("Chickens and rabbits", .lessons(["数学广角——鸡兔同笼"])),
    ]

    static func database() throws -> (TemporaryDirectory, SatchelDatabase) {
        let folder = TemporaryDirectory("search-recall")
        let database = try SatchelDatabase(path: folder.file("s.sqlite"))
        try SearchTests.install(PrimaryCatalog.resources, as: "primary", into: database)
        return (folder, database)
    }

    @Test func teachersQueriesFindTheirLessons() throws {
        let (folder, database) = try Self.database()
        defer { withExtendedLifetime(folder) {} }
        var total = 0.0
        var misses: [String] = []
        for (query, relevant) in Self.queries {
            let expected = relevant.ids()
            #expect(!expected.isEmpty, "\(query) has no relevant resources")
            let found = try database.search(query, pageSize: 10).resources.map(\.id)
            let recall = Double(Set(found).intersection(expected).count) / Double(min(10, expected.count))
            total += recall
            if recall < 1 { misses.append("\(query) \(String(format: "%.2f", recall)) got \(found.prefix(5))") }
        }
        let recall = total / Double(Self.queries.count)
        print(
            "search recall@10 over \(Self.queries.count) queries, \(PrimaryCatalog.resources.count) resources: "
                + String(format: "%.3f", recall))
        for miss in misses { print("  below 1: \(miss)") }
        #expect(Self.queries.count >= 60)
        #expect(recall >= 0.95)
    }
}
