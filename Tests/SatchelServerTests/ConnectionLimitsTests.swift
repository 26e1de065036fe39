import Foundation
import NIOCore
import SatchelHTTP
import SatchelServer
import SatchelSync
import SatchelTestSupport
import Testing

/// A misbehaving client cannot hold the node: oversized heads are refused and slow clients are cut off, while other
/// clients keep being served. Real sockets on loopback.
@Suite struct ConnectionLimitsTests {
    /// Opens a TCP connection to 127.0.0.1:port from the loopback address `source` and returns its descriptor.
    static func connect(_ port: Int, from source: String = "127.0.0.1") throws -> Int32 {
        try LoopbackSocket.connect(port: port, from: source)
    }

    /// Reads until the peer closes (or resets) or the 10 s receive timeout; returns what arrived and whether it closed.
    static func readAll(_ descriptor: Int32) -> (String, closed: Bool) {
        let (text, closed) = LoopbackSocket.readToEnd(descriptor)
        return (text, closed)
    }

    @Test func slowClientIsCutOffWhileOthersAreServed() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["a.txt": "alpha"]))
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(1)
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

    /// One device (at 127.0.0.2) opens many connections that announce a body and never send it: it can hold only its
    /// share of the places, each is closed once idle, and a teacher at another address is served all along. Before,
    /// 515 such requests took every place for as long as they liked.
    @Test func bodiesThatNeverArriveCannotHoldTheNode() async throws {
        let test = try TestNode()
        var limits = ConnectionLimits()
        limits.maxConnections = 40
        limits.maxConnectionsPerAddress = 20
        limits.idleTimeout = .seconds(2)
        let server = try await LiveServer(node: test.node, limits: limits)
        let heads = [
            "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
            "POST /api/v1/beacon HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
            "GET /content/x/y HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
            "POST /register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        ]
        var attackers: [Int32] = []
        for index in 0..<60 {
            let descriptor = try Self.connect(server.port, from: "127.0.0.2")
            _ = heads[index % heads.count].withCString { send(descriptor, $0, strlen($0), 0) }
            attackers.append(descriptor)
        }
        let started = Date()
        let health = try await CurlTransport().get(server.baseURL + "/healthz")
        let answeredIn = Date().timeIntervalSince(started)
        // Every attacking connection ends: refused at once beyond the address's share, the rest once idle.
        let closed = attackers.filter { Self.readAll($0).closed }.count
        let allClosedIn = Date().timeIntervalSince(started)
        attackers.forEach { close($0) }
        await server.stop()
        #expect(health.status == 200)
        #expect(answeredIn < 1, "the teacher waited \(answeredIn) s")
        #expect(closed == 60, "\(60 - closed) connections were still open")
        #expect(allClosedIn < 8, "the idle connections were closed after \(allClosedIn) s")
    }

    /// A body trickled below the minimum rate is cut off, though each byte comes well within the idle timeout.
    @Test func aTrickledBodyIsCutOff() async throws {
        let test = try TestNode()
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(5)
        limits.minimumBodyRate = 100
        limits.bodyRateWindow = .seconds(1)
        let server = try await LiveServer(node: test.node, limits: limits)
        let descriptor = try Self.connect(server.port, from: "127.0.0.2")
        defer { close(descriptor) }
        _ =
            "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\n"
            .withCString { send(descriptor, $0, strlen($0), 0) }
        let started = Date()
        var cutOff = false
        // The attack: one byte every 200 ms, until the node closes the connection or 8 s have passed.
        while !cutOff, Date().timeIntervalSince(started) < 8 {
            _ = "a".withCString { send(descriptor, $0, 1, Int32(MSG_NOSIGNAL)) }
            try await Task.sleep(for: .milliseconds(200))
            var byte: UInt8 = 0
            let count = recv(descriptor, &byte, 1, Int32(MSG_DONTWAIT))
            cutOff = count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        }
        let took = Date().timeIntervalSince(started)
        await server.stop()
        #expect(cutOff, "a body trickled at 5 bytes a second kept its connection for 8 s")
        #expect(took < 4)
    }

    /// RFC 9112 3.2: a request with no Host, or two, is refused with 400 in its turn; HTTP/1.0 may omit it.
    @Test func requestsWithoutExactlyOneHostAreRefusedInOrder() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["a.txt": "alpha"]))
        try await LiveServer.serving(test.node) { server in
            let (missing, missingClosed) = try await ContentServingTests.exchange(
                server.port,
                "GET /content/test-bundle/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /content/test-bundle/a.txt HTTP/1.1\r\n\r\n"
                    + "GET /content/test-bundle/a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(ContentServingTests.statuses(missing) == ["200", "400"], "\(missing)")
            #expect(missingClosed)
            let (twice, _) = try await ContentServingTests.exchange(
                server.port, "GET /content/test-bundle/a.txt HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n")
            #expect(ContentServingTests.statuses(twice) == ["400"], "\(twice)")
            let (old, oldClosed) = try await ContentServingTests.exchange(
                server.port, "GET /content/test-bundle/a.txt HTTP/1.0\r\n\r\n")
            #expect(old.hasPrefix("HTTP/1.1 200") && old.hasSuffix("alpha") && oldClosed, "\(old)")
        }
    }

    /// `Connection: close` in any case ends the connection after the answer, and a malformed request after valid
    /// pipelined ones gets its 400 after their answers.
    @Test(arguments: ["close", "Close", "CLOSE", "keep-alive, Close"])
    func connectionCloseInAnyCaseIsHonoured(token: String) async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["a.txt": "alpha"]))
        try await LiveServer.serving(test.node) { server in
            let (answer, closed) = try await ContentServingTests.exchange(
                server.port, "GET /content/test-bundle/a.txt HTTP/1.1\r\nHost: x\r\nConnection: \(token)\r\n\r\n")
            #expect(answer.hasSuffix("alpha") && closed, "\(answer)")
            let get = "GET /content/test-bundle/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
            let (pipelined, _) = try await ContentServingTests.exchange(
                server.port, get + get + "GET /\u{01}bad HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(ContentServingTests.statuses(pipelined) == ["200", "200", "400"], "\(pipelined)")
            #expect(pipelined.components(separatedBy: "alpha").count == 3, "both answers before the 400")
        }
    }
}
