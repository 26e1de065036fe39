import CArchive
import Foundation
import SatchelCore

/// Reads an archive entry by entry through libarchive, streaming: nothing is held in memory beyond one block.
///
/// Accepts tar (ustar, pax, GNU) with no compression, gzip, zstd, xz or bzip2, and zip.
final class ArchiveReader {
    /// One entry's header.
    struct Entry {
        enum Kind: Equatable {
            case file, directory, symlink, hardlink, characterDevice, blockDevice, fifo, socket, unknown
        }
        /// The path as stored, decoded as UTF-8; nil when it is not valid UTF-8.
        var path: String?
        var kind: Kind
        /// The size the header declares, or nil when the format does not say (streamed zip entries).
        var declaredSize: Int64?
    }

    private let handle: OpaquePointer
    private let archivePath: String
    private var isOpen = false

    /// Opens the archive at `path`.
    init(path: String) throws {
        _ = archiveLocale
        guard let handle = archive_read_new() else {
            throw BundleError(
                code: .io, message: LocalizedText(zh: "libarchive 初始化失败。", en: "libarchive could not start."))
        }
        self.handle = handle
        self.archivePath = path
        archive_read_support_filter_gzip(handle)
        archive_read_support_filter_zstd(handle)
        archive_read_support_filter_xz(handle)
        archive_read_support_filter_bzip2(handle)
        archive_read_support_format_tar(handle)
        archive_read_support_format_gnutar(handle)
        archive_read_support_format_zip(handle)
        guard archive_read_open_filename(handle, path, 1 << 20) == ARCHIVE_OK else {
            let reason = Self.errorString(handle)
            throw BundleError(
                code: .corruptArchive,
                message: LocalizedText(
                    zh: "已拒绝 \(path)：无法读取归档（\(reason)），它可能已损坏，或不是 tar/zip 格式。未做任何更改。",
                    en:
                        "Rejected \(path): Cannot read the archive (\(reason)); it may be damaged or not a tar or zip file. Nothing was changed."
                )
            )
        }
        isOpen = true
    }

    deinit {
        if isOpen { archive_read_close(handle) }
        archive_read_free(handle)
    }

    /// The next entry's header, or nil at the end of the archive.
    func nextEntry() throws -> Entry? {
        var entryPointer: OpaquePointer?
        let status = archive_read_next_header(handle, &entryPointer)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry = entryPointer else {
            throw corrupt(
                "the archive is truncated or damaged (\(Self.errorString(handle)))",
                "归档被截断或已损坏（\(Self.errorString(handle))）")
        }
        var path: String?
        if let utf8 = archive_entry_pathname_utf8(entry) {
            path = String(validatingCString: utf8)
        } else if let raw = archive_entry_pathname(entry) {
            path = String(validatingCString: raw)
        }
        let kind: Entry.Kind
        if archive_entry_hardlink(entry) != nil {
            kind = .hardlink
        } else {
            switch carchive_entry_filetype(entry) {
            case carchive_ifreg: kind = .file
            case carchive_ifdir: kind = .directory
            case carchive_iflnk: kind = .symlink
            case carchive_ifchr: kind = .characterDevice
            case carchive_ifblk: kind = .blockDevice
            case carchive_ififo: kind = .fifo
            case carchive_ifsock: kind = .socket
            default: kind = .unknown
            }
        }
        let declared = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil
        return Entry(path: path, kind: kind, declaredSize: declared)
    }

    /// Calls `body` with each block of the current entry's data, in order. Sparse entries are refused.
    func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var expected: Int64 = 0
        while true {
            var buffer: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            let status = archive_read_data_block(handle, &buffer, &size, &offset)
            if status == ARCHIVE_EOF { return }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
                throw corrupt(
                    "the archive is truncated or damaged (\(Self.errorString(handle)))",
                    "归档被截断或已损坏（\(Self.errorString(handle))）")
            }
            guard offset == expected else {
                throw corrupt("it holds a sparse file, which bundles do not allow", "含有稀疏文件，软件包不允许")
            }
            if size > 0, let buffer {
                try body(UnsafeRawBufferPointer(start: buffer, count: size))
            }
            expected += Int64(size)
        }
    }

    /// The compressed bytes read from the file so far, for compression-ratio checks.
    var compressedBytesRead: Int64 { archive_filter_bytes(handle, -1) }

    private func corrupt(_ reason: String, _ reasonZh: String) -> BundleError {
        BundleError(
            code: .corruptArchive,
            message: LocalizedText(
                zh: "已拒绝 \(archivePath)：\(reasonZh)，无法导入。请重新复制或下载该文件。未做任何更改。",
                en:
                    "Rejected \(archivePath): \(reason), so it cannot be imported. Copy or download it again. Nothing was changed."
            )
        )
    }

    static func errorString(_ handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "unknown error"
    }
}

/// Switches the process to a UTF-8 character locale once, before libarchive first converts an entry name.
let archiveLocale: Void = carchive_use_utf8_locale()
