import Foundation
import GRDB

extension SatchelDatabase {
    /// Adds a trusted publisher key; adding one that is already trusted changes nothing.
    ///
    /// - Returns: whether the key was new.
    @discardableResult
    public func trust(_ key: TrustedKeyRecord) throws -> Bool {
        try writer.write { db in
            if try TrustedKeyRecord.fetchOne(db, key: key.keyId) != nil { return false }
            try key.insert(db)
            return true
        }
    }

    /// The publisher keys added with `satchel trust add`.
    public func trustedKeys() throws -> [TrustedKeyRecord] {
        try writer.read { try TrustedKeyRecord.order(Column("addedAt")).fetchAll($0) }
    }

    /// Stops trusting a key.
    ///
    /// - Returns: whether the key was trusted.
    @discardableResult
    public func distrust(keyId: String) throws -> Bool {
        try writer.write { try TrustedKeyRecord.deleteOne($0, key: keyId) }
    }
}
