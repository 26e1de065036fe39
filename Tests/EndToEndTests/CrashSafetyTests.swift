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

    /// Where in an import the test kills it.
    enum KillPoint: CustomStringConvertible {
        /// Once at least this many files are in staging.
        case staged(Int)
        /// Once staging, having filled, holds fewer than half its most files: blobs are being moved into the store.
        case moving
        /// Not at all: the import runs to its end.
        case never

        var kills: Bool {
            if case .never = self { return false }
            return true
        }

        var description: String {
            switch self {
            case .staged(let count): "\(count) files staged"
            case .moving: "moving blobs"
            case .never: "never"
            }
        }
    }

    /// Waits until the import reaches `point`, or ends, or a minute passes (which only ends a test that would
    /// otherwise hang).
    static func wait(for point: KillPoint, in staging: String, while process: BackgroundProcess) {
        if case .never = point { return }
        let deadline = Date().addingTimeInterval(60)
        var most = 0
        while process.isRunning, Date() < deadline {
            var staged = 0
            if let files = FileManager.default.enumerator(atPath: staging) {
                while files.nextObject() != nil {
                    if (files.fileAttributes?[.type] as? FileAttributeType) == .typeRegular { staged += 1 }
                }
            }
            most = max(most, staged)
            switch point {
            case .staged(let count) where staged >= count: return
            case .moving where most >= 16 && staged < most / 2: return
            default: usleep(2_000)
            }
        }
    }

    @Test func killDashNineDuringImportLeavesOldOrNewState() throws {
        let test = try TestNode()
        let data = test.folder.directory("victim")
        let key = test.publisher
        let v1 = try test.pack(Self.files(version: 1), id: "crash", version: 1)
        let v2 = try test.pack(Self.files(version: 2), id: "crash", version: 2)
        let environment = ["SATCHEL_TRUSTED_KEYS": key.publicKey.base64, "SATCHEL_DISK_RESERVE_BYTES": "0"]

        // First a fresh node (nothing installed), then an update from v1 to v2, each killed at points the import
        // itself reaches: once 1, 4, 16, 64 and 256 files are staged, then while staged files are moved into the blob
        // store (staging shrinking again), then not at all.
        let killPoints: [KillPoint] = [.staged(1), .staged(4), .staged(16), .staged(64), .staged(256), .moving, .never]
        for (archive, before, after) in [(v1, nil, 1), (v2, 1 as Int?, 2)] as [(String, Int?, Int)] {
            var completed = false
            var kills = 0
            for point in killPoints where !completed {
                let process = try BackgroundProcess(["import", "--data", data, archive], environment: environment)
                Self.wait(for: point, in: data + "/staging", while: process)
                if process.isRunning, point.kills {
                    process.terminate(signal: SIGKILL)
                    kills += 1
                } else {
                    #expect(process.wait() == 0, "\(process.printed)")
                    completed = true
                }
                let state = try Self.inspect(data, key: key)
                #expect(
                    state.version == before || state.version == after,
                    "killed at \(point): v\(String(describing: state.version))")
                #expect(state.intact, "killed at \(point) a served file is damaged")
                #expect(
                    state.strayBlobs == 0 && state.stagingEntries == 0, "killed at \(point) recovery left files behind")
                if state.version == after { completed = true }
            }
            #expect(kills > 0, "the import finished before it could be killed; make the bundle larger")
            #expect(try Self.inspect(data, key: key).version == after)
        }
    }
}
