import Foundation
import SatchelCore

#if canImport(Glibc)
    import Glibc
#endif

/// A file opened for reading in large blocks with plain POSIX calls.
struct FileInput: ~Copyable {
    private let descriptor: Int32
    let path: String

    /// Opens `path` for reading.
    init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BundleError.io(path, errno, LocalizedText(zh: "读取", en: "read")) }
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// Calls `body` with consecutive blocks of the file until its end.
    func forEachBlock(blockSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, blockSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw BundleError.io(path, errno, LocalizedText(zh: "读取", en: "read"))
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }
}

extension BundleError {
    /// An I/O failure on `path`, with the system's reason.
    static func io(_ path: String, _ code: Int32, _ action: LocalizedText) -> BundleError {
        let reason = String(cString: strerror(code))
        return BundleError(
            code: .io,
            message: LocalizedText(
                zh: "无法\(action.zh)文件 \(path)：\(reason)。",
                en: "Cannot \(action.en) \(path): \(reason)."
            )
        )
    }
}
