import Foundation

/// A fresh directory under the system temporary folder, removed when the value is released.
public final class TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Creates the directory.
    public init(_ label: String = "test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/satchel-\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    /// A folder inside the directory, created (as a node's data directory must exist before `--data` names it).
    public func directory(_ name: String) -> String {
        let target = file(name)
        try! FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        return target
    }

    /// Writes `contents` to a file inside the directory, creating folders as needed, and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String) -> String {
        write(name, Data(contents.utf8))
    }

    /// Writes `data` to a file inside the directory, creating folders as needed, and returns its path.
    @discardableResult
    public func write(_ name: String, _ data: Data) -> String {
        let target = file(name)
        try! FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        try! data.write(to: URL(fileURLWithPath: target))
        return target
    }
}
