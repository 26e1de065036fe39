import Foundation
import GRDB

/// What status pages, health checks and metrics count.
public struct StoreCounts: Sendable, Hashable {
    public var bundles: Int
    public var resources: Int
    /// Bytes of the distinct blobs installed bundles reference.
    public var storeBytes: Int64
    public var teachers: Int
    /// Teacher accounts waiting for an administrator's approval.
    public var pendingTeachers: Int
}

extension SatchelDatabase {
    /// The catalog and account counts, read in one transaction.
    public func counts() throws -> StoreCounts {
        try writer.read { db in
            StoreCounts(
                bundles: try BundleRecord.fetchCount(db), resources: try ResourceRecord.fetchCount(db),
                storeBytes: try Self.storeBytes(db), teachers: try TeacherRecord.fetchCount(db),
                pendingTeachers: try TeacherRecord.filter(Column("status") == TeacherRecord.Status.pending.rawValue)
                    .fetchCount(db))
        }
    }

    /// The LAN peers this node knows, by address.
    public func peerURLs() throws -> [String] {
        try writer.read { try String.fetchAll($0, sql: "SELECT url FROM peer ORDER BY url") }
    }

    /// SQLite's quick integrity check: `ok`, or what is damaged.
    public func quickCheck() throws -> String? {
        try writer.read { try String.fetchOne($0, sql: "PRAGMA quick_check") }
    }
}
