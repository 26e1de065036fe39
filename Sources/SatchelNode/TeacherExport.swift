import Foundation
import SatchelStore

/// One teacher's data as JSON, for `satchel teachers export` and the teacher's own "export my data" link: the
/// account without its password hash, enrolments and module progress, favourites, recently opened resources and lesson
/// plans.
public struct TeacherExport: Sendable {
    let database: SatchelDatabase

    /// Creates an exporter over a database.
    public init(database: SatchelDatabase) {
        self.database = database
    }

    /// Everything the node holds about one teacher, as exported.
    public struct Document: Encodable, Sendable {
        var id: UUID
        var username: String
        var name: String
        var teacherNumber: String?
        var subjects: String
        var role: String
        var status: String
        var createdAt: Date
        var enrolments: [String]
        var progress: [Progress]
        var favourites: [Resource]
        var recentlyOpened: [Resource]
        var lessonPlans: [LessonPlan]
    }

    /// A resource named in an export.
    public struct Resource: Encodable, Sendable {
        var bundleId: String
        var resourceId: String
        /// The title, when the resource is still in the catalog.
        var title: String?
    }

    /// A lesson plan (备课篮) in an export.
    public struct LessonPlan: Encodable, Sendable {
        var title: String
        var className: String?
        var createdAt: Date
        var resources: [Resource]
    }

    /// One module's progress in an export.
    public struct Progress: Encodable, Sendable {
        var bundleId: String
        var resourceId: String
        var secondsSpent: Int
        var completedAt: Date?
        var score: Double?
        var creditedHours: Double
    }

    /// The export of `teacher`.
    public func document(for teacher: TeacherRecord) throws -> Document {
        Document(
            id: teacher.id, username: teacher.username, name: teacher.name, teacherNumber: teacher.teacherNumber,
            subjects: teacher.subjects, role: teacher.role.rawValue, status: teacher.status.rawValue,
            createdAt: teacher.createdAt, enrolments: try database.enrolments(teacherId: teacher.id).map(\.bundleId),
            progress: try database.progress(teacherId: teacher.id).map {
                Progress(
                    bundleId: $0.bundleId, resourceId: $0.resourceId, secondsSpent: $0.secondsSpent,
                    completedAt: $0.completedAt, score: $0.score, creditedHours: $0.creditedHours)
            },
            favourites: try database.favourites(teacherId: teacher.id).map(Self.resource),
            recentlyOpened: try database.recentViews(teacherId: teacher.id).map { Self.resource($0.0) },
            lessonPlans: try database.lessonPlans(teacherId: teacher.id).map { plan in
                let items = try database.lessonPlan(id: plan.id, teacherId: teacher.id)?.1 ?? []
                return LessonPlan(
                    title: plan.title, className: plan.className, createdAt: plan.createdAt,
                    resources: items.map {
                        Resource(bundleId: $0.bundleId, resourceId: $0.resourceId, title: $0.resource?.titleZh)
                    })
            })
    }

    private static func resource(_ record: ResourceRecord) -> Resource {
        Resource(bundleId: record.bundleId, resourceId: record.id, title: record.titleZh)
    }

    /// The teacher's data as pretty-printed JSON.
    public func json(for teacher: TeacherRecord) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(try document(for: teacher)), as: UTF8.self)
    }
}
