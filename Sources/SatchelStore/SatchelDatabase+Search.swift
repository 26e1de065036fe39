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
    /// The classification the query named and the results are filtered by, spelled as the catalog spells it; empty
    /// when the query named none or nothing matched with it.
    public var filter = Classification()
    /// The results counted by `subject` and by `grade`, most common first; empty for browsing, and for a search
    /// with more than ``SatchelDatabase/facetLimit`` results.
    public var facets: [String: [FacetValue]] = [:]
    /// When nothing matched: the deepest browse level the query's classification words reach (empty: the top).
    public var nearest = Classification()
    /// When nothing matched: words of the catalog's tags that share a character with the query, else its subjects.
    public var suggestions: [String] = []
}

/// The classification a teacher browses by: 学段 → 年级 → 学科 → 教材版本 → 册. Nil fields are not filtered.
public struct Classification: Sendable, Hashable, Codable {
    public var stage: String?
    public var grade: String?
    public var subject: String?
    public var edition: String?
    public var term: String?
    /// 单元: the level under the term, present only where bundles name units.
    public var unit: String?

    /// Creates a filter.
    public init(
        stage: String? = nil, grade: String? = nil, subject: String? = nil, edition: String? = nil,
        term: String? = nil, unit: String? = nil
    ) {
        self.stage = stage
        self.grade = grade
        self.subject = subject
        self.edition = edition
        self.term = term
        self.unit = unit
    }

    /// The browsing levels in order, with their column names.
    public static let levels = ["stage", "grade", "subject", "edition", "term", "unit"]

    /// The value filtered at `level`, if any.
    public func value(at level: String) -> String? {
        switch level {
        case "stage": stage
        case "grade": grade
        case "subject": subject
        case "edition": edition
        case "term": term
        case "unit": unit
        default: nil
        }
    }

    /// The first level not yet chosen, or nil when every level is chosen.
    public var nextLevel: String? { Self.levels.first { value(at: $0) == nil } }

    /// Sets the value filtered at `level` (one of ``levels``; others are ignored).
    public mutating func set(_ level: String, _ value: String?) {
        switch level {
        case "stage": stage = value
        case "grade": grade = value
        case "subject": subject = value
        case "edition": edition = value
        case "term": term = value
        case "unit": unit = value
        default: break
        }
    }

    /// Whether no level is filtered.
    public var isEmpty: Bool { Self.levels.allSatisfy { value(at: $0) == nil } }
}

/// A value of one classification level and how many resources have it.
public struct FacetValue: Sendable, Hashable, Codable {
    public var value: String
    public var count: Int
}

extension SatchelDatabase {
    /// Search as teachers type: classification words filter, the other words match with partial credit.
    ///
    /// The query is first understood (``SearchQuery``): the 学段, 年级, 学科, 教材版本 and 册 it names filter the
    /// results, where the catalog uses that value (in any of its spellings); a word the catalog does not use stays
    /// text. The rest is cut into terms (``SearchText/terms(of:)``: CJK pairs, Latin words), and a kind word (视频,
    /// 练习…) is one more term, met by the word or by the resource's type. A resource is a result when the terms it
    /// holds carry at least half of the query's weight, each term weighing its inverse document frequency and terms
    /// found nowhere not counting, so a missing 的 or 和 or a pair spanning two typed words does not lose a lesson.
    /// Results are ordered by that weight, doubled for terms in the title, then in catalog order. A query with
    /// only classification words lists those resources in catalog (textbook) order. When nothing matches, kind words
    /// are dropped, then edition and term, then every filter (the other words are matched without them); a query of
    /// classification words alone that matches nothing stays empty and names the nearest browse level instead.
    ///
    /// Any query is safe: every token is quoted, so it can never be FTS5 syntax; an empty or punctuation-only query
    /// gives no results, not an error.
    public func search(_ query: String, page: Int = 1, pageSize: Int = 20) throws -> SearchPage {
        let page = min(max(page, 1), 10_000)
        let pageSize = min(max(pageSize, 1), 100)
        let understood = SearchQuery(query)
        return try writer.read { db in
            let named = try Self.resolve(understood.levels, db)
            var unnamed = understood.levels.keys.filter { named[$0] == nil }.compactMap { understood.words[$0] }
            unnamed.sort()
            let text = ([understood.text] + unnamed).joined(separator: " ")
            var attempts = [SearchAttempt(filters: named, text: text, kinds: understood.kinds)]
            if !named.isEmpty && !understood.kinds.isEmpty {
                attempts.append(SearchAttempt(filters: named, text: text, kinds: []))
            }
            let broad = named.filter { $0.key != "edition" && $0.key != "term" }
            if broad.count < named.count { attempts.append(SearchAttempt(filters: broad, text: text, kinds: [])) }
            if !named.isEmpty && !SearchText.terms(of: text).isEmpty {
                attempts.append(SearchAttempt(filters: [:], text: text, kinds: understood.kinds))
            }
            var result = SearchPage(resources: [], total: 0, page: page, pageSize: pageSize)
            for attempt in attempts {
                result = try Self.run(attempt, db, page: page, pageSize: pageSize, levels: catalogLevels)
                if result.total > 0 { return result }
            }
            result.nearest = try Self.nearestBrowse(named.mapValues { $0[0] }, db)
            result.suggestions = try Self.suggestions(for: understood, db, levels: catalogLevels)
            return result
        }
    }

    /// A search with more results than this has no facets: counting them would cost more than the page.
    public static let facetLimit = 5_000

    /// One way of running a query: classification filters (level → catalog values), text, and kinds.
    struct SearchAttempt {
        var filters: [String: [String]]
        var text: String
        var kinds: [SearchQuery.Kind]
    }

    /// For each level the query names, the spellings of its value the catalog has, the usual one first.
    static func resolve(_ levels: [String: [String]], _ db: Database) throws -> [String: [String]] {
        var resolved: [String: [String]] = [:]
        for (level, spellings) in levels where Classification.levels.contains(level) {
            // One index probe per spelling: DISTINCT over IN (…) read every matching index entry (50,000 for 下册).
            let values = try spellings.filter { spelling in
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM resource WHERE \(level) = ?)"),
                    arguments: [spelling]) == true
            }
            if !values.isEmpty { resolved[level] = values }
        }
        return resolved
    }

    static func run(
        _ attempt: SearchAttempt, _ db: Database, page: Int, pageSize: Int, levels: CatalogLevelsCache
    ) throws -> SearchPage {
        var filters = attempt.filters
        var result = SearchPage(resources: [], total: 0, page: page, pageSize: pageSize)
        for (level, values) in filters { result.filter.set(level, values[0]) }
        let kindTerms = attempt.kinds.map { kind in
            "(" + (SearchText.phrase(kind.word).map { $0 + " OR " } ?? "") + "\"\(kind.type)\")"
        }
        let terms = SearchText.terms(of: attempt.text) + kindTerms
        guard !terms.isEmpty else {
            return filters.isEmpty ? result : try listing(filters, db, into: result)
        }
        let (condition, arguments) = filterClause(filters)
        let allowed: Set<Int64>? =
            filters.isEmpty
            ? nil
            : Set(try Int64.fetchAll(db, sql: "SELECT rowid FROM resource WHERE \(condition)", arguments: arguments))
        // Each term's resources, read up to `commonTermLimit`: a term in more than that many is too common to weigh.
        var rare: [(term: String, rowids: [Int64])] = []
        var common: [String] = []
        for term in terms {
            var rowids = try Self.rowids(db, term, limit: commonTermLimit + 1)
            if rowids.count > commonTermLimit {
                common.append(term)
                continue
            }
            if let allowed { rowids.removeAll { !allowed.contains($0) } }
            if !rowids.isEmpty { rare.append((term, rowids)) }
        }
        if rare.isEmpty {
            guard !common.isEmpty else { return result }
            if filters.isEmpty {
                // Only words found everywhere matched. When they are less than half of what was typed, the rest
                // found nothing: 光合作用 in a catalog without it matched only 合作 of the descriptions' 合作交流, and
                // listed every resource. That is no result, and the page offers what exists instead.
                guard common.count * 2 >= terms.count else { return result }
                return try commonListing(common, db, into: result)
            }
            // Common words beside a classification: the kinds asked for filter by type, the other words add nothing.
            let types = attempt.kinds.map(\.type)
            if !types.isEmpty {
                filters["type"] = types
                let typed = try listing(filters, db, into: result)
                if typed.total > 0 { return typed }
                filters["type"] = nil
            }
            return try listing(filters, db, into: result)
        }
        let documents = Double(try Int64.fetchOne(db, sql: "SELECT MAX(rowid) FROM resource") ?? 0)
        var score: [Int64: Double] = [:]
        var covered: [Int64: Double] = [:]
        var weight = 0.0
        for (term, rowids) in rare {
            let idf = log(1 + max(documents, Double(rowids.count)) / Double(rowids.count))
            weight += idf
            for rowid in rowids {
                covered[rowid, default: 0] += idf
                score[rowid, default: 0] += idf
            }
            for rowid in try Self.rowids(db, "{title} : \(term)", limit: commonTermLimit) where covered[rowid] != nil {
                score[rowid, default: 0] += idf
            }
        }
        let hits = covered.filter { $0.value >= weight * 0.5 - 1e-9 }.keys.sorted {
            let (left, right) = (score[$0]!, score[$1]!)
            return left != right ? left > right : $0 < $1
        }
        result.total = hits.count
        let pageRows = Array(hits.dropFirst((page - 1) * pageSize).prefix(pageSize))
        let records = try Self.resources(db, rowids: pageRows)
        result.resources = pageRows.compactMap { records[$0] }
        if hits.count <= facetLimit {
            result.facets = try levels.levels(db).facets(of: hits)
        }
        return result
    }

    /// A term in more resources than this is too common to weigh: reading them all would cost more than a page.
    static let commonTermLimit = 5_000

    /// The resources matching `filters` (level or `type` → values), in catalog order, with subject and grade facets.
    static func listing(_ filters: [String: [String]], _ db: Database, into page: SearchPage) throws -> SearchPage {
        var result = page
        let (condition, arguments) = filterClause(filters)
        // One pass counts the total and both facets.
        var counts: [String: [String: Int]] = [:]
        for row in try Row.fetchAll(
            db,
            sql: "SELECT subject, grade, COUNT(*) AS count FROM resource WHERE \(condition) GROUP BY subject, grade",
            arguments: arguments)
        {
            let count: Int = row["count"]
            result.total += count
            for level in ["subject", "grade"] {
                guard let value: String = row[level], !value.isEmpty else { continue }
                counts[level, default: [:]][value, default: 0] += count
            }
        }
        result.facets = counts.mapValues(sortedFacet)
        result.resources = try ResourceRecord.fetchAll(
            db, sql: "SELECT * FROM resource WHERE \(condition) ORDER BY rowid LIMIT ? OFFSET ?",
            arguments: arguments + [page.pageSize, (page.page - 1) * page.pageSize])
        return result
    }

    /// Counts of values as facet values, most common first.
    static func sortedFacet(_ counts: [String: Int]) -> [FacetValue] {
        counts.map { FacetValue(value: $0.key, count: $0.value) }.sorted {
            $0.count != $1.count ? $0.count > $1.count : $0.value < $1.value
        }
    }

    /// The values of `level` (one of ``Classification/levels``) among resources meeting `condition`, with counts,
    /// most common first.
    static func facetCounts(
        _ db: Database, _ level: String, condition: String, arguments: StatementArguments
    ) throws -> [FacetValue] {
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

    /// Resources holding every one of `terms`, each too common to weigh: those with all of them in the title
    /// first, then the others, each in catalog order, counted up to 10,000.
    static func commonListing(_ terms: [String], _ db: Database, into page: SearchPage) throws -> SearchPage {
        var result = page
        let match = terms.joined(separator: " AND ")
        let titleMatch = "{title} : (\(match))"
        let offset = (page.page - 1) * page.pageSize
        result.total = try countMatches(db, match)
        var hits = try pageOfMatches(db, match: titleMatch, limit: page.pageSize, offset: offset)
        if hits.count < page.pageSize {
            let titleTotal = hits.isEmpty ? try countMatches(db, titleMatch) : offset + hits.count
            hits += try pageOfMatches(
                db, match: "(\(match)) NOT \(titleMatch)", limit: page.pageSize - hits.count,
                offset: max(0, offset - titleTotal))
        }
        result.resources = hits
        return result
    }

    /// How many resources match `match`, counting up to 10,000.
    static func countMatches(_ db: Database, _ match: String) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(
                sql: "SELECT COUNT(*) FROM (SELECT 1 FROM resourceSearch WHERE resourceSearch MATCH ? LIMIT 10000)"),
            arguments: [match]) ?? 0
    }

    /// One page of the resources matching `match`, in catalog order.
    static func pageOfMatches(_ db: Database, match: String, limit: Int, offset: Int) throws -> [ResourceRecord] {
        try ResourceRecord.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT resource.* FROM resourceSearch JOIN resource ON resource.rowid = resourceSearch.rowid
                    WHERE resourceSearch MATCH ? ORDER BY resourceSearch.rowid LIMIT ? OFFSET ?
                    """),
            arguments: [match, limit, offset])
    }

    /// The rowids (the `resource` rowids) of the index rows matching one FTS5 expression.
    static func rowids(_ db: Database, _ match: String, limit: Int) throws -> [Int64] {
        try Int64.fetchAll(
            db.cachedStatement(sql: "SELECT rowid FROM resourceSearch WHERE resourceSearch MATCH ? LIMIT ?"),
            arguments: [match, limit])
    }

    /// The resources with these rowids, by rowid.
    static func resources(_ db: Database, rowids: [Int64]) throws -> [Int64: ResourceRecord] {
        guard !rowids.isEmpty else { return [:] }
        let list = rowids.map(String.init).joined(separator: ",")
        var records: [Int64: ResourceRecord] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT rowid AS position, * FROM resource WHERE rowid IN (\(list))") {
            records[row["position"]] = try ResourceRecord(row: row)
        }
        return records
    }

    /// `level IN (values) AND …` for each filtered level (or `type`); other keys are ignored, so no name reaches SQL
    /// unless it is one of ours.
    static func filterClause(_ filters: [String: [String]]) -> (String, StatementArguments) {
        var conditions = ["1"]
        var arguments = StatementArguments()
        for level in Classification.levels + ["type"] {
            guard let values = filters[level], !values.isEmpty else { continue }
            conditions.append("\(level) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))")
            arguments += StatementArguments(values)
        }
        return (conditions.joined(separator: " AND "), arguments)
    }

    /// The deepest browse level that `named` reaches: each level in order takes the named value while resources
    /// have it, and a level the query skipped (the 学段 of 三年级) takes its most common value under the next
    /// named one.
    static func nearestBrowse(_ named: [String: String], _ db: Database) throws -> Classification {
        var filter = Classification()
        for (index, level) in Classification.levels.enumerated() {
            if let value = named[level] {
                var trial = filter
                trial.set(level, value)
                let (condition, arguments) = filterClause(Self.filters(trial))
                guard
                    try Bool.fetchOne(
                        db, sql: "SELECT EXISTS (SELECT 1 FROM resource WHERE \(condition))", arguments: arguments)
                        == true
                else { break }
                filter = trial
                continue
            }
            guard let deeper = Classification.levels[(index + 1)...].first(where: { named[$0] != nil }) else { break }
            var probe = filter
            probe.set(deeper, named[deeper])
            let (condition, arguments) = filterClause(Self.filters(probe))
            guard
                let value = try String.fetchOne(
                    db,
                    sql: """
                        SELECT \(level) FROM resource WHERE \(level) IS NOT NULL AND \(level) != '' AND \(condition)
                        GROUP BY \(level) ORDER BY COUNT(*) DESC, \(level) LIMIT 1
                        """,
                    arguments: arguments)
            else { break }
            filter.set(level, value)
        }
        return filter
    }

    /// `classification` as filters for ``filterClause(_:)``; an empty value filters nothing.
    static func filters(_ classification: Classification) -> [String: [String]] {
        var filters: [String: [String]] = [:]
        for level in Classification.levels {
            if let value = classification.value(at: level), !value.isEmpty { filters[level] = [value] }
        }
        return filters
    }

    /// Up to eight tags of the catalog sharing a character with the query's text, most common first; failing that,
    /// the catalog's subjects.
    static func suggestions(
        for query: SearchQuery, _ db: Database, levels: CatalogLevelsCache
    ) throws -> [String] {
        var counts: [String: Int] = [:]
        for character in SearchText.contentCharacters(of: query.text).prefix(8) {
            let rows = try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT tags FROM resource WHERE tags IS NOT NULL AND rowid IN (
                            SELECT rowid FROM resourceSearch WHERE resourceSearch MATCH ? LIMIT 50)
                        """),
                arguments: ["\"\(character)\""])
            for tag in rows.flatMap({ $0.split(separator: "\n") }) where tag.contains(character) {
                counts[String(tag), default: 0] += 1
            }
        }
        let tags = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        if !tags.isEmpty { return Array(tags.prefix(8)) }
        return try levels.levels(db).facets(of: nil)["subject"]?.prefix(8).map(\.value) ?? []
    }

    /// Merges the full-text index into one segment and refreshes the query planner's statistics of the catalog.
    /// Each import adds segments (and a removal, tombstones), and a query reads every segment: on 100,000 resources
    /// imported as ten bundles this halves the time to count a common word's matches. It rewrites the index, about
    /// 0.3 s for 100,000 resources, once per import.
    static func optimizeSearchIndex(_ db: Database) throws {
        try db.execute(sql: "INSERT INTO resourceSearch (resourceSearch) VALUES ('optimize')")
        try analyzeCatalog(db)
    }

    /// Gives SQLite's planner the catalog's statistics (`sqlite_stat1`). Without them it guesses that every index
    /// is as selective as any other, and a query naming four levels (人教版四年级数学下册) walked the `term` index,
    /// half the catalog, instead of `resource_levels`, which names all four; about 0.2 s for 100,000 resources.
    static func analyzeCatalog(_ db: Database) throws {
        try db.execute(sql: "ANALYZE resource")
    }

    /// The values of `level` among resources matching `filter`, with counts, most common first.
    public func facet(_ level: String, filter: Classification) throws -> [FacetValue] {
        guard Classification.levels.contains(level) else { return [] }
        let (condition, arguments) = Self.filterClause(Self.filters(filter))
        return try writer.read { db in
            try Self.facetCounts(db, level, condition: condition, arguments: arguments)
        }
    }

    /// Resources matching `filter`, by title, paged.
    public func browse(_ filter: Classification, page: Int = 1, pageSize: Int = 50) throws -> SearchPage {
        let page = min(max(page, 1), 10_000)
        let pageSize = min(max(pageSize, 1), 200)
        let (condition, arguments) = Self.filterClause(Self.filters(filter))
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

    /// Writes one `resource` row into the full-text index, under the resource's rowid when the row has one.
    static func indexResource(_ db: Database, row: Row) throws {
        func text(_ columns: [String]) -> String {
            columns.compactMap { column -> String? in row[column] }.joined(separator: " ")
        }
        let title = text(["titleZh", "titleEn"])
        let body = text([
            "descriptionZh", "descriptionEn", "tags", "stage", "grade", "subject", "edition", "term", "unit", "type",
        ])
        try db.execute(
            sql: "INSERT INTO resourceSearch (rowid, bundleId, resourceId, title, body) VALUES (?, ?, ?, ?, ?)",
            arguments: [
                row["rowid"] as Int64?, row["bundleId"] as String, row["id"] as String, SearchText.indexForm(title),
                SearchText.indexForm(body),
            ]
        )
    }
}
