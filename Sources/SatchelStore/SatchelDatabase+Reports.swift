import Foundation
import GRDB

/// Usage of resources by subject and grade, for the school's report.
public struct UsageReportRow: Sendable, Hashable {
    public var subject: String
    public var grade: String
    public var views: Int
    public var downloads: Int
    public var seconds: Int
    public var bytes: Int64
}

/// One teacher's training totals in one course.
public struct TrainingReportRow: Sendable, Hashable {
    public var teacherId: UUID
    public var name: String
    public var teacherNumber: String?
    public var bundleId: String
    public var courseTitle: String
    public var modulesCompleted: Int
    public var modulesTotal: Int
    public var creditedHours: Double
    public var secondsSpent: Int
}

/// A search query and how often it was made, with its latest result count.
public struct SearchReportRow: Sendable, Hashable {
    public var query: String
    public var searches: Int
    public var results: Int
}

extension SatchelDatabase {
    /// Views, downloads, time and bytes by subject and grade, from `from` (a yyyy-MM-dd day) on.
    public func usageReport(from day: String = "0000-00-00") throws -> [UsageReportRow] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT COALESCE(r.subject, '') AS subject, COALESCE(r.grade, '') AS grade,
                        SUM(u.views) AS views, SUM(u.downloads) AS downloads, SUM(u.seconds) AS seconds,
                        SUM(u.bytes) AS bytes
                    FROM usageDaily u LEFT JOIN resource r ON r.bundleId = u.bundleId AND r.id = u.resourceId
                    WHERE u.day >= ?
                    GROUP BY 1, 2 ORDER BY views DESC, subject, grade
                    """,
                arguments: [day]
            ).map {
                UsageReportRow(
                    subject: $0["subject"], grade: $0["grade"], views: $0["views"],
                    downloads: $0["downloads"], seconds: $0["seconds"], bytes: $0["bytes"])
            }
        }
    }

    /// Every enrolment with modules completed and hours credited, by teacher name.
    public func trainingReport() throws -> [TrainingReportRow] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT t.id AS teacherId, t.name, t.teacherNumber, e.bundleId,
                        COALESCE(b.titleZh, e.bundleId) AS courseTitle,
                        (SELECT COUNT(*) FROM moduleProgress p WHERE p.teacherId = e.teacherId
                            AND p.bundleId = e.bundleId AND p.completedAt IS NOT NULL) AS completed,
                        (SELECT COUNT(*) FROM resource r WHERE r.bundleId = e.bundleId) AS total,
                        (SELECT COALESCE(SUM(creditedHours), 0) FROM moduleProgress p WHERE p.teacherId = e.teacherId
                            AND p.bundleId = e.bundleId AND p.completedAt IS NOT NULL) AS hours,
                        (SELECT COALESCE(SUM(secondsSpent), 0) FROM moduleProgress p WHERE p.teacherId = e.teacherId
                            AND p.bundleId = e.bundleId) AS seconds
                    FROM enrolment e JOIN teacher t ON t.id = e.teacherId LEFT JOIN bundle b ON b.id = e.bundleId
                    ORDER BY t.name, e.bundleId
                    """
            ).map {
                TrainingReportRow(
                    teacherId: UUID(uuidString: $0["teacherId"]) ?? UUID(), name: $0["name"],
                    teacherNumber: $0["teacherNumber"], bundleId: $0["bundleId"], courseTitle: $0["courseTitle"],
                    modulesCompleted: $0["completed"], modulesTotal: $0["total"], creditedHours: $0["hours"],
                    secondsSpent: $0["seconds"])
            }
        }
    }

    /// Searches that found nothing, most frequent first: what teachers look for and the node lacks.
    public func zeroResultSearches(limit: Int = 50) throws -> [SearchReportRow] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT query, SUM(searches) AS searches, MIN(results) AS results FROM searchDaily
                    GROUP BY query HAVING MAX(results) = 0 ORDER BY searches DESC, query LIMIT ?
                    """,
                arguments: [limit]
            ).map { SearchReportRow(query: $0["query"], searches: $0["searches"], results: $0["results"]) }
        }
    }
}
