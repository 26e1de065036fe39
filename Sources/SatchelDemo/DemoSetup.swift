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
    /// The sample course's version; raise it whenever ``SampleCourse`` changes.
    public static let courseVersion = 1
    /// The sample bundle's fixed creation time, which keeps its bytes the same on every run.
    public static let sampleCreated = Date(timeIntervalSince1970: 1_788_220_800)

    /// The outcome of preparing the demo.
    public struct Result: Sendable {
        /// What the import of the sample curriculum did.
        public var report: BundleImporter.Report
        /// What the import of the sample training course did.
        public var courseReport: BundleImporter.Report
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
        let importer = try node.importer(logger: logger)
        /// Writes a sample folder, packs and signs it with the demo key, and imports it.
        func install(
            _ name: String, id: String, version: Int, write: (String) throws -> Void
        ) throws -> (
            BundleImporter.Report, String
        ) {
            let source = root + "/\(name)-source"
            try? FileManager.default.removeItem(atPath: source)
            try write(source)
            let output = root + "/\(name)-bundle.tar.zst"
            try BundlePacker().pack(
                directory: source,
                options: BundlePacker.Options(id: id, version: version, key: key, created: sampleCreated),
                output: output)
            return (try importer.importBundle(at: output), output)
        }
        let (report, bundlePath) = try install(
            "demo", id: SampleContent.bundleID, version: sampleVersion, write: SampleContent.write(to:))
        // The sample training course: training credit needs the teacher's time in a module, and a quiz the node scores.
        let (course, _) = try install(
            "demo-course", id: SampleCourse.bundleID, version: courseVersion, write: SampleCourse.write(to:))
        return Result(report: report, courseReport: course, bundlePath: bundlePath)
    }
}
