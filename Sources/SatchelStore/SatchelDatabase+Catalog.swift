import Foundation
import GRDB
import SatchelCore

extension SatchelDatabase {
    /// Installs `manifest` as the served version of its bundle, replacing any previous version in one transaction, so
    /// readers see the old version or the new one and never a mix.
    ///
    /// The caller must already have every blob the manifest names in the blob store.
    public func install(manifest: Manifest, manifestData: Data, signature: Data, at date: Date = Date()) throws {
        try writer.write { db in
            let record = BundleRecord(
                id: manifest.id, version: manifest.version, titleZh: manifest.title.zh, titleEn: manifest.title.en,
                kind: manifest.kind.rawValue, publisherKey: manifest.publisherKey, created: manifest.created,
                installedAt: date, totalSize: manifest.totalSize, fileCount: manifest.files.count,
                manifest: manifestData, signature: signature
            )
            try record.upsert(db)
            try BundleFileRecord.filter(Column("bundleId") == manifest.id).deleteAll(db)
            var sizes: [String: Int64] = [:]
            for file in manifest.files {
                sizes[file.path] = file.size
                try BundleFileRecord(
                    bundleId: manifest.id, path: file.path, sha256: file.sha256, size: file.size,
                    mediaType: file.mediaType
                ).insert(db)
            }
            try db.execute(sql: "DELETE FROM resourceSearch WHERE bundleId = ?", arguments: [manifest.id])
            let keep = Set(manifest.resources.map(\.id))
            try ResourceRecord.filter(Column("bundleId") == manifest.id).filter(!keep.contains(Column("id")))
                .deleteAll(db)
            for resource in manifest.resources {
                try ResourceRecord(
                    bundleId: manifest.id, id: resource.id, titleZh: resource.title.zh, titleEn: resource.title.en,
                    type: resource.type, stage: resource.stage, grade: resource.grade, subject: resource.subject,
                    edition: resource.edition, term: resource.term, language: resource.language,
                    entry: resource.entry, descriptionZh: resource.description?.zh,
                    descriptionEn: resource.description?.en, tags: resource.tags?.joined(separator: "\n"),
                    creditHours: resource.creditHours, entrySize: sizes[resource.entry] ?? 0, updatedAt: date,
                    minimumMinutes: resource.minimumMinutes,
                    quiz: try resource.quiz.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) },
                    unit: resource.unit
                ).upsert(db)
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT rowid, * FROM resource WHERE bundleId = ?", arguments: [manifest.id])
            {
                try SatchelDatabase.indexResource(db, row: row)
            }
            try SatchelDatabase.optimizeSearchIndex(db)
        }
    }

    /// The served file at `path` in bundle `bundleId`, or nil: the content route's lookup, read without blocking.
    ///
    /// One prepared statement and only the columns serving needs, not the bundle's manifest, which can be megabytes.
    public func contentFile(bundleId: String, path: String) async throws -> ContentFileRecord? {
        try await writer.read { db -> ContentFileRecord? in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT bundleFile.sha256, bundleFile.size, bundleFile.mediaType, bundle.installedAt,
                                (SELECT id FROM resource WHERE resource.bundleId = bundleFile.bundleId
                                    AND resource.entry = bundleFile.path LIMIT 1) AS resourceId
                            FROM bundleFile JOIN bundle ON bundle.id = bundleFile.bundleId
                            WHERE bundleFile.bundleId = ? AND bundleFile.path = ?
                            """),
                    arguments: [bundleId, path])
            else { return nil }
            return ContentFileRecord(
                sha256: row["sha256"], size: row["size"], mediaType: row["mediaType"],
                installedAt: row["installedAt"], resourceId: row["resourceId"])
        }
    }

    /// A value that changes whenever a bundle is installed, replaced or removed, by this process or another: what
    /// caches of the catalog compare to know they are stale.
    public func catalogVersion() async throws -> String {
        try await writer.read(Self.catalogVersion)
    }

    /// ``catalogVersion()`` as `db` sees it.
    static func catalogVersion(_ db: Database) throws -> String {
        try String.fetchOne(
            db, sql: "SELECT COUNT(*) || ':' || COALESCE(MAX(installedAt), '') || ':' || SUM(version) FROM bundle")
            ?? ""
    }

    /// The installed version of a bundle, or nil.
    public func bundle(id: String) throws -> BundleRecord? {
        try writer.read { try BundleRecord.fetchOne($0, key: id) }
    }

    /// Every installed bundle, newest install first.
    public func bundles() throws -> [BundleRecord] {
        try writer.read { try BundleRecord.order(Column("installedAt").desc, Column("id")).fetchAll($0) }
    }

    /// The file at `path` in the served version of a bundle, or nil.
    public func file(bundleId: String, path: String) throws -> BundleFileRecord? {
        try writer.read { try BundleFileRecord.fetchOne($0, key: ["bundleId": bundleId, "path": path]) }
    }

    /// The files of the served version of a bundle.
    public func files(bundleId: String) throws -> [BundleFileRecord] {
        try writer.read {
            try BundleFileRecord.filter(Column("bundleId") == bundleId).order(Column("path")).fetchAll($0)
        }
    }

    /// The resources of one bundle, or of all bundles when `bundleId` is nil, by title.
    public func resources(bundleId: String? = nil) throws -> [ResourceRecord] {
        try writer.read { db in
            var request = ResourceRecord.all()
            if let bundleId { request = request.filter(Column("bundleId") == bundleId) }
            return try request.order(Column("bundleId"), Column("titleZh")).fetchAll(db)
        }
    }

    /// One resource, or nil.
    public func resource(bundleId: String, id: String) throws -> ResourceRecord? {
        try writer.read { try ResourceRecord.fetchOne($0, key: ["bundleId": bundleId, "id": id]) }
    }

    /// The id of the resource whose entry file is `path`, if any: opening that file counts as viewing the resource.
    public func resourceID(bundleId: String, entry path: String) throws -> String? {
        try writer.read {
            try String.fetchOne(
                $0, sql: "SELECT id FROM resource WHERE bundleId = ? AND entry = ? LIMIT 1",
                arguments: [bundleId, path])
        }
    }

    /// The most recently updated resources, for the home page.
    public func recentResources(limit: Int) throws -> [ResourceRecord] {
        try writer.read {
            try ResourceRecord.order(Column("updatedAt").desc, Column("bundleId"), Column("id")).limit(limit).fetchAll(
                $0)
        }
    }

    /// Removes a bundle from the catalog. Its blobs become garbage unless another bundle shares them.
    ///
    /// - Returns: whether the bundle was installed.
    @discardableResult
    public func removeBundle(id: String) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM resourceSearch WHERE bundleId = ?", arguments: [id])
            try SatchelDatabase.optimizeSearchIndex(db)
            return try BundleRecord.deleteOne(db, key: id)
        }
    }

    /// The SHA-256 of every blob that some installed bundle references.
    public func referencedBlobs() throws -> Set<String> {
        try writer.read { Set(try String.fetchAll($0, sql: "SELECT DISTINCT sha256 FROM bundleFile")) }
    }

    /// Bytes of the distinct blobs installed bundles reference: what the store holds.
    public func storeBytes() throws -> Int64 {
        try writer.read { try Self.storeBytes($0) }
    }

    /// ``storeBytes()`` inside a read the caller already holds.
    public static func storeBytes(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT sha256, size FROM bundleFile)")
            ?? 0
    }

    /// Whether any installed bundle references the blob.
    public func isBlobReferenced(_ sha256: String) throws -> Bool {
        try writer.read { try BundleFileRecord.filter(Column("sha256") == sha256).fetchCount($0) > 0 }
    }
}
