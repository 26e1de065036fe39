import CArchive
import Foundation
import SatchelCore

/// Writes an archive through libarchive with fixed metadata on every entry, so the same input gives the same bytes.
final class ArchiveWriter {
    /// The container and compression of a bundle file.
    enum Format: String, CaseIterable {
        case tarZstd = "tar.zst"
        case tarGzip = "tar.gz"
        case zip
    }

    private let handle: OpaquePointer
    private let path: String
    private var isOpen = false
    private let modificationTime: Int

    /// Creates `path` and prepares to write entries stamped with `modificationTime` (seconds since 1970).
    init(path: String, format: Format, modificationTime: Int) throws {
        _ = archiveLocale
        guard let handle = archive_write_new() else {
            throw BundleError(
                code: .io, message: LocalizedText(zh: "libarchive 初始化失败。", en: "libarchive could not start."))
        }
        self.handle = handle
        self.path = path
        self.modificationTime = modificationTime
        switch format {
        case .tarZstd:
            archive_write_set_format_pax_restricted(handle)
            archive_write_add_filter_zstd(handle)
        case .tarGzip:
            archive_write_set_format_pax_restricted(handle)
            archive_write_add_filter_gzip(handle)
            archive_write_set_filter_option(handle, "gzip", "timestamp", nil)
        case .zip:
            archive_write_set_format_zip(handle)
            archive_write_set_format_option(handle, "zip", "experimental", nil)
        }
        archive_write_set_bytes_in_last_block(handle, 1)
        guard archive_write_open_filename(handle, path) == ARCHIVE_OK else {
            let reason = ArchiveReader.errorString(handle)
            archive_write_free(handle)
            throw BundleError(
                code: .io,
                message: LocalizedText(zh: "无法创建 \(path)：\(reason)。", en: "Cannot create \(path): \(reason).")
            )
        }
        isOpen = true
    }

    deinit {
        if isOpen { archive_write_close(handle) }
        archive_write_free(handle)
    }

    /// Adds a regular file whose content comes from `source` (a file) or `data`.
    func addFile(path entryPath: String, size: Int64, data: Data? = nil, source: String? = nil) throws {
        guard let entry = archive_entry_new() else { throw failure(entryPath) }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, entryPath)
        archive_entry_set_size(entry, size)
        carchive_entry_set_filetype(entry, carchive_ifreg)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        archive_entry_set_mtime(entry, modificationTime, 0)
        guard archive_write_header(handle, entry) == ARCHIVE_OK else { throw failure(entryPath) }
        if let data {
            try data.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress, buffer.count > 0 else { return }
                guard archive_write_data(handle, base, buffer.count) == buffer.count else { throw failure(entryPath) }
            }
        } else if let source {
            let input = try FileInput(path: source)
            var written: Int64 = 0
            try input.forEachBlock { block in
                guard archive_write_data(handle, block.baseAddress, block.count) == block.count else {
                    throw failure(entryPath)
                }
                written += Int64(block.count)
            }
            guard written == size else {
                throw BundleError(
                    code: .io,
                    message: LocalizedText(
                        zh: "打包时文件 \(source) 发生了变化，请重试。",
                        en: "The file \(source) changed while it was being packed. Try again."
                    )
                )
            }
        }
        guard archive_write_finish_entry(handle) == ARCHIVE_OK else { throw failure(entryPath) }
    }

    /// Finishes the archive and closes the file.
    func close() throws {
        isOpen = false
        guard archive_write_close(handle) == ARCHIVE_OK else { throw failure(path) }
    }

    private func failure(_ entryPath: String) -> BundleError {
        let reason = ArchiveReader.errorString(handle)
        return BundleError(
            code: .io,
            message: LocalizedText(
                zh: "写入 \(path) 中的 \(entryPath) 失败：\(reason)。",
                en: "Writing \(entryPath) into \(path) failed: \(reason)."
            )
        )
    }
}
