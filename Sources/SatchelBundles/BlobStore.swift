import Foundation
import SatchelCore

/// The content-addressed store: each distinct file is kept once, at `blobs/ab/<sha256>`, and never changes.
public struct BlobStore: Sendable {
    /// The directory that holds the two-hex-digit fan-out folders.
    public let root: String

    /// Uses the blob folder of a data directory.
    public init(directory: DataDirectory) {
        self.root = directory.blobsPath
    }

    /// Where the blob with this SHA-256 lives (whether or not it exists).
    public func path(for sha256: String) -> String {
        "\(root)/\(sha256.prefix(2))/\(sha256)"
    }

    /// Where the gzip-compressed copy of a text blob is cached for HTTP clients that accept gzip.
    public func gzipPath(for sha256: String) -> String {
        path(for: sha256) + ".gz"
    }

    /// Whether the blob is stored.
    public func contains(_ sha256: String) -> Bool {
        FileManager.default.fileExists(atPath: path(for: sha256))
    }

    /// Moves a verified staged file into the store. The caller syncs the file system afterwards.
    func adopt(stagedFile: String, sha256: String) throws {
        let folder = "\(root)/\(sha256.prefix(2))"
        if !FileManager.default.fileExists(atPath: folder) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try FileSystem.moveIntoPlace(stagedFile, path(for: sha256))
    }

    /// Every blob on disk, as SHA-256 strings.
    public func allBlobs() -> [String] {
        let fileManager = FileManager.default
        var result: [String] = []
        for folder in (try? fileManager.contentsOfDirectory(atPath: root)) ?? [] where folder.count == 2 {
            for name in (try? fileManager.contentsOfDirectory(atPath: "\(root)/\(folder)")) ?? []
            where name.count == 64 && name.hasPrefix(folder) {
                result.append(name)
            }
        }
        return result
    }

    /// Deletes every blob that is not in `referenced`. Call it holding the import lock.
    ///
    /// - Returns: the number of blobs and bytes removed.
    @discardableResult
    public func collectGarbage(keeping referenced: Set<String>) -> (blobs: Int, bytes: Int64) {
        var removed = 0
        var bytes: Int64 = 0
        for sha in allBlobs() where !referenced.contains(sha) {
            try? FileManager.default.removeItem(atPath: gzipPath(for: sha))
            let path = path(for: sha)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
            if (try? FileManager.default.removeItem(atPath: path)) != nil {
                removed += 1
                bytes += size ?? 0
            }
        }
        return (removed, bytes)
    }

    /// Re-hashes a stored blob.
    ///
    /// - Returns: whether its content still has the SHA-256 it is named by; false when it is missing.
    public func verify(_ sha256: String) -> Bool {
        guard let input = try? FileInput(path: path(for: sha256)) else { return false }
        var hasher = ContentHasher()
        do {
            try input.forEachBlock { hasher.update($0) }
        } catch {
            return false
        }
        return hasher.finalize() == sha256
    }
}
