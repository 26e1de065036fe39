import Foundation
import Logging
import SatchelBundles
import SatchelPlatform
import SatchelSync
import SatchelTestSupport
import Testing

/// Sync that needs nobody, through the fault proxy: a lost enrolment answer is answered again, and a backlog drains at
/// the speed of a rural link's bandwidth, not of its round trips.
@Suite(.serialized) struct RuralLinkSyncTests {
    static var quietLogger: Logger {
        var logger = Logger(label: "test.sync")
        logger.logLevel = .critical
        return logger
    }

    /// The platform enrols the node, then its answer is lost on the way back: the node asks again with the same token
    /// and key at the next session and is answered with the same node, and the platform holds one node, not two.
    @Test func aLostEnrolmentAnswerIsAnsweredAgain() async throws {
        let folder = TemporaryDirectory("platform")
        let platform = try Platform(root: folder.file("platform"))
        let live = try await LivePlatform(platform: platform)
        let proxy = try FaultProxy(upstreamPort: live.port, faultRate: 0)
        defer { proxy.stop() }
        proxy.inject(.dropResponse)
        let (test, _) = try SyncTests.provisionedNode(
            url: proxy.baseURL, token: try await platform.createToken(schoolCode: "S-001"))
        let node = test.node

        await #expect(throws: TransportError.self) {
            _ = try await SyncSession(node: node, logger: Self.quietLogger).run()
        }
        let created = try platform.database.status().nodes
        #expect(created.count == 1, "the platform did not enrol the node before its answer was lost")
        #expect(try Enrolment.load(node.database)?.nodeId == nil)

        _ = try await SyncSession(node: node, logger: Self.quietLogger).run()
        let enrolled = try #require(try Enrolment.load(node.database))
        #expect(enrolled.nodeId == created.first?.id)
        #expect(enrolled.pendingToken == nil)
        #expect(try platform.database.status().nodes.map(\.id) == created.map(\.id))
        await live.stop()
    }

    /// 20,000 events drain from node to platform over a 300 ms round trip and 1 Mbit/s in one session that opens one
    /// TCP connection. The time is printed, not asserted: this machine is shared, and the connection count is what
    /// decides whether round trips or bandwidth set the pace.
    @Test func twentyThousandEventsDrainOverOneConnectionOnARuralLink() async throws {
        let folder = TemporaryDirectory("platform")
        let platform = try Platform(root: folder.file("platform"))
        let live = try await LivePlatform(platform: platform)
        let proxy = try FaultProxy(upstreamPort: live.port, faultRate: 0, link: .rural)
        defer { proxy.stop() }
        let (test, _) = try SyncTests.provisionedNode(
            url: proxy.baseURL, token: try await platform.createToken(schoolCode: "S-001"))
        let node = test.node
        _ = try await SyncSession(node: node, logger: Self.quietLogger).run()
        try node.database.append(contentsOf: SyncTests.usage(20_000))

        let before = proxy.acceptedConnections
        let start = ContinuousClock.now
        let report = try await SyncSession(node: node, logger: Self.quietLogger).run()
        let elapsed = ContinuousClock.now - start
        let connections = proxy.acceptedConnections - before
        print(
            "rural link (300 ms RTT, 1 Mbit/s): 20,000 events in \(report.pushedBatches) batches, "
                + "\(report.pushBytes) gzip bytes, drained in \(elapsed) over \(connections) TCP connection(s)")
        #expect(report.pushedEvents == 20_000)
        #expect(try platform.database.status().eventsReceived == 20_000)
        #expect(connections == 1)
        await live.stop()
    }
}
