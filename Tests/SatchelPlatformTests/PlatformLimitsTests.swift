import Foundation
import SatchelPlatform
import SatchelSync
import SatchelTestSupport
import Testing

/// Clients that open connections and send nothing cannot hold the platform: an idle connection is closed, even in
/// the middle of a request, and the bounded number of connections frees up for the nodes. Real sockets on loopback.
@Suite struct PlatformLimitsTests {
    @Test func aHeadWhoseBodyNeverComesIsClosedAfterTheIdleTimeout() async throws {
        let folder = TemporaryDirectory("platform")
        let live = try await LivePlatform(
            platform: try Platform(root: folder.file("platform")),
            limits: .init(idleTimeout: .seconds(1), maxConnections: 16))
        let started = Date()
        let holder = try LoopbackSocket(port: live.port)
        holder.send("POST /api/v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        let (_, closed) = holder.readToEnd()
        await live.stop()
        #expect(closed, "the platform kept a connection whose body never came")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func connectionsAreBoundedAndHeldPlacesComeBack() async throws {
        let folder = TemporaryDirectory("platform")
        let live = try await LivePlatform(
            platform: try Platform(root: folder.file("platform")),
            limits: .init(idleTimeout: .seconds(1), maxConnections: 2))
        // Two clients take both places with heads that announce a body and never send it.
        let holders = try (0..<2).map { _ in try LoopbackSocket(port: live.port) }
        for holder in holders {
            holder.send("POST /api/v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        }
        let started = Date()
        let freed = Task.detached { () -> Date in
            for holder in holders { _ = holder.readToEnd() }
            return Date()
        }
        // A third client is answered, and the held places come back through the idle timeout. (Whether the third
        // waits for them is not asserted: NIO accepts up to four queued connections in one read before the bound is
        // consulted, so a client that connects in the same instant as the holders may be let in beside them.)
        let status = try await CurlTransport().get(live.baseURL + "/healthz")
        let freedAt = await freed.value
        await live.stop()
        #expect(status.status == 200)
        #expect(freedAt.timeIntervalSince(started) < 10, "the held places did not come back")
    }
}
