import Foundation
import SatchelCore
import SatchelStore

/// The school's report as CSV: usage by subject and grade, training completion, and searches that found nothing.
/// Used by `satchel report` and the admin area.
public struct SchoolReport: Sendable {
    let database: SatchelDatabase

    /// Creates a report over a database.
    public init(database: SatchelDatabase) {
        self.database = database
    }

    /// The three tables, one after another, each with its own header line, for a spreadsheet: headers and section
    /// names in `language` (Chinese by default; English gives the column names scripts have used since the
    /// report began), preceded by a UTF-8 byte order mark unless `byteOrderMark` is false.
    public func csv(language: Language = .chinese, byteOrderMark: Bool = true) throws -> String {
        let english = language == .english
        func header(_ zh: [String], _ en: [String]) -> String { CSVText.row(english ? en : zh) }
        let sections = (
            usage: english ? "usage" : "资源使用", training: english ? "training" : "培训",
            zero: english ? "zero_result_search" : "无结果搜索"
        )
        var lines = [
            header(
                ["类别", "学科", "年级", "浏览次数", "下载次数", "使用分钟", "流量（MB）"],
                ["section", "subject", "grade", "views", "downloads", "minutes", "megabytes"])
        ]
        for row in try database.usageReport() {
            lines.append(
                CSVText.row([
                    sections.usage, row.subject, row.grade, String(row.views), String(row.downloads),
                    String(row.seconds / 60), String(format: "%.1f", Double(row.bytes) / 1_000_000),
                ]))
        }
        lines.append("")
        lines.append(
            header(
                ["类别", "教师", "教师编号", "课程", "完成单元", "单元总数", "认定学时", "学习分钟"],
                [
                    "section", "teacher", "teacher_number", "course", "modules_completed", "modules_total", "hours",
                    "minutes_spent",
                ]))
        for row in try database.trainingReport() {
            lines.append(
                CSVText.row([
                    sections.training, row.name, row.teacherNumber ?? "", row.courseTitle,
                    String(row.modulesCompleted), String(row.modulesTotal),
                    String(format: "%.1f", row.creditedHours), String(row.secondsSpent / 60),
                ]))
        }
        lines.append("")
        lines.append(header(["类别", "搜索词", "搜索次数"], ["section", "query", "searches"]))
        for row in try database.zeroResultSearches() {
            lines.append(CSVText.row([sections.zero, row.query, String(row.searches)]))
        }
        return (byteOrderMark ? CSVText.byteOrderMark : "") + lines.joined(separator: "\n") + "\n"
    }
}
