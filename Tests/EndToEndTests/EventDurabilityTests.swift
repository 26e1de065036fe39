import Foundation
import SatchelBundles
import SatchelCore
import SatchelStore
import SatchelSync
import SatchelTestSupport
import Testing

/// kill -9 of `satchel serve` in the middle of a burst of writes: every event the API answered 2xx for is on disk
/// after restart, and no request was stored twice.
@Suite(.serialized) struct EventDurabilityTests {
    @Test func everyAcknowledgedBeaconSurvivesKillDashNine() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["lesson.html": "<h1>课</h1>"], id: "b"))
        let data = test.node.directory.root
        let environment = ["SATCHEL_TRUSTED_KEYS": test.publisher.publicKey.base64, "SATCHEL_LOG_LEVEL": "info"]
        let server = try BackgroundProcess(
            ["serve", "--data", data, "--port", "0", "--host", "127.0.0.1"], environment: environment)
        let port = try await server.waitFor(#"satchel\.http\.port=(\d+)"#)
        let url = "http://127.0.0.1:\(port)/api/v1/beacon"
        let body = Data(#"{"bundleId": "b", "resourceId": "lesson", "seconds": 30}"#.utf8)

        let counter = Counter()
        // The clients stop on their own after a minute at most; the kill comes long before.
        let deadline = Date().addingTimeInterval(60)
        let clients = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        let curl = CurlTransport()
                        while Date() < deadline {
                            counter.sent()
                            guard
                                let response = try? await curl.post(
                                    url, body: body, headers: ["Content-Type": "application/json"])
                            else { return }
                            if response.status == 204 { counter.acknowledged() }
                        }
                    }
                }
            }
        }
        // Killed in the middle of the writes: once 300 have been acknowledged, with 32 clients still writing.
        while counter.totals.acknowledged < 300, Date() < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await server.stop(signal: SIGKILL) != 0)
        await clients.value
        let (sent, acknowledged) = counter.totals
        #expect(acknowledged > 50, "too few writes were acknowledged before the kill to test anything")

        let reopened = try Node.open(configuration: test.node.configuration)
        let stored = try await reopened.database.reader.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM event WHERE type = 'timeSpent'") ?? 0
        }
        #expect(stored >= acknowledged, "acknowledged \(acknowledged) but only \(stored) survived")
        #expect(stored <= sent, "stored \(stored) events for \(sent) requests: something was counted twice")
        let seconds = try await reopened.database.reader.read {
            try Int.fetchOne($0, sql: "SELECT SUM(seconds) FROM usageDaily") ?? 0
        }
        #expect(seconds == stored * 30, "derived totals disagree with the log")
    }
}

/// Thread-safe counts of requests sent and acknowledged.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var sentCount = 0
    private var acknowledgedCount = 0

    func sent() { lock.withLock { sentCount += 1 } }
    func acknowledged() { lock.withLock { acknowledgedCount += 1 } }
    var totals: (sent: Int, acknowledged: Int) { lock.withLock { (sentCount, acknowledgedCount) } }
}
