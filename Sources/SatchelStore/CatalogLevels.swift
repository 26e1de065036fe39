import GRDB
import Synchronization

/// The subject and grade of every resource, held in memory, for counting a search's facets.
///
/// A text search finds up to 5,000 resources in the full-text index in a millisecond or two, but counting their
/// subjects and grades read each row from the `resource` table: one B-tree descent per match, through pages the
/// node's 1 MiB cache rarely holds, 15 ms for 3,933 matches on a catalog of 100,000. This table answers the same
/// counts from two small arrays. It is read in one pass of the `resource_levels` index (about 30 ms for 100,000
/// resources) the first time a search needs it after the catalog changed, and costs 10 bytes per resource (1 MB for
/// 100,000). The values are kept once each; a resource's entry is an index into them.
struct CatalogLevels: Sendable {
    /// Resource rowids, ascending.
    private let rowids: [Int64]
    /// For each rowid, the index of its subject and its grade in `values` (0: none).
    private let subjects: [UInt16]
    private let grades: [UInt16]
    /// Distinct values; index 0 is the empty value.
    private let values: [String]

    /// Reads the table from the catalog.
    init(_ db: Database) throws {
        var entries: [(rowid: Int64, subject: UInt16, grade: UInt16)] = []
        var values = [""]
        var indexes = ["": UInt16(0)]
        func index(_ value: String?) -> UInt16 {
            guard let value, !value.isEmpty else { return 0 }
            if let known = indexes[value] { return known }
            // More distinct values than an index can hold: the rest count as none.
            guard values.count < Int(UInt16.max) else { return 0 }
            let new = UInt16(values.count)
            values.append(value)
            indexes[value] = new
            return new
        }
        // The index holds all three columns, so the table's pages are not read; it gives them in its own order.
        let cursor = try Row.fetchCursor(
            db, sql: "SELECT rowid, subject, grade FROM resource INDEXED BY resource_levels")
        while let row = try cursor.next() {
            entries.append((row[0], index(row[1]), index(row[2])))
        }
        entries.sort { $0.rowid < $1.rowid }
        rowids = entries.map(\.rowid)
        subjects = entries.map(\.subject)
        grades = entries.map(\.grade)
        self.values = values
    }

    /// The subjects and grades of the resources with these rowids (nil: of the whole catalog), counted, most common
    /// first.
    func facets(of matches: [Int64]?) -> [String: [FacetValue]] {
        var subjectCounts = [Int](repeating: 0, count: values.count)
        var gradeCounts = [Int](repeating: 0, count: values.count)
        if let matches {
            for rowid in matches {
                guard let position = position(of: rowid) else { continue }
                subjectCounts[Int(subjects[position])] += 1
                gradeCounts[Int(grades[position])] += 1
            }
        } else {
            for subject in subjects { subjectCounts[Int(subject)] += 1 }
            for grade in grades { gradeCounts[Int(grade)] += 1 }
        }
        func facet(_ counts: [Int]) -> [FacetValue]? {
            let found = counts.indices.dropFirst().filter { counts[$0] > 0 }
            guard !found.isEmpty else { return nil }
            return SatchelDatabase.sortedFacet(Dictionary(uniqueKeysWithValues: found.map { (values[$0], counts[$0]) }))
        }
        var result: [String: [FacetValue]] = [:]
        result["subject"] = facet(subjectCounts)
        result["grade"] = facet(gradeCounts)
        return result
    }

    /// The position of `rowid` in `rowids`, by binary search.
    private func position(of rowid: Int64) -> Int? {
        var low = 0
        var high = rowids.count
        while low < high {
            let middle = (low + high) / 2
            if rowids[middle] < rowid { low = middle + 1 } else { high = middle }
        }
        return low < rowids.count && rowids[low] == rowid ? low : nil
    }
}

/// The process's ``CatalogLevels``, read again when the catalog's version changes (an import or a removal, by this
/// process or another).
final class CatalogLevelsCache: Sendable {
    private let current = Mutex<(version: String, levels: CatalogLevels)?>(nil)

    /// The table for the catalog `db` sees, read from it when the one held is for another version.
    func levels(_ db: Database) throws -> CatalogLevels {
        let version = try SatchelDatabase.catalogVersion(db)
        if let held = current.withLock({ $0 }), held.version == version { return held.levels }
        let levels = try CatalogLevels(db)
        current.withLock { $0 = (version, levels) }
        return levels
    }
}
