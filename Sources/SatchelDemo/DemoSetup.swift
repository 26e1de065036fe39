import Foundation
import Logging
import SatchelBundles
import SatchelCore
import SatchelStore

/// What `satchel demo` does before serving: makes the sample content, packs and signs it with a demo publisher key,
/// trusts that key and imports the bundle. A second run reuses the key and finds the bundle already installed.
public enum DemoSetup {
    /// The sample bundle's version; raise it whenever ``SampleContent`` changes.
    public static let sampleVersion = 1
    /// The sample bundle's fixed creation time, which keeps its bytes the same on every run.
    public static let sampleCreated = Date(timeIntervalSince1970: 1_788_220_800)

    /// The outcome of preparing the demo.
    public struct Result: Sendable {
        /// What the import did.
        public var report: BundleImporter.Report
        /// The bundle file that was packed.
        public var bundlePath: String
    }

    /// Prepares the demo content in `node`'s data directory.
    public static func prepare(node: Node, logger: Logger) throws -> Result {
        let root = node.directory.root
        let keyPath = root + "/demo-publisher.key"
        let key: SigningKey
        if FileManager.default.fileExists(atPath: keyPath) {
            key = try SigningKey(contentsOf: keyPath)
        } else {
            key = SigningKey()
            try key.write(to: keyPath)
        }
        try node.database.trust(
            TrustedKeyRecord(
                keyId: key.publicKey.id, publicKey: key.publicKey.base64, label: "demo publisher", addedAt: Date()
            ))
        let source = root + "/demo-source"
        try? FileManager.default.removeItem(atPath: source)
        try SampleContent.write(to: source)
        let bundlePath = root + "/demo-bundle.tar.zst"
        try BundlePacker().pack(
            directory: source,
            options: BundlePacker.Options(
                id: SampleContent.bundleID, version: sampleVersion, key: key, created: sampleCreated
            ),
            output: bundlePath
        )
        let report = try node.importer(logger: logger).importBundle(at: bundlePath)
        return Result(report: report, bundlePath: bundlePath)
    }
}
