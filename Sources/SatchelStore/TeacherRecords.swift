import Foundation
import GRDB

/// A teacher account on this node. Personal data is kept minimal: a login name, a display name, the platform-issued
/// teacher number where there is one, subjects, and a password hash.
public struct TeacherRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "teacher"
    /// Ids are stored as lowercase text, the form every other table uses to refer to a teacher.
    public static func databaseUUIDEncodingStrategy(for column: String) -> DatabaseUUIDEncodingStrategy {
        .lowercaseString
    }

    /// Who may do what.
    public enum Role: String, Codable, Sendable { case teacher, admin }
    /// Whether the account may log in.
    public enum Status: String, Codable, Sendable { case pending, active }

    public var id: UUID
    public var username: String
    public var name: String
    public var teacherNumber: String?
    /// Comma-separated subjects.
    public var subjects: String
    public var role: Role
    public var status: Status
    public var passwordHash: String
    public var createdAt: Date
    public var approvedAt: Date?

    public init(
        id: UUID = UUID(), username: String, name: String, teacherNumber: String?, subjects: String, role: Role,
        status: Status, passwordHash: String, createdAt: Date = Date(), approvedAt: Date? = nil
    ) {
        self.id = id
        self.username = username
        self.name = name
        self.teacherNumber = teacherNumber
        self.subjects = subjects
        self.role = role
        self.status = status
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.approvedAt = approvedAt
    }
}

/// A logged-in browser. Only a hash of the cookie's token is stored, so a copy of the database opens no session.
public struct SessionRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "session"
    public static func databaseUUIDEncodingStrategy(for column: String) -> DatabaseUUIDEncodingStrategy {
        .lowercaseString
    }

    public var tokenHash: String
    public var teacherId: UUID
    public var csrfToken: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(tokenHash: String, teacherId: UUID, csrfToken: String, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.teacherId = teacherId
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A teacher's progress in one training module.
public struct ModuleProgressRecord: Codable, Sendable, Hashable, FetchableRecord {
    public var teacherId: UUID
    public var bundleId: String
    public var resourceId: String
    public var secondsSpent: Int
    public var completedAt: Date?
    public var score: Double?
    public var creditedHours: Double
    /// When the teacher first opened the module's content (its entry file was served to their session).
    public var openedAt: Date?
}
