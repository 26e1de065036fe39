import Foundation
import Logging
import SatchelBundles
import SatchelCore
import SatchelStore

/// A real node in a temporary data directory, with a publisher key it trusts, for tests.
public struct TestNode: Sendable {
    /// The temporary folder holding the data directory and scratch files.
    public let folder: TemporaryDirectory
    /// The opened node.
    public let node: Node
    /// A publisher key the node trusts.
    public let publisher: SigningKey

    /// Creates a node with no disk reserve, so tests do not depend on the machine's free space.
    public init(configure: (inout Configuration) -> Void = { _ in }) throws {
        folder = TemporaryDirectory("node")
        var configuration = Configuration.defaults(dataDirectory: folder.file("data"))
        configuration.diskReserveBytes = 0
        // Usage is written at once, so that a test sees it without waiting out the delay; the delay has its own test.
        configuration.usageWriteDelaySeconds = 0
        publisher = SigningKey()
        configuration.trustedKeys = [publisher.publicKey.base64]
        configure(&configuration)
        node = try Node.open(configuration: configuration, logger: Logger(label: "test"))
    }

    /// An importer for this node.
    public func importer(allowDowngrade: Bool = false) throws -> BundleImporter {
        try node.importer(allowDowngrade: allowDowngrade)
    }

    /// Writes `files` (path to content) into a new folder and packs it as bundle `id` version `version`, signed by
    /// `key` (the trusted publisher by default). Returns the bundle's path.
    public func pack(
        _ files: [String: String], id: String = "test-bundle", version: Int = 1,
        format: BundlePacker.Format = .tarZstd, key: SigningKey? = nil, description: String? = nil
    ) throws -> String {
        let source = folder.file("src-\(id)-\(version)-\(UUID().uuidString.prefix(6))")
        for (path, content) in files {
            folder.write(String(source.dropFirst(folder.path.count + 1)) + "/" + path, content)
        }
        if let description {
            folder.write(String(source.dropFirst(folder.path.count + 1)) + "/bundle.json", description)
        }
        let output = source + "." + format.rawValue
        try BundlePacker().pack(
            directory: source,
            options: BundlePacker.Options(
                id: id, version: version, format: format, key: key ?? publisher,
                created: Date(timeIntervalSince1970: 1_767_225_600)
            ),
            output: output
        )
        return output
    }

    /// Every file under the data directory's `blobs` and `staging` folders, for checking what an import left.
    public func storedFiles() -> [String] {
        var result: [String] = []
        for root in [node.directory.blobsPath, node.directory.stagingPath] {
            if let enumerator = FileManager.default.enumerator(atPath: root) {
                while let name = enumerator.nextObject() as? String {
                    var isDirectory: ObjCBool = false
                    if FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory),
                        !isDirectory.boolValue
                    {
                        result.append(root + "/" + name)
                    }
                }
            }
        }
        return result.sorted()
    }
}
