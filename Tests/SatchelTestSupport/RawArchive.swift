import CArchive
import Foundation

/// Writes archives entry by entry with full control over types, paths and sizes, to build the hostile archives that
/// import must reject. It uses libarchive directly, not Satchel's packer.
public final class RawArchive {
    /// An entry to write.
    public enum Entry {
        case file(String, Data)
        case directory(String)
        case symlink(String, target: String)
        case hardlink(String, target: String)
        case fifo(String)
        case characterDevice(String)
        case socket(String)
        /// A file whose header declares `declaredSize` but whose data is `data` (libarchive pads or truncates).
        case fileWithDeclaredSize(String, Data, declaredSize: Int64)
    }

    /// The container.
    public enum Format {
        case tar, tarGzip, tarZstd, zip
    }

    /// Writes `entries` to `path`.
    public static func write(_ entries: [Entry], to path: String, format: Format = .tar) {
        carchive_use_utf8_locale()
        let handle = archive_write_new()!
        switch format {
        case .tar:
            archive_write_set_format_pax_restricted(handle)
        case .tarGzip:
            archive_write_set_format_pax_restricted(handle)
            archive_write_add_filter_gzip(handle)
        case .tarZstd:
            archive_write_set_format_pax_restricted(handle)
            archive_write_add_filter_zstd(handle)
        case .zip:
            archive_write_set_format_zip(handle)
        }
        precondition(archive_write_open_filename(handle, path) == ARCHIVE_OK)
        var socketNames: [String] = []
        for item in entries {
            let entry = archive_entry_new()!
            archive_entry_set_perm(entry, 0o644)
            archive_entry_set_mtime(entry, 1_767_225_600, 0)
            var data = Data()
            switch item {
            case .file(let name, let content):
                archive_entry_set_pathname(entry, name)
                carchive_entry_set_filetype(entry, carchive_ifreg)
                archive_entry_set_size(entry, Int64(content.count))
                data = content
            case .fileWithDeclaredSize(let name, let content, let declared):
                archive_entry_set_pathname(entry, name)
                carchive_entry_set_filetype(entry, carchive_ifreg)
                archive_entry_set_size(entry, declared)
                data = content
            case .directory(let name):
                archive_entry_set_pathname(entry, name)
                carchive_entry_set_filetype(entry, carchive_ifdir)
                archive_entry_set_perm(entry, 0o755)
            case .symlink(let name, let target):
                archive_entry_set_pathname(entry, name)
                carchive_entry_set_filetype(entry, carchive_iflnk)
                archive_entry_set_symlink(entry, target)
            case .hardlink(let name, let target):
                archive_entry_set_pathname(entry, name)
                carchive_entry_set_filetype(entry, carchive_ifreg)
                archive_entry_set_hardlink(entry, target)
                archive_entry_set_size(entry, 0)
            case .fifo(let name):
                archive_entry_set_pathname(entry, name)
                carchive_entry_set_filetype(entry, carchive_ififo)
            case .characterDevice(let name):
                archive_entry_set_pathname(entry, name)
                carchive_entry_set_filetype(entry, carchive_ifchr)
                archive_entry_set_rdevmajor(entry, 1)
                archive_entry_set_rdevminor(entry, 3)
            case .socket(let name):
                // No writer stores sockets; zip entries are patched to claim one after writing (see below).
                archive_entry_set_pathname(entry, name)
                carchive_entry_set_filetype(entry, carchive_ifreg)
                archive_entry_set_size(entry, 0)
                socketNames.append(name)
            }
            archive_write_header(handle, entry)
            if !data.isEmpty {
                data.withUnsafeBytes { _ = archive_write_data(handle, $0.baseAddress, $0.count) }
            }
            archive_entry_free(entry)
        }
        archive_write_close(handle)
        archive_write_free(handle)
        if format == .zip, !socketNames.isEmpty { markZipEntriesAsSockets(socketNames, in: path) }
    }

    /// Rewrites the Unix mode in the zip central directory records of `names` to S_IFSOCK.
    private static func markZipEntriesAsSockets(_ names: [String], in path: String) {
        var bytes = [UInt8](try! Data(contentsOf: URL(fileURLWithPath: path)))
        var index = 0
        while index + 46 <= bytes.count {
            if bytes[index] == 0x50, bytes[index + 1] == 0x4B, bytes[index + 2] == 0x01, bytes[index + 3] == 0x02 {
                let nameLength = Int(bytes[index + 28]) | Int(bytes[index + 29]) << 8
                let name = String(decoding: bytes[(index + 46)..<(index + 46 + nameLength)], as: UTF8.self)
                if names.contains(name) {
                    let mode: UInt32 = 0o140644
                    bytes[index + 5] = 3  // made by Unix
                    bytes[index + 40] = UInt8(mode & 0xFF)
                    bytes[index + 41] = UInt8(mode >> 8)
                }
                index += 46 + nameLength
            } else {
                index += 1
            }
        }
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// The entries (path and content) of a regular-file archive, in order, read back with libarchive.
    public static func read(_ path: String) -> [(String, Data)] {
        carchive_use_utf8_locale()
        let handle = archive_read_new()!
        defer { archive_read_free(handle) }
        archive_read_support_filter_all(handle)
        archive_read_support_format_all(handle)
        guard archive_read_open_filename(handle, path, 65536) == ARCHIVE_OK else { return [] }
        var result: [(String, Data)] = []
        var entry: OpaquePointer?
        while archive_read_next_header(handle, &entry) == ARCHIVE_OK {
            let name = archive_entry_pathname_utf8(entry).map { String(cString: $0) } ?? "?"
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = archive_read_data(handle, &buffer, buffer.count)
                if count <= 0 { break }
                data.append(contentsOf: buffer[0..<count])
            }
            result.append((name, data))
        }
        return result
    }
}
