import Foundation
import SatchelCore

#if canImport(Glibc)
    import Glibc
#endif

/// The layout of a node's data directory: the database, the blob store, staging and the import lock.
public struct DataDirectory: Sendable {
    /// The directory itself.
    public let root: String

    /// Uses `root`, which ``create()`` makes when missing.
    public init(root: String) {
        self.root = (root as NSString).standardizingPath
    }

    /// The SQLite database file.
    public var databasePath: String { root + "/satchel.sqlite" }
    /// Where blobs live, as `blobs/ab/<sha256>`.
    public var blobsPath: String { root + "/blobs" }
    /// Where imports write before anything becomes visible; emptied on every start.
    public var stagingPath: String { root + "/staging" }
    /// Where sync downloads blobs, as `<sha256>.part` while they arrive; kept across restarts so that a download
    /// resumes where it stopped.
    public var downloadsPath: String { root + "/downloads" }
    /// The lock file that serialises imports and garbage collection.
    public var lockPath: String { root + "/import.lock" }

    /// Free bytes available to this process on the data directory's file system, or nil when it cannot be read.
    public func freeBytes() -> Int64? {
        try? FileSystem.freeBytes(at: root)
    }

    /// Makes the directory and its subdirectories with owner-only write permissions.
    public func create() throws {
        for path in [root, blobsPath, stagingPath, downloadsPath] {
            do {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755]
                )
            } catch {
                throw BundleError(
                    code: .io,
                    message: LocalizedText(
                        zh: "无法创建数据目录 \(path)：\(error.localizedDescription)。请用 --data 指定可写的目录。",
                        en:
                            "Cannot create the data directory \(path): \(error.localizedDescription). Give a writable directory with --data."
                    ),
                    cause: error
                )
            }
        }
    }

    /// Takes the exclusive import lock, waiting for another import to finish when `wait` is true.
    ///
    /// The lock is released when the returned value is dropped, or when the process dies.
    public func lockForImport(wait: Bool = true) throws -> ImportLock {
        try ImportLock(path: lockPath, wait: wait)
    }

    /// Removes everything in staging: the leftovers of an import that was interrupted.
    ///
    /// - Returns: how many leftover entries were removed.
    @discardableResult
    public func cleanStaging() throws -> Int {
        let lock = try lockForImport(wait: false)
        defer { withExtendedLifetime(lock) {} }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: stagingPath)) ?? []
        for name in names {
            try? FileManager.default.removeItem(atPath: stagingPath + "/" + name)
        }
        return names.count
    }
}

/// An exclusive `flock` on the data directory's lock file, held while an import or garbage collection runs.
public final class ImportLock: Sendable {
    private let descriptor: Int32

    init(path: String, wait: Bool) throws {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BundleError.io(path, errno, LocalizedText(zh: "打开", en: "open")) }
        if flock(descriptor, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            close(descriptor)
            throw BundleError(
                code: .busy,
                message: LocalizedText(
                    zh: "另一个导入正在使用数据目录，请等它完成后再试。",
                    en: "Another import is using the data directory. Try again when it has finished."
                )
            )
        }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
