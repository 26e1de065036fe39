import Foundation
import SatchelCore
import SatchelStore
import SatchelTestSupport
import Testing

/// Full-text search over a real SQLite FTS5 index, Chinese and English.
@Suite struct SearchTests {
    static func database() throws -> (TemporaryDirectory, SatchelDatabase) {
        let folder = TemporaryDirectory("search")
        let database = try SatchelDatabase(path: folder.file("s.sqlite"))
        func resource(
            _ id: String, _ zh: String, _ en: String, subject: String, description: String? = nil,
            tags: [String]? = nil
        ) -> Manifest.Resource {
            Manifest.Resource(
                id: id, title: LocalizedText(zh: zh, en: en), type: "html", stage: "小学", grade: "三年级",
                subject: subject, entry: "\(id).html",
                description: description.map { LocalizedText(zh: $0, en: "") }, tags: tags)
        }
        let resources = [
            resource("fractions", "认识分数", "Understanding fractions", subject: "数学", tags: ["分数"]),
            resource(
                "area", "长方形的面积", "Area of rectangles", subject: "数学",
                description: "用数学方法计算面积"),
            resource("poem", "古诗《静夜思》", "Quiet Night Thoughts", subject: "语文", tags: ["李白", "唐诗"]),
            resource("reading", "阅读理解练习", "Reading practice", subject: "语文"),
            resource("science", "植物的生长", "How plants grow", subject: "科学"),
        ]
        try install(resources, as: "grade3", into: database)
        return (folder, database)
    }

    /// Installs a bundle `id` holding `resources`, each with a one-byte entry file.
    static func install(_ resources: [Manifest.Resource], as id: String, into database: SatchelDatabase) throws {
        let sha = String(repeating: "b", count: 64)
        let manifest = Manifest(
            id: id, version: 1, title: LocalizedText(zh: id, en: id), kind: .curriculum,
            publisherKey: "0123456789abcdef", created: "2026-01-01T00:00:00Z", resources: resources,
            files: resources.map { Manifest.File(path: $0.entry, size: 1, sha256: sha, mediaType: "text/html") })
        try database.install(manifest: manifest, manifestData: Data(), signature: Data())
    }

    @Test(arguments: [
        ("数学", ["area", "fractions"]),
        ("语文", ["poem", "reading"]),
        ("分数", ["fractions"]),
        ("诗", ["poem"]),
        ("静夜思", ["poem"]),
        ("李白", ["poem"]),
        ("frac", ["fractions"]),
        ("PLANTS", ["science"]),
        ("数学 area", ["area"]),
        ("面积 rectangles", ["area"]),
        ("化学", []),
    ])
    func findsChineseEnglishAndMixedQueries(query: String, expected: [String]) throws {
        let (folder, database) = try Self.database()
        defer { withExtendedLifetime(folder) {} }
        let page = try database.search(query)
        #expect(page.resources.map(\.id).sorted() == expected, "\(query)")
        #expect(page.total == expected.count)
    }

    @Test func titleMatchesRankAboveDescriptionMatches() throws {
        let (folder, database) = try Self.database()
        defer { withExtendedLifetime(folder) {} }
        // "面积" is in the title of `area`; "数学" only in its description and subject, like `fractions`.
        let page = try database.search("数学")
        #expect(page.resources.count == 2)
        let titleHit = try database.search("面积")
        #expect(titleHit.resources.first?.id == "area")
    }

    @Test(arguments: [
        "\"", "\"unbalanced", "AND", "OR NOT", "*", "title:数学", "NEAR(a b)", "(((", "数学\" OR \"1", "^start", "-x",
        String(repeating: "很长的查询", count: 200),
    ])
    func hostileQueriesNeverError(query: String) throws {
        let (folder, database) = try Self.database()
        defer { withExtendedLifetime(folder) {} }
        _ = try database.search(query)
    }

    @Test func pagingSplitsResults() throws {
        let (folder, database) = try Self.database()
        defer { withExtendedLifetime(folder) {} }
        let first = try database.search("小学", page: 1, pageSize: 2)
        let third = try database.search("小学", page: 3, pageSize: 2)
        #expect(first.total == 5 && first.resources.count == 2)
        #expect(third.resources.count == 1)
        let all = try (1...3).flatMap { try database.search("小学", page: $0, pageSize: 2).resources.map(\.id) }
        #expect(Set(all).count == 5)
    }

    @Test func browsingFiltersByClassificationAndCountsFacets() throws {
        let (folder, database) = try Self.database()
        defer { withExtendedLifetime(folder) {} }
        let subjects = try database.facet("subject", filter: Classification(stage: "小学", grade: "三年级"))
        #expect(subjects.map(\.value) == ["数学", "语文", "科学"])
        #expect(subjects.first?.count == 2)
        let maths = try database.browse(Classification(stage: "小学", grade: "三年级", subject: "数学"))
        #expect(maths.resources.map(\.id).sorted() == ["area", "fractions"])
        #expect(try database.facet("nonsense; DROP TABLE resource", filter: Classification()).isEmpty)
    }

    /// A word in more than 5,000 resources is not scored one by one; its title matches still come first, and the
    /// pages together list every match exactly once.
    @Test func aVeryCommonWordListsTitleMatchesFirstAndPagesEveryMatchOnce() throws {
        let folder = TemporaryDirectory("search-common")
        let database = try SatchelDatabase(path: folder.file("s.sqlite"))
        // 300 resources mention 练习 only in their description, and come first in the catalog; 5,000 have it in
        // the title.
        let bodyOnly = (0..<300).map {
            Manifest.Resource(
                id: String(format: "a%04d", $0), title: LocalizedText(zh: "第\($0)课", en: "Lesson \($0)"),
                type: "html", entry: "a\($0).html", description: LocalizedText(zh: "课后练习", en: ""))
        }
        let titled = (0..<5_000).map {
            Manifest.Resource(
                id: String(format: "b%04d", $0), title: LocalizedText(zh: "练习\($0)", en: "Practice \($0)"),
                type: "html", entry: "b\($0).html")
        }
        try Self.install(bodyOnly + titled, as: "big", into: database)

        let first = try database.search("练习", pageSize: 100)
        #expect(first.total == 5_300)
        #expect(first.resources.count == 100 && first.resources.allSatisfy { $0.id.hasPrefix("b") })
        // The page that straddles the last title match, and the last page.
        let straddling = try database.search("练习", page: 50, pageSize: 100)
        #expect(straddling.resources.map(\.id) == (4_900..<5_000).map { String(format: "b%04d", $0) })
        let last = try database.search("练习", page: 53, pageSize: 100)
        #expect(last.resources.map(\.id) == (200..<300).map { String(format: "a%04d", $0) })
        let odd = try database.search("练习", page: 67, pageSize: 75)  // items 4,950..<5,025: both kinds
        #expect(odd.resources.count == 75 && odd.resources.filter { $0.id.hasPrefix("a") }.count == 25)
        let every = try (1...54).flatMap { try database.search("练习", page: $0, pageSize: 100).resources.map(\.id) }
        #expect(every.count == 5_300 && Set(every).count == 5_300)
        // Under the threshold the query is ranked by score: title matches first as well.
        let ranked = try database.search("课后练习", pageSize: 5)
        #expect(ranked.total == 300)
        // A query whose other words are found nowhere is not answered with everything that holds its one common word:
        // 光合作用 is in no resource, and 练习 is in 5,300.
        let unrelated = try database.search("光合作用练习")
        #expect(unrelated.total == 0)
    }

    @Test func removingABundleRemovesItFromSearch() throws {
        let (folder, database) = try Self.database()
        defer { withExtendedLifetime(folder) {} }
        try database.removeBundle(id: "grade3")
        #expect(try database.search("数学").total == 0)
    }
}
