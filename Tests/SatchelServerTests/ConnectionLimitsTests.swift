import Foundation
import NIOCore
import SatchelServer
import SatchelSync
import SatchelTestSupport
import Testing

/// A misbehaving client cannot hold the node: oversized heads are refused and slow clients are cut off, while other
/// clients keep being served. Real sockets on loopback.
@Suite struct ConnectionLimitsTests {
    /// Opens a TCP connection to 127.0.0.1:port and returns its descriptor.
    static func connect(_ port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return descriptor
    }

    /// Reads until the peer closes or the 10 s receive timeout; returns what arrived and whether it closed.
    static func readAll(_ descriptor: Int32) -> (String, closed: Bool) {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return (String(decoding: data, as: UTF8.self), true) }
            if count < 0 { return (String(decoding: data, as: UTF8.self), false) }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    @Test func slowClientIsCutOffWhileOthersAreServed() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["a.txt": "alpha"]))
        var limits = ConnectionLimits()
        limits.requestHeadTimeout = .seconds(1)
        let server = try await LiveServer(node: test.node, limits: limits)
        let slow = try Self.connect(server.port)
        _ = "GET /content/test-bundle/a.txt HTTP/1.1\r\nHost: x\r\n".withCString { send(slow, $0, strlen($0), 0) }
        let started = Date()
        // Meanwhile another client is served normally.
        let other = try await CurlTransport().get(server.baseURL + "/content/test-bundle/a.txt")
        #expect(other.status == 200)
        let (_, closed) = Self.readAll(slow)
        close(slow)
        await server.stop()
        #expect(closed, "the server kept a connection that never finished its request head")
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// A client that stops reading its download is cut off after the send timeout, and its place among the
    /// connections goes to the next client.
    @Test func aClientThatStopsReadingGivesUpItsPlace() async throws {
        let test = try TestNode()
        // 8 MiB: more than the socket buffers between the two hold.
        let big = String(repeating: "0123456789abcdef", count: 512 * 1024)
        _ = try test.importer().importBundle(at: try test.pack(["big.txt": big, "a.txt": "alpha"]))
        var limits = ConnectionLimits()
        limits.maxConnections = 1
        limits.sendTimeout = .seconds(1)
        let server = try await LiveServer(node: test.node, limits: limits)
        let stalled = try Self.connect(server.port)
        defer { close(stalled) }
        var small: Int32 = 4096
        setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        _ = "GET /content/test-bundle/big.txt HTTP/1.1\r\nHost: x\r\n\r\n".withCString {
            send(stalled, $0, strlen($0), 0)
        }
        // The download has begun, so the only place is taken; from here on nothing is read.
        var first = [UInt8](repeating: 0, count: 16)
        #expect(recv(stalled, &first, first.count, Int32(MSG_WAITALL)) == first.count)
        let started = Date()
        var curl = CurlTransport()
        curl.lowSpeedSeconds = 10
        let other = try await curl.get(server.baseURL + "/content/test-bundle/a.txt")
        let waited = Date().timeIntervalSince(started)
        await server.stop()
        #expect(other.status == 200)
        #expect(waited < 8, "the next client waited \(waited) s for a place")
    }

    @Test func oversizedHeadersAreRefused() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["a.txt": "alpha"]))
        let server = try await LiveServer(node: test.node)
        let descriptor = try Self.connect(server.port)
        let request =
            "GET /content/test-bundle/a.txt HTTP/1.1\r\nHost: x\r\nX-Big: "
            + String(repeating: "a", count: 64 * 1024) + "\r\n\r\n"
        _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
        let (answer, _) = Self.readAll(descriptor)
        close(descriptor)
        let next = try await CurlTransport().get(server.baseURL + "/content/test-bundle/a.txt")
        await server.stop()
        #expect(!answer.contains("alpha"), "an oversized request was served")
        #expect(answer.isEmpty || answer.hasPrefix("HTTP/1.1 4"), "\(answer.prefix(80))")
        #expect(next.status == 200)
    }
}
