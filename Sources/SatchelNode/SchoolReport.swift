import Foundation
import SatchelStore

/// The school's report as CSV: usage by subject and grade, training completion, and searches that found nothing.
/// Used by `satchel report` and the admin area.
public struct SchoolReport: Sendable {
    let database: SatchelDatabase

    /// Creates a report over a database.
    public init(database: SatchelDatabase) {
        self.database = database
    }

    /// The three tables, one after another, each with its own header line.
    public func csv() throws -> String {
        var lines = ["section,subject,grade,views,downloads,minutes,megabytes"]
        for row in try database.usageReport() {
            lines.append(
                Self.row([
                    "usage", row.subject, row.grade, String(row.views), String(row.downloads),
                    String(row.seconds / 60), String(format: "%.1f", Double(row.bytes) / 1_048_576),
                ]))
        }
        lines.append("")
        lines.append("section,teacher,teacher_number,course,modules_completed,modules_total,hours,minutes_spent")
        for row in try database.trainingReport() {
            lines.append(
                Self.row([
                    "training", row.name, row.teacherNumber ?? "", row.courseTitle,
                    String(row.modulesCompleted), String(row.modulesTotal),
                    String(format: "%.1f", row.creditedHours), String(row.secondsSpent / 60),
                ]))
        }
        lines.append("")
        lines.append("section,query,searches")
        for row in try database.zeroResultSearches() {
            lines.append(Self.row(["zero_result_search", row.query, String(row.searches)]))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One CSV line; fields with commas, quotes or line breaks are quoted, and a leading =, +, - or @ is neutralised
    /// so that spreadsheets do not run it as a formula.
    static func row(_ fields: [String]) -> String {
        fields.map { field in
            var value = field
            if let first = value.first, "=+-@".contains(first) { value = "'" + value }
            if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return value
        }.joined(separator: ",")
    }
}
