import Foundation
import Logging
import SatchelCore
import SatchelPlatform
import SatchelStore
import SatchelSync
import SatchelTestSupport
import Testing

/// Issue 13 as an attacker tries it against sync: another school, a lying peer or platform, a hostile USB stick.
@Suite(.serialized) struct SyncSecurityTests {
    /// Two nodes enrolled with one platform, each with its identity and node id.
    static func twoEnrolledNodes(_ platform: Platform, url: String) async throws -> [(TestNode, NodeIdentity, String)] {
        var nodes: [(TestNode, NodeIdentity, String)] = []
        for school in ["S-A", "S-B"] {
            let (test, identity) = try SyncTests.provisionedNode(
                url: url, token: try platform.database.createToken(schoolCode: school), school: school)
            _ = try await SyncSession(node: test.node, logger: Logger(label: "test")).run()
            nodes.append((test, identity, try #require(try Enrolment.load(test.node.database)?.nodeId)))
        }
        return nodes
    }

    @Test func oneSchoolCannotSilenceAnotherWithItsBatchIds() async throws {
        let folder = TemporaryDirectory("platform")
        let platform = try Platform(root: folder.file("platform"))
        let live = try await LivePlatform(platform: platform)
        let nodes = try await Self.twoEnrolledNodes(platform, url: live.baseURL)
        let (_, aIdentity, aId) = nodes[0]
        let (b, bIdentity, bId) = nodes[1]

        // School A, signing with its own key on its own path, squats B's predictable batch ids: over the network for
        // B's next push, on a USB stick for B's next export.
        let attacker = PlatformClient(baseURL: live.baseURL, identity: aIdentity, nodeId: aId)
        _ = try await attacker.push(.init(batchId: "\(bId):1-30", nodeId: aId, from: 1, to: 30, events: []))
        let squat = folder.file("squat")
        _ = try SneakernetFiles.write(
            .init(batchId: "\(bId):31-60", nodeId: aId, from: 31, to: 60, events: []), signedBy: aIdentity, to: squat)
        #expect(try platform.importEvents(from: squat) == 0)

        // B's real events arrive whole, 30 by push and 30 by stick.
        try b.node.database.append(contentsOf: SyncTests.usage(30))
        _ = try await SyncSession(node: b.node, logger: Logger(label: "test")).run()
        #expect(try platform.database.status().eventsReceived == 30)
        await live.stop()
        try b.node.database.append(contentsOf: SyncTests.usage(30, start: 30))
        let stick = folder.file("usb")
        let files = try SneakernetFiles.export(database: b.node.database, identity: bIdentity, nodeId: bId, to: stick)
        #expect(files.count == 1 && files[0].hasSuffix("events-000000000031-000000000060.json.gz"))
        #expect(try platform.importEvents(from: stick) == 30)
        let stored = try platform.database.status()
        #expect(stored.eventsReceived == 60)
        #expect(stored.nodes.first { $0.id == bId }?.acknowledged == 60)
    }
}
