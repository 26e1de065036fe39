import Foundation
import SatchelSync
import SatchelTestSupport
import Testing

/// Every byte sync moves over the network is counted, as the kernel counted it: a metered link is billed for a
/// download that was stopped part way, too.
@Suite struct WireMeterTests {
    @Test func aStoppedDownloadIsCountedAndAWholeTransferToTheByte() async throws {
        let test = try TestNode()
        let content = String((0..<300_000).map { _ in Character(UnicodeScalar(UInt8.random(in: 33...126))) })
        _ = try test.importer().importBundle(at: try test.pack(["big.bin": content]))
        let sha = try #require(try test.node.database.file(bundleId: "test-bundle", path: "big.bin")).sha256
        let server = try await LiveServer(node: test.node)
        let proxy = try FaultProxy(upstreamPort: server.port, faultRate: 0)
        defer { proxy.stop() }
        let meter = WireMeter()
        var transport = CurlTransport()
        transport.meter = meter

        // A source that sends more than the signed size is stopped at 100,000 bytes: the file holds those, and the
        // wire carried them and more.
        do {
            _ = try await transport.download(
                proxy.baseURL + "/api/v1/blobs/\(sha)", to: test.folder.file("stopped.part"), maxFileBytes: 100_000)
            Issue.record("a download over its size was not stopped")
        } catch let error as TransportError {
            #expect(error.code == .tooLarge)
        }
        let stopped = meter.total
        #expect(stopped.received > 100_000, "\(stopped)")
        #expect(stopped.sent > 0)

        // A whole transfer on a fresh connection: the meter holds exactly what a second proxy passed each way.
        let exact = try FaultProxy(upstreamPort: server.port, faultRate: 0)
        defer { exact.stop() }
        let whole = try await transport.get(exact.baseURL + "/api/v1/blobs/\(sha)")
        #expect(whole.status == 200 && whole.body.count == 300_000)
        let counted = meter.total
        _ = await wait(until: .now + .seconds(10)) {
            exact.relayedBytes.toClient >= Int(counted.received - stopped.received)
        }
        #expect(Int(counted.received - stopped.received) == exact.relayedBytes.toClient)
        #expect(Int(counted.sent - stopped.sent) == exact.relayedBytes.toServer)
        await server.stop()
    }
}
