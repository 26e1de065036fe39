import Foundation
import SatchelBundles
import SatchelCore
import SatchelStore
import SatchelTestSupport
import Testing

/// kill -9 of `satchel import` at any moment leaves the old state or the new one, never a mix, and the next start
/// empties staging and removes blobs no bundle references.
@Suite(.serialized) struct CrashSafetyTests {
    /// Files for a bundle of about 30 MB: many small files and a few large ones, so that an import takes long enough
    /// to be killed in every phase (reading, staging, moving blobs, committing).
    static func files(version: Int) -> [String: String] {
        var files: [String: String] = [:]
        for index in 0..<400 {
            files["pages/page-\(index).html"] =
                "<p>v\(index % 7 == 0 ? version : 1) " + String(repeating: "课", count: 12_000)
        }
        for index in 0..<3 {
            files["video/part-\(index).mp4"] = String(repeating: "\(index)\(version)", count: 2_000_000)
        }
        return files
    }

    /// What a fresh start of the node sees, after its recovery step.
    struct State {
        var version: Int?
        var intact: Bool
        var strayBlobs: Int
        var stagingEntries: Int
    }

    static func inspect(_ data: String, key: SigningKey) throws -> State {
        var configuration = Configuration.defaults(dataDirectory: data)
        configuration.trustedKeys = [key.publicKey.base64]
        let node = try Node.open(configuration: configuration)
        let bundle = try node.database.bundle(id: "crash")
        let files = bundle == nil ? [] : try node.database.files(bundleId: "crash")
        let intact = files.allSatisfy { node.blobStore.verify($0.sha256) }
        let referenced = try node.database.referencedBlobs()
        let stray = node.blobStore.allBlobs().filter { !referenced.contains($0) }.count
        let staging = (try? FileManager.default.contentsOfDirectory(atPath: node.directory.stagingPath)) ?? []
        return State(version: bundle?.version, intact: intact, strayBlobs: stray, stagingEntries: staging.count)
    }

    @Test func killDashNineDuringImportLeavesOldOrNewState() throws {
        let test = try TestNode()
        let data = test.folder.file("victim")
        let key = test.publisher
        let v1 = try test.pack(Self.files(version: 1), id: "crash", version: 1)
        let v2 = try test.pack(Self.files(version: 2), id: "crash", version: 2)
        let environment = ["SATCHEL_TRUSTED_KEYS": key.publicKey.base64, "SATCHEL_DISK_RESERVE_BYTES": "0"]

        // First a fresh node (nothing installed), then an update from v1 to v2, each killed at growing delays.
        for (archive, before, after) in [(v1, nil, 1), (v2, 1 as Int?, 2)] as [(String, Int?, Int)] {
            var delay = 0.01
            var completed = false
            var kills = 0
            while !completed {
                let process = try BackgroundProcess(["import", "--data", data, archive], environment: environment)
                // A synchronous test with a blocking sleep: Task.sleep can overshoot by seconds while other tests keep the
                // cooperative pool busy, and the import would finish before the kill.
                usleep(useconds_t(delay * 1_000_000))
                if process.isRunning {
                    process.terminate(signal: SIGKILL)
                    kills += 1
                } else {
                    #expect(process.wait() == 0, "\(process.printed)")
                    completed = true
                }
                let state = try Self.inspect(data, key: key)
                #expect(
                    state.version == before || state.version == after,
                    "after \(delay) s: v\(String(describing: state.version))")
                #expect(state.intact, "after \(delay) s a served file is damaged")
                #expect(
                    state.strayBlobs == 0 && state.stagingEntries == 0, "after \(delay) s recovery left files behind")
                if state.version == after { completed = true }
                delay *= 1.5
            }
            #expect(kills > 0, "the import finished before it could be killed; make the bundle larger")
            #expect(try Self.inspect(data, key: key).version == after)
        }
    }
}
