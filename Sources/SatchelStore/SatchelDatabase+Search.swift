import Foundation
import GRDB
import SatchelCore

/// One page of search results.
public struct SearchPage: Sendable {
    /// The resources on this page, best match first.
    public var resources: [ResourceRecord]
    /// How many resources match in all.
    public var total: Int
    /// The page number, from 1.
    public var page: Int
    /// Results per page.
    public var pageSize: Int
}

/// The classification a teacher browses by: 学段 → 年级 → 学科 → 教材版本 → 册. Nil fields are not filtered.
public struct Classification: Sendable, Hashable, Codable {
    public var stage: String?
    public var grade: String?
    public var subject: String?
    public var edition: String?
    public var term: String?

    /// Creates a filter.
    public init(
        stage: String? = nil, grade: String? = nil, subject: String? = nil, edition: String? = nil,
        term: String? = nil
    ) {
        self.stage = stage
        self.grade = grade
        self.subject = subject
        self.edition = edition
        self.term = term
    }

    /// The browsing levels in order, with their column names.
    public static let levels = ["stage", "grade", "subject", "edition", "term"]

    /// The value filtered at `level`, if any.
    public func value(at level: String) -> String? {
        switch level {
        case "stage": stage
        case "grade": grade
        case "subject": subject
        case "edition": edition
        case "term": term
        default: nil
        }
    }

    /// The first level not yet chosen, or nil when every level is chosen.
    public var nextLevel: String? { Self.levels.first { value(at: $0) == nil } }
}

/// A value of one classification level and how many resources have it.
public struct FacetValue: Sendable, Hashable, Codable {
    public var value: String
    public var count: Int
}

extension SatchelDatabase {
    /// Ranked full-text search over titles, descriptions, tags and classification, Chinese and English.
    ///
    /// Any query a user types is safe: it is tokenized and quoted (``SearchText/matchExpression(_:)``), so it can
    /// never be FTS5 syntax; an empty or punctuation-only query gives no results, not an error.
    public func search(_ query: String, page: Int = 1, pageSize: Int = 20) throws -> SearchPage {
        let page = min(max(page, 1), 10_000)
        let pageSize = min(max(pageSize, 1), 100)
        guard let match = SearchText.matchExpression(query) else {
            return SearchPage(resources: [], total: 0, page: page, pageSize: pageSize)
        }
        return try writer.read { db in
            let total = try Self.countMatches(db, match)
            let offset = (page - 1) * pageSize
            let resources: [ResourceRecord]
            if total <= Self.rankedMatchLimit {
                // FTS5 ranks and limits inside the index (ORDER BY rank, with the weights the v4 migration sets);
                // only the page's rows are then joined to `resource`.
                resources = try Self.searchPage(db, match: match, ranked: true, limit: pageSize, offset: offset)
            } else {
                // Ranking scores every match (3-4 µs each on the development machine, more on a small board), so
                // a query matching more than `rankedMatchLimit` resources is ordered the way its ranking mostly
                // would be: resources whose title matches first, then those that match only in their description
                // or tags, each in catalog order. The title matches are counted only when the page lies past them.
                let titleMatch = "{title} : (\(match))"
                var hits = try Self.searchPage(db, match: titleMatch, ranked: false, limit: pageSize, offset: offset)
                if hits.count < pageSize {
                    let titleTotal = hits.isEmpty ? try Self.countMatches(db, titleMatch) : offset + hits.count
                    hits += try Self.searchPage(
                        db, match: "(\(match)) NOT \(titleMatch)", ranked: false, limit: pageSize - hits.count,
                        offset: max(0, offset - titleTotal))
                }
                resources = hits
            }
            return SearchPage(resources: resources, total: total, page: page, pageSize: pageSize)
        }
    }

    /// Queries matching more resources than this are not ranked by score (see ``search(_:page:pageSize:)``).
    static let rankedMatchLimit = 5_000

    /// How many resources match `match`, counting up to 10,000: past that a teacher refines the query, and a common
    /// word on a big catalog would otherwise cost a scan of all its matches.
    static func countMatches(_ db: Database, _ match: String) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(
                sql: "SELECT COUNT(*) FROM (SELECT 1 FROM resourceSearch WHERE resourceSearch MATCH ? LIMIT 10000)"),
            arguments: [match]) ?? 0
    }

    /// One page of the resources matching `match`, by score when `ranked`, else in catalog (index) order.
    static func searchPage(
        _ db: Database, match: String, ranked: Bool, limit: Int, offset: Int
    ) throws
        -> [ResourceRecord]
    {
        try ResourceRecord.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT resource.* FROM (
                        SELECT bundleId, resourceId, \(ranked ? "rank" : "rowid") AS position FROM resourceSearch
                        WHERE resourceSearch MATCH ? \(ranked ? "ORDER BY rank" : "") LIMIT ? OFFSET ?
                    ) AS hit
                    JOIN resource ON resource.bundleId = hit.bundleId AND resource.id = hit.resourceId
                    ORDER BY hit.position, resource.titleZh
                    """),
            arguments: [match, limit, offset]
        )
    }

    /// Merges the full-text index into one segment. Each import adds segments (and a removal, tombstones), and a
    /// query reads every segment: on 100,000 resources imported as ten bundles this halves the time to count a
    /// common word's matches. It rewrites the index, about 0.3 s for 100,000 resources, once per import.
    static func optimizeSearchIndex(_ db: Database) throws {
        try db.execute(sql: "INSERT INTO resourceSearch (resourceSearch) VALUES ('optimize')")
    }

    /// The values of `level` among resources matching `filter`, with counts, most common first.
    public func facet(_ level: String, filter: Classification) throws -> [FacetValue] {
        guard Classification.levels.contains(level) else { return [] }
        let (condition, arguments) = Self.whereClause(filter)
        return try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(level) AS value, COUNT(*) AS count FROM resource
                    WHERE \(level) IS NOT NULL AND \(level) != '' AND \(condition)
                    GROUP BY \(level) ORDER BY count DESC, value
                    """,
                arguments: arguments
            ).map { FacetValue(value: $0["value"], count: $0["count"]) }
        }
    }

    /// Resources matching `filter`, by title, paged.
    public func browse(_ filter: Classification, page: Int = 1, pageSize: Int = 50) throws -> SearchPage {
        let page = min(max(page, 1), 10_000)
        let pageSize = min(max(pageSize, 1), 200)
        let (condition, arguments) = Self.whereClause(filter)
        return try writer.read { db in
            let total =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM resource WHERE \(condition)",
                    arguments: arguments) ?? 0
            var pageArguments = arguments
            pageArguments += [pageSize, (page - 1) * pageSize]
            let resources = try ResourceRecord.fetchAll(
                db, sql: "SELECT * FROM resource WHERE \(condition) ORDER BY titleZh, bundleId, id LIMIT ? OFFSET ?",
                arguments: pageArguments)
            return SearchPage(resources: resources, total: total, page: page, pageSize: pageSize)
        }
    }

    /// How many resources are installed.
    public func resourceCount() throws -> Int {
        try writer.read { try ResourceRecord.fetchCount($0) }
    }

    private static func whereClause(_ filter: Classification) -> (String, StatementArguments) {
        var conditions = ["1"]
        var arguments = StatementArguments()
        for level in Classification.levels {
            if let value = filter.value(at: level), !value.isEmpty {
                conditions.append("\(level) = ?")
                arguments += [value]
            }
        }
        return (conditions.joined(separator: " AND "), arguments)
    }

    /// Writes one `resource` row into the full-text index.
    static func indexResource(_ db: Database, row: Row) throws {
        func text(_ columns: [String]) -> String {
            columns.compactMap { column -> String? in row[column] }.joined(separator: " ")
        }
        let title = text(["titleZh", "titleEn"])
        let body = text([
            "descriptionZh", "descriptionEn", "tags", "stage", "grade", "subject", "edition", "term", "type",
        ])
        try db.execute(
            sql: "INSERT INTO resourceSearch (bundleId, resourceId, title, body) VALUES (?, ?, ?, ?)",
            arguments: [
                row["bundleId"] as String, row["id"] as String, SearchText.indexForm(title),
                SearchText.indexForm(body),
            ]
        )
    }
}
