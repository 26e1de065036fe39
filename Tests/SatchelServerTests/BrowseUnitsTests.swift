import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SatchelServer
import SatchelTestSupport
import Testing

/// Browsing skips levels without a choice and reaches units (单元) where a bundle names them, through the real router.
@Suite struct BrowseUnitsTests {
    static let description = #"""
        {"title": {"zh": "四年级下册", "en": "Grade 4, second term"},
         "defaults": {"stage": "小学", "grade": "四年级", "subject": "数学", "edition": "人教版", "term": "下册"},
         "resources": [
           {"id": "north", "title": {"zh": "认识东南西北", "en": "Compass points"}, "type": "html",
            "unit": "第一单元 位置与方向", "entry": "north.html"},
           {"id": "map", "title": {"zh": "看地图找路线", "en": "Routes on a map"}, "type": "html",
            "unit": "第一单元 位置与方向", "entry": "map.html"},
           {"id": "divide", "title": {"zh": "口算除法", "en": "Mental division"}, "type": "html",
            "unit": "第二单元 除数是一位数的除法", "entry": "divide.html"},
           {"id": "review", "title": {"zh": "期末复习", "en": "Term review"}, "type": "html", "entry": "review.html"}
         ]}
        """#
    static let files = [
        "north.html": "<p>北</p>", "map.html": "<p>图</p>", "divide.html": "<p>除</p>",
        "review.html": "<p>复习</p>",
    ]

    static let term =
        "/browse?stage=%E5%B0%8F%E5%AD%A6&grade=%E5%9B%9B%E5%B9%B4%E7%BA%A7&subject=%E6%95%B0%E5%AD%A6"
        + "&edition=%E4%BA%BA%E6%95%99%E7%89%88&term=%E4%B8%8B%E5%86%8C"
    static let unitOne = "%E7%AC%AC%E4%B8%80%E5%8D%95%E5%85%83%20%E4%BD%8D%E7%BD%AE%E4%B8%8E%E6%96%B9%E5%90%91"

    static func makeApp() throws -> (TestNode, some ApplicationProtocol) {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(files, id: "g4", description: description))
        return (test, Application(router: buildRouter(node: test.node)))
    }

    @Test func browsingSkipsToTheTermThenOffersItsUnits() async throws {
        let (test, app) = try Self.makeApp()
        defer { withExtendedLifetime(test) {} }
        try await app.test(.router) { client in
            // One stage, grade, subject, edition and term: the first choice is the unit.
            for start in ["/browse", "/browse?stage=%E5%B0%8F%E5%AD%A6"] {
                try await client.execute(uri: start, method: .get) {
                    #expect($0.status == .seeOther)
                    #expect($0.headers[.location] == Self.term)
                }
            }
            try await client.execute(uri: "/browse?lang=en&page=1", method: .get) {
                #expect($0.headers[.location] == Self.term + "&page=1&lang=en")
            }
            try await client.execute(uri: Self.term, method: .get) {
                #expect($0.status == .ok)
                let html = String(buffer: $0.body)
                #expect(html.contains("<h2>单元</h2>"))
                #expect(html.contains("&amp;unit=\(Self.unitOne)\">第一单元 位置与方向 <span class=\"meta\">2</span>"))
                #expect(html.contains("第二单元 除数是一位数的除法 <span class=\"meta\">1</span>"))
                // The crumbs name every level skipped; a resource without a unit is listed under its term.
                for crumb in ["小学", "四年级", "数学", "人教版", "下册"] { #expect(html.contains(">\(crumb)</a>")) }
                for id in ["north", "map", "divide", "review"] { #expect(html.contains("/resources/g4/\(id)")) }
            }
            try await client.execute(uri: Self.term + "&unit=" + Self.unitOne, method: .get) {
                #expect($0.status == .ok)
                let html = String(buffer: $0.body)
                #expect(html.contains("<h1>第一单元 位置与方向</h1>"))
                #expect(html.contains("<span>第一单元 位置与方向</span>"), "the card shows the unit")
                #expect(html.contains("/resources/g4/north") && html.contains("/resources/g4/map"))
                #expect(!html.contains("/resources/g4/divide") && !html.contains("/resources/g4/review"))
                #expect(!html.contains("<h2>单元</h2>"))
            }
            try await client.execute(uri: "/api/v1/resources?unit=" + Self.unitOne, method: .get) {
                let json = try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any] ?? [:]
                let resources = json["resources"] as? [[String: Any]] ?? []
                #expect(resources.map { $0["id"] as? String } == ["map", "north"])
                #expect(resources.allSatisfy { $0["unit"] as? String == "第一单元 位置与方向" })
            }
            try await client.execute(uri: "/api/v1/facets", method: .get) {
                let json = try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any] ?? [:]
                let units = (json["facets"] as? [String: Any])?["unit"] as? [[String: Any]] ?? []
                #expect(units.map { $0["count"] as? Int } == [2, 1])
            }
            try await client.execute(
                uri: "/api/v1/search?q=%E4%BD%8D%E7%BD%AE%E4%B8%8E%E6%96%B9%E5%90%91", method: .get
            ) {
                let json = try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any] ?? [:]
                let ids = (json["results"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                #expect(ids.sorted() == ["map", "north"], "a unit's name finds its resources")
            }
        }
    }

    @Test func aValueOnlySomeResourcesHoldIsOfferedNotSkipped() async throws {
        let test = try TestNode()
        defer { withExtendedLifetime(test) {} }
        // One unit, but the review has none: skipping to the unit would hide it.
        let description = Self.description.replacingOccurrences(of: "第二单元 除数是一位数的除法", with: "第一单元 位置与方向")
        _ = try test.importer().importBundle(at: try test.pack(Self.files, id: "g4", description: description))
        let app = Application(router: buildRouter(node: test.node))
        try await app.test(.router) { client in
            try await client.execute(uri: Self.term, method: .get) {
                #expect($0.status == .ok)
                let html = String(buffer: $0.body)
                #expect(html.contains("第一单元 位置与方向 <span class=\"meta\">3</span>"))
                #expect(html.contains("/resources/g4/review"))
            }
        }
    }
}
