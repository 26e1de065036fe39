import CArchive
import Foundation
import SatchelCore

#if canImport(Glibc)
    import Glibc
#endif

/// A new file written with plain POSIX calls; the caller decides when it is synced.
struct FileOutput: ~Copyable {
    private let descriptor: Int32
    let path: String

    /// Creates `path`, which must not exist yet, with mode 0644.
    init(creating path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BundleError.io(path, errno, LocalizedText(zh: "创建", en: "create")) }
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw BundleError.io(path, errno, LocalizedText(zh: "写入", en: "write"))
            }
            offset += count
        }
    }

    /// Flushes the file's data to the disk.
    func sync() throws {
        guard fsync(descriptor) == 0 else { throw BundleError.io(path, errno, LocalizedText(zh: "同步", en: "sync")) }
    }
}

/// File-system operations the blob store and importer need beyond Foundation's.
enum FileSystem {
    /// Flushes every dirty page of the file system that holds `path`: one call instead of one fsync per file.
    static func syncFileSystem(containing path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BundleError.io(path, errno, LocalizedText(zh: "打开", en: "open")) }
        defer { close(descriptor) }
        guard carchive_syncfs(descriptor) == 0 else {
            throw BundleError.io(path, errno, LocalizedText(zh: "同步", en: "sync"))
        }
    }

    /// Flushes a directory's entries, so that renames into it survive power loss.
    static func syncDirectory(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BundleError.io(path, errno, LocalizedText(zh: "打开", en: "open")) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw BundleError.io(path, errno, LocalizedText(zh: "同步", en: "sync")) }
    }

    /// Renames `destination`'s replacement into place atomically.
    static func replace(_ destination: String, with source: String) throws {
        try moveIntoPlace(source, destination)
    }

    /// Renames `source` to `destination` atomically. For blobs an existing destination has the same content (it is
    /// named by its hash), so replacing it changes nothing.
    static func moveIntoPlace(_ source: String, _ destination: String) throws {
        guard rename(source, destination) == 0 else {
            throw BundleError.io(destination, errno, LocalizedText(zh: "移动", en: "move into"))
        }
    }

    /// Free bytes available to this process on the file system holding `path`.
    static func freeBytes(at path: String) throws -> Int64 {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else {
            throw BundleError.io(path, errno, LocalizedText(zh: "查询磁盘空间", en: "check free space of"))
        }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}
