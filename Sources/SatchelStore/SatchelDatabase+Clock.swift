import Foundation
import GRDB
import SatchelCore

extension SatchelDatabase {
    /// The sync-state key under which the clock anchors of recent boots are kept (JSON of ``ClockAnchors``).
    static let clockAnchorsKey = "clockAnchors"

    /// The true times learned in recent boots; empty when none was learned or the stored value is unreadable.
    public func clockAnchors() throws -> ClockAnchors {
        try writer.read { try Self.clockAnchors($0) }
    }

    /// Keeps `anchor` (see ``ClockAnchors/learn(_:)`` for which anchors win), read and written in one transaction so
    /// that the server and a sync session learning at once do not lose each other's anchors. Returns whether it
    /// changed anything.
    @discardableResult
    public func learnClock(_ anchor: ClockAnchor) throws -> Bool {
        try writer.write { db in
            var anchors = try Self.clockAnchors(db)
            guard anchors.learn(anchor) else { return false }
            let text = String(decoding: try JSONEncoder().encode(anchors), as: UTF8.self)
            try db.execute(
                sql:
                    "INSERT INTO syncState (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [Self.clockAnchorsKey, text])
            return true
        }
    }

    private static func clockAnchors(_ db: Database) throws -> ClockAnchors {
        guard
            let text = try String.fetchOne(
                db, sql: "SELECT value FROM syncState WHERE key = ?", arguments: [clockAnchorsKey]),
            let anchors = try? JSONDecoder().decode(ClockAnchors.self, from: Data(text.utf8))
        else { return ClockAnchors() }
        return anchors
    }
}
