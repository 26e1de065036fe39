import Foundation
import GRDB
import Logging
import SatchelBundles
import SatchelCore
import SatchelPlatform
import SatchelStore
import SatchelSync
import SatchelTestSupport
import Testing

/// Sync with the reference platform over real loopback sockets, through a proxy that drops, stalls, truncates and
/// answers 503: events arrive exactly once, bundles arrive whole, updates move only what changed.
@Suite(.serialized) struct SyncTests {
    static func usage(_ count: Int, start: Int = 0) -> [NodeEvent] {
        (start..<(start + count)).map { index in
            NodeEvent(
                occurredAt: Date(timeIntervalSince1970: 1_780_000_000 + Double(index)),
                .view(.init(bundleId: "maths", resourceId: "r\(index % 50)", bytes: 1000, deviceClass: "phone")))
        }
    }

    /// A node in a temporary folder that is provisioned (pending) against `url`.
    static func provisionedNode(
        url: String, token: String, school: String = "S-001",
        configure: (inout SatchelCore.Configuration) -> Void = { _ in }
    ) throws -> (TestNode, NodeIdentity) {
        let test = try TestNode {
            $0.trustedKeys = []
            configure(&$0)
        }
        let identity = try NodeIdentity.create(in: test.node.directory, force: false)
        try Enrolment(nodeId: nil, platformURL: url, schoolCode: school, pendingToken: token).save(test.node.database)
        return (test, identity)
    }

    /// Runs sessions until `done` holds, as the background service would, giving up after `attempts`.
    static func syncUntil(_ node: Node, attempts: Int = 300, _ done: () throws -> Bool) async throws -> Int {
        var logger = Logger(label: "test.sync")
        logger.logLevel = .critical
        var sessions = 0
        while try !done() {
            sessions += 1
            guard sessions <= attempts else { break }
            _ = try? await SyncSession(node: node, logger: logger).run()
        }
        return sessions
    }

    @Test func eventsArriveExactlyOnceAndBundlesWholeThroughAFaultyLink() async throws {
        let folder = TemporaryDirectory("platform")
        let publisher = SigningKey()
        let platform = try Platform(root: folder.file("platform"), publisherKeys: [publisher.publicKey.base64])
        let live = try await LivePlatform(platform: platform)
        let proxy = try FaultProxy(upstreamPort: live.port, faultRate: 0.3)
        defer { proxy.stop() }

        // Publish a bundle of 40 files, about 4 MB.
        var files: [String: String] = [:]
        for index in 0..<40 {
            files["lessons/l\(index).html"] = "<p>\(index)</p>" + String(repeating: "课\(index)", count: 35_000)
        }
        let packer = try TestNode()
        let v1 = try packer.pack(
            files, id: "maths", version: 1, key: publisher,
            description: #"{"title": {"zh": "数学", "en": "Maths"}}"#)
        try await platform.publish(archive: v1)

        let (test, _) = try Self.provisionedNode(
            url: proxy.baseURL, token: try await platform.createToken(schoolCode: "S-001"))
        let node = test.node
        try node.database.append(contentsOf: Self.usage(100_000))

        let sessions = try await Self.syncUntil(node) {
            try platform.database.status().eventsReceived >= 100_000 && node.database.pendingEventCount() == 0
                && node.database.bundle(id: "maths") != nil
        }
        let status = try platform.database.status()
        #expect(status.eventsReceived == 100_000, "after \(sessions) sessions")
        let distinct = try await platform.database.writer.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(DISTINCT seq) FROM receivedEvent") ?? 0
        }
        #expect(distinct == 100_000)
        #expect(status.nodes.first?.acknowledged == 100_000)
        #expect(try node.database.pendingEventCount() == 0)
        #expect(proxy.counts.keys.count > 2, "the proxy injected too few kinds of faults: \(proxy.counts)")
        let installed = try #require(try node.database.bundle(id: "maths"))
        for file in try node.database.files(bundleId: installed.id) {
            #expect(node.blobStore.verify(file.sha256), "\(file.path) arrived damaged")
        }
        let enrolled = try #require(try Enrolment.load(node.database))
        #expect(enrolled.nodeId != nil && enrolled.pendingToken == nil)

        // An update that changes 2 of 40 files (5 %) moves at most 10 % of the bundle's bytes.
        var changed = files
        changed["lessons/l0.html"] = "<p>updated</p>" + String(repeating: "新", count: 35_000)
        changed["lessons/l1.html"] = "<p>updated</p>" + String(repeating: "改", count: 35_000)
        try await platform.publish(
            archive: try packer.pack(
                changed, id: "maths", version: 2, key: publisher,
                description: #"{"title": {"zh": "数学", "en": "Maths"}}"#))
        var downloaded: Int64 = 0
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        for _ in 0..<50 where try node.database.bundle(id: "maths")?.version != 2 {
            downloaded += (try? await SyncSession(node: node, logger: logger).run())?.downloadedBytes ?? 0
        }
        let total = try #require(try node.database.bundle(id: "maths")).totalSize
        #expect(try node.database.bundle(id: "maths")?.version == 2)
        #expect(Double(downloaded) <= Double(total) * 0.10, "moved \(downloaded) of \(total) bytes")
        await live.stop()
    }

    @Test func aRestoredNodeResendsWithoutDuplicatesAndLosesNothing() async throws {
        let folder = TemporaryDirectory("platform")
        let platform = try Platform(root: folder.file("platform"))
        let live = try await LivePlatform(platform: platform)
        let (test, _) = try Self.provisionedNode(
            url: live.baseURL, token: try await platform.createToken(schoolCode: "S-001"))
        let node = test.node
        try node.database.append(contentsOf: Self.usage(2500))
        _ = try await Self.syncUntil(node) { try node.database.pendingEventCount() == 0 }
        #expect(try platform.database.status().eventsReceived == 2500)

        // Restore from an old backup: the node forgets that anything was acknowledged. It sends again, the platform
        // drops what it has, and events recorded after the restore get numbers past the platform's cursor.
        try node.database.setSyncValue("ackedSequence", "0")
        _ = try await SyncSession(node: node, logger: Logger(label: "test")).run()
        #expect(try platform.database.status().eventsReceived == 2500)
        try node.database.append(contentsOf: Self.usage(10, start: 5000))
        _ = try await SyncSession(node: node, logger: Logger(label: "test")).run()
        #expect(try platform.database.status().eventsReceived == 2510)
        #expect(try node.database.pendingEventCount() == 0)
        await live.stop()
    }

    @Test func usedTokensAndUnsignedPushesAreRefused() async throws {
        let folder = TemporaryDirectory("platform")
        let platform = try Platform(root: folder.file("platform"))
        let live = try await LivePlatform(platform: platform)
        let token = try await platform.createToken(schoolCode: "S-001")
        let (first, _) = try Self.provisionedNode(url: live.baseURL, token: token)
        _ = try await Self.syncUntil(first.node, attempts: 3) { try Enrolment.load(first.node.database)?.nodeId != nil }
        let (second, _) = try Self.provisionedNode(url: live.baseURL, token: token)
        do {
            _ = try await SyncSession(node: second.node, logger: Logger(label: "test")).run()
            Issue.record("a used token enrolled a second node")
        } catch let error as SyncError {
            #expect(error.code == .refused)
        }
        let nodeId = try #require(try Enrolment.load(first.node.database)?.nodeId)
        let forged = try await CurlTransport().post(
            live.baseURL + "/api/v1/nodes/\(nodeId)/events", body: Data("{}".utf8),
            headers: ["X-Satchel-Node": nodeId, "X-Satchel-Time": "0", "X-Satchel-Signature": "AAAA"])
        #expect(forged.status == 401)
        await live.stop()
    }

    @Test func aUSBStickCarriesEventsUpAndBundlesDown() async throws {
        let folder = TemporaryDirectory("platform")
        let publisher = SigningKey()
        let platform = try Platform(root: folder.file("platform"), publisherKeys: [publisher.publicKey.base64])
        let live = try await LivePlatform(platform: platform)
        let (test, identity) = try Self.provisionedNode(
            url: live.baseURL, token: try await platform.createToken(schoolCode: "S-001"))
        _ = try await Self.syncUntil(test.node, attempts: 3) { try Enrolment.load(test.node.database)?.nodeId != nil }
        await live.stop()

        // The link is gone: events go out on a stick, twice (a technician runs export again), and apply once.
        try test.node.database.append(contentsOf: Self.usage(12_000))
        let stick = folder.file("usb")
        let nodeId = try #require(try Enrolment.load(test.node.database)?.nodeId)
        let files = try SneakernetFiles.export(
            database: test.node.database, identity: identity, nodeId: nodeId, to: stick)
        #expect(files.count == 3)
        #expect(try await platform.importEvents(from: stick) == 12_000)
        #expect(try await platform.importEvents(from: stick) == 0)
        #expect(try platform.database.status().eventsReceived == 12_000)
        // A tampered file is refused.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: files[0]))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: files[0]))
        await #expect(throws: SyncError.self) { try await platform.importEvents(from: stick) }

        // Bundles come back on the stick and import as any bundle does.
        let packer = try TestNode()
        try await platform.publish(archive: try packer.pack(["a.html": "<p>a</p>"], id: "usb-bundle", key: publisher))
        let down = folder.file("usb-down")
        _ = try await platform.exportBundles(to: down, node: nil)
        _ = try test.node.importer().importBundle(at: BundleImporter.findArchives(in: [down])[0])
        #expect(try test.node.database.bundle(id: "usb-bundle") != nil)
    }

    @Test func aNodePullsBundlesFromALANPeer() async throws {
        let source = try TestNode()
        _ = try source.importer().importBundle(
            at: try source.pack(["x.html": "<p>x</p>", "y.mp4": String(repeating: "y", count: 9000)], id: "shared"))
        let server = try await LiveServer(node: source.node)
        let target = try TestNode { $0.trustedKeys = [source.publisher.publicKey.base64] }
        let report = try await SyncSession(node: target.node, logger: Logger(label: "test")).pull(
            fromPeer: server.baseURL)
        await server.stop()
        #expect(report.installedBundles == ["shared v1"], "\(report.errors)")
        for file in try target.node.database.files(bundleId: "shared") {
            #expect(target.node.blobStore.verify(file.sha256))
        }
    }
}

/// A push interrupted by kill -9 of the node completes after restart, without duplicates.
@Suite(.serialized) struct SyncCrashTests {
    @Test func killDashNineDuringPushThenResume() async throws {
        let folder = TemporaryDirectory("platform")
        let platform = try Platform(root: folder.file("platform"))
        let live = try await LivePlatform(platform: platform)
        let (test, _) = try SyncTests.provisionedNode(
            url: live.baseURL, token: try await platform.createToken(schoolCode: "S-001"))
        try test.node.database.append(contentsOf: SyncTests.usage(150_000))
        let data = test.node.directory.root
        var kills = 0
        for attempt in 0..<40 {
            let process = try BackgroundProcess(["sync", "--once", "--data", data])
            if attempt < 3 {
                // Killed in the middle of the push: once the platform has stored more of the backlog than before.
                let before = try platform.database.status().eventsReceived
                while process.isRunning, try platform.database.status().eventsReceived <= before {
                    try await Task.sleep(for: .milliseconds(10))
                }
                if process.isRunning {
                    await process.stop(signal: SIGKILL)
                    kills += 1
                    continue
                }
            }
            _ = process.wait()
            if try test.node.database.pendingEventCount() == 0 { break }
        }
        await live.stop()
        #expect(kills > 0, "the sync finished before it could be killed")
        #expect(try platform.database.status().eventsReceived == 150_000)
        #expect(try test.node.database.pendingEventCount() == 0)
    }
}

/// A backlog rolled up into daily totals while offline still syncs: the rolled-up sequence numbers leave no gap.
@Suite struct RollupSyncTests {
    @Test func aRolledUpBacklogSyncsWithoutAGap() async throws {
        let folder = TemporaryDirectory("platform")
        let platform = try Platform(root: folder.file("platform"))
        let live = try await LivePlatform(platform: platform)
        let (test, _) = try SyncTests.provisionedNode(
            url: live.baseURL, token: try await platform.createToken(schoolCode: "S-001"))
        var events: [NodeEvent] = []
        for day in 0..<10 {
            for index in 0..<300 {
                events.append(
                    NodeEvent(
                        occurredAt: Date(timeIntervalSince1970: 1_780_000_000 + Double(day * 86_400 + index)),
                        .view(.init(bundleId: "b", resourceId: "r\(index % 3)", bytes: 10, deviceClass: "phone"))))
            }
        }
        try test.node.database.append(contentsOf: events)
        let report = try test.node.database.compact(olderThan: .distantPast, maxPendingUsageEvents: 1000)
        #expect(report.rolledUp > 0)
        _ = try await SyncTests.syncUntil(test.node, attempts: 3) { try test.node.database.pendingEventCount() == 0 }
        await live.stop()
        #expect(try test.node.database.pendingEventCount() == 0)
        let types = try await platform.database.writer.read {
            try String.fetchAll($0, sql: "SELECT DISTINCT type FROM receivedEvent ORDER BY type")
        }
        #expect(types == ["usageRollup", "view"])
    }
}
