import Dispatch
import Foundation
import NIOCore
import SatchelSync
import SatchelTestSupport
import Testing

@testable import SatchelServer

/// The request reader ahead of NIO's decoder answers only what it reads with certainty, and hands everything else,
/// in order, to the decoder.
@Suite struct RawContentPathTests {
    enum Outcome: Equatable {
        case request(path: String, query: String?, head: Bool, close: Bool, length: Int)
        /// A whole GET or HEAD of another target: handed to the decoder as exactly its own bytes.
        case handOn(length: Int, close: Bool)
        case incomplete
        case other
    }

    static func parse(_ text: String) -> Outcome {
        switch RawContentPath.parse(ByteBuffer(string: text), maxHeadBytes: 16 * 1024, maxFields: 100) {
        case .request(let request?, let length, let close):
            .request(path: request.rawPath, query: request.query, head: request.isHead, close: close, length: length)
        case .request(nil, let length, let close):
            .handOn(length: length, close: close)
        case .incomplete: .incomplete
        case .other: .other
        }
    }

    static let plain = "GET /content/demo/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"

    @Test(arguments: [
        // Taken: plain requests, with the headers the content answer reads, in any case.
        (plain, Outcome.request(path: "/content/demo/a.txt", query: nil, head: false, close: false, length: 45)),
        (
            "HEAD /content/demo/%E6%96%87.txt?v=2 HTTP/1.1\r\nhost:x\r\nRANGE: bytes=0-1\r\nconnection: Close\r\n\r\n",
            .request(path: "/content/demo/%E6%96%87.txt", query: "v=2", head: true, close: true, length: 94)
        ),
        (
            "GET /content/d/a HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip \t\r\nConnection: keep-alive\r\n\r\nGET /",
            .request(path: "/content/d/a", query: nil, head: false, close: false, length: 87)
        ),
        // Not complete yet.
        ("GET /con", .incomplete),
        ("HEAD /content/demo/a.txt HTTP/1.", .incomplete),
        ("GET /content/demo/a.txt HTTP/1.1\r\nHost: x\r\n", .incomplete),
        ("GET /content/demo/a.txt HTTP/1.1\r\nHost: x\r\n\r", .incomplete),
        // Other targets: read in full, answered by the decoder and the router.
        ("GET /api/v1/bundles HTTP/1.1\r\nHost: x\r\n\r\nGET", .handOn(length: 41, close: false)),
        ("HEAD /contents/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", .handOn(length: 57, close: true)),
        // The decoder's with everything after: other methods and versions.
        ("POST /content/demo/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", .other),
        ("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", .other),
        ("GET /content/demo/a.txt HTTP/1.0\r\n\r\n", .other),
        ("GET /content/demo/a.txt HTTP/2.0\r\nHost: x\r\n\r\n", .other),
        ("GET  /content/demo/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", .other),
        ("GET /content/demo/a b HTTP/1.1\r\nHost: x\r\n\r\n", .other),
        ("GET /content/demo/\u{7F} HTTP/1.1\r\nHost: x\r\n\r\n", .other),
        // ... a body, an expectation, an upgrade, a connection option it does not know.
        ("GET /content/d/a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n\r\n", .other),
        // ... no Host or two, a repeated header it reads, and anything RFC 9112 would not take as is.
        ("GET /content/d/a HTTP/1.1\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\nHost: x\n\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost : x\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost: x\ry\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost: x\u{0}\r\n\r\n", .other),
        ("GET /content/d/a HTTP/1.1\r\nHost: x\r\nNo-Colon\r\n\r\n", .other),
    ])
    func readsOnlyWhatItIsSureOf(text: String, expected: Outcome) {
        #expect(Self.parse(text) == expected, "\(text.debugDescription)")
    }

    @Test func tooManyFieldsOrTooLongAHeadGoToTheDecoder() {
        let many = "GET /content/d/a HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-A: b\r\n", count: 100) + "\r\n"
        #expect(Self.parse(many) == .other)
        let long = "GET /content/d/a HTTP/1.1\r\nHost: x\r\nX-A: " + String(repeating: "b", count: 20_000)
        #expect(
            RawContentPath.parse(ByteBuffer(string: long), maxHeadBytes: 16 * 1024, maxFields: 100).isIncomplete)
    }

    /// Over a socket: answers read ahead of the decoder, a request that is not theirs, and what follows it, leave
    /// in request order; a head split over several packets is waited for; `Connection: close` is honoured.
    @Test func pipelinedSplitAndHandedOverRequestsAreAnsweredInOrder() async throws {
        let test = try ContentFastPathTests.makeNode()
        let answers = try await LiveServer.serving(test.node) { server in
            // Warm the lookup, so that content requests are answered from memory.
            _ = try await CurlTransport().get(server.baseURL + "/content/demo/intro.mp4")
            let first = try await Self.exchange(
                server.port,
                "GET /content/demo/intro.mp4 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "HEAD /content/demo/intro.mp4 HTTP/1.1\r\nhost: x\r\nrange: bytes=0-4\r\n\r\n"
                    + "GET /content/demo/intro.mp4 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                    + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /content/demo/intro.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=5-9\r\nConnection: close\r\n\r\n"
            )
            let second = try await Self.exchange(
                server.port, "GET /content/demo/intro.mp4 HT", "TP/1.1\r\nHost: x\r",
                "\n\r\nGET /content/demo/intro.mp4 HTTP/1.1\r\n", "Host: x\r\nConnection: close\r\n\r\n")
            // A lookup not in memory yet and a page go through the decoder; the requests after them are read here
            // again, and still answered after them.
            let third = try await Self.exchange(
                server.port,
                "GET /content/demo/lesson/pic.svg HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /content/demo/intro.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=0-2\r\n\r\n"
                    + "GET /api/v1/bundles HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /content/demo/intro.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=3-5\r\n\r\n"
                    + "GET /content/demo/lesson/pic.svg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return (first, second, third)
        }
        let (pipelined, closed) = answers.0
        #expect(Self.statuses(pipelined) == ["200", "206", "200", "200", "206"], "\(pipelined.prefix(300))")
        let full = try #require(pipelined.range(of: ContentRoutesTests.body))
        let head = try #require(pipelined.range(of: "content-range: bytes 0-4/1000", options: .caseInsensitive))
        let health = try #require(pipelined.range(of: "\"eventsPending\""))
        let last = try #require(pipelined.range(of: "content-range: bytes 5-9/1000", options: .caseInsensitive))
        #expect(full.lowerBound < head.lowerBound && head.lowerBound < health.lowerBound)
        #expect(health.lowerBound < last.lowerBound)
        #expect(pipelined.hasSuffix(String(ContentRoutesTests.body.dropFirst(5).prefix(5))))
        #expect(closed, "Connection: close was not honoured")

        let (split, splitClosed) = answers.1
        #expect(Self.statuses(split) == ["200", "200"], "\(split.prefix(300))")
        #expect(split.components(separatedBy: ContentRoutesTests.body).count == 3, "two whole bodies")
        #expect(split.contains("Connection: close\r\n"))
        #expect(splitClosed)

        let (mixed, mixedClosed) = answers.2
        #expect(Self.statuses(mixed) == ["200", "206", "200", "206", "200"], "\(mixed.prefix(300))")
        let svg = ContentRoutesTests.files["lesson/pic.svg"]!
        let markers = [
            svg, "content-range: bytes 0-2/1000", "\"bundles\"", "content-range: bytes 3-5/1000", "Connection: close",
        ]
        let positions = try markers.map { try #require(mixed.range(of: $0, options: .caseInsensitive)).lowerBound }
        #expect(positions == positions.sorted(), "answers out of order")
        #expect(mixed.hasSuffix(svg) && mixedClosed)
    }

    /// Answers are remembered for the same request head only when giving them recorded nothing: each view of a
    /// resource is still a view, however fast they come.
    @Test func repeatedViewsOfAResourceAreEachRecorded() async throws {
        let fixture = try RecordsFlowTests.Fixture()
        let database = fixture.test.node.database
        let before = try database.pendingEventCount()
        try await LiveServer.serving(fixture.test.node) { server in
            let view = "GET /content/maths/lesson.html HTTP/1.1\r\nHost: x\r\n\r\n"
            let picture = "GET /content/maths/clip.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=5-6\r\n\r\n"
            let (answer, _) = try await Self.exchange(
                server.port, view, view + view + picture + picture,
                view.replacingOccurrences(of: "\r\n\r\n", with: "\r\nConnection: close\r\n\r\n"))
            #expect(Self.statuses(answer) == ["200", "200", "200", "206", "206", "200"], "\(answer.prefix(200))")
        }
        for _ in 0..<100 where try database.pendingEventCount() < before + 4 {
            try await Task.sleep(for: .milliseconds(20))
        }
        let maths = try #require(try database.usageReport().first { $0.subject == "数学" })
        #expect(maths.views == 4, "\(maths)")
    }

    /// Pipelined answers from memory to a client that does not read fill the socket; they still all arrive, in
    /// order, whole, and the connection closes when asked.
    @Test func pipelinedAnswersToASlowReaderAllArrive() async throws {
        let test = try TestNode()
        let page = String(repeating: "abcdefgh", count: 25_000)  // 200,000 bytes: kept in memory, not remembered
        _ = try test.importer().importBundle(at: try test.pack(["page.html": page], id: "big"))
        let (answer, closed) = try await LiveServer.serving(test.node) { server in
            _ = try await CurlTransport().get(server.baseURL + "/content/big/page.html")
            let request = "GET /content/big/page.html HTTP/1.1\r\nHost: x\r\n\r\n"
            // 60 answers are 12 MB: far more than the socket buffers hold while nobody reads.
            return try await Self.exchange(
                server.port, String(repeating: request, count: 60),
                request.replacingOccurrences(of: "\r\n\r\n", with: "\r\nConnection: close\r\n\r\n"))
        }
        #expect(Self.statuses(answer) == Array(repeating: "200", count: 61))
        #expect(answer.components(separatedBy: page).count == 62, "61 whole bodies")
        #expect(closed)
    }

    /// A client that sends requests without end and never reads the answers must not make the node buffer answers
    /// (or requests) without end: the node stops answering it and stops reading from it, and serves everyone else.
    /// With no first request, the requests are read ahead of the decoder; after a POST, which this reader hands to
    /// the decoder for good, they are answered after it (``FastPath``).
    @Test(arguments: ["", "POST /api/v1/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"])
    func aClientThatNeverReadsItsAnswersIsNotAnsweredWithoutEnd(first: String) async throws {
        let test = try ContentFastPathTests.makeNode()
        try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            let path = "/content/demo/intro.mp4"
            _ = try await curl.get(server.baseURL + path)
            let memoryBefore = Self.residentBytes()
            let flood = try ConnectionLimitsTests.connect(server.port)
            defer { close(flood) }
            _ = first.withCString { Glibc.send(flood, $0, strlen($0), 0) }
            _ = fcntl(flood, F_SETFL, fcntl(flood, F_GETFL) | O_NONBLOCK)
            let chunk = Array(String(repeating: "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n", count: 500).utf8)
            // Send until the node stops taking requests for a second, or 16 MB (more than 350,000 requests).
            var sent = 0
            var lastProgress = Date()
            while sent < 16 << 20, Date().timeIntervalSince(lastProgress) < 1 {
                let count = chunk.withUnsafeBytes { Glibc.send(flood, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    sent += count
                    lastProgress = Date()
                } else {
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            #expect(sent < 16 << 20, "the node kept reading requests from a client that reads no answers")
            // The node (in this process) holds no pile of answers for it: without the limit this grew by 86 MB.
            let grown = Self.residentBytes() - memoryBefore
            #expect(grown < 24 << 20, "memory grew by \(grown >> 20) MiB for a client that reads no answers")
            // Others are served meanwhile.
            #expect(try await curl.get(server.baseURL + path).status == 200)
        }
    }

    /// An answer given here goes out even when the request after it, handed to the decoder, is not complete yet.
    @Test func anAnswerBeforeAnUnfinishedRequestIsNotHeldBack() async throws {
        let test = try ContentFastPathTests.makeNode()
        let answer = try await LiveServer.serving(test.node) { server in
            _ = try await CurlTransport().get(server.baseURL + "/content/demo/intro.mp4")
            let descriptor = try ConnectionLimitsTests.connect(server.port)
            defer { close(descriptor) }
            let text =
                "GET /content/demo/intro.mp4 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /api/v1/beacon HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"bundle"
            _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), 0) }
            try await Task.sleep(for: .milliseconds(500))
            var bytes = [UInt8](repeating: 0, count: 8192)
            let count = recv(descriptor, &bytes, bytes.count, Int32(MSG_DONTWAIT))
            return String(decoding: bytes.prefix(max(count, 0)), as: UTF8.self)
        }
        #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer.prefix(80))")
        #expect(answer.hasSuffix(ContentRoutesTests.body))
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET", 27), ("GET / HTTP/1.1\r\nHost: x\r\n\r", nil),
        ("\r\n\r\n", 4), ("GET /\n\r\n\r\n", 10), ("GET /\r\r\n\r\n", 10), ("ab\r\n", nil),
    ])
    func findsTheEndOfARequestHead(text: String, length: Int?) {
        #expect(RawContentPath.completeHead(ByteBuffer(string: text), maxHeadBytes: 64)?.readableBytes == length)
    }

    @Test func theMemoTellsHeadsApartByEveryByte() {
        let memo = RecentAnswers()
        let now = DispatchTime.now().uptimeNanoseconds
        let base = "GET /content/demo/f-001.html HTTP/1.1\r\nHost: node\r\nAccept: */*\r\n\r\n"
        // The same head with one byte changed: in the first word, in the middle, and in the tail after the last
        // whole 8-byte word.
        let utf8 = Array(base.utf8)
        var heads = [base]
        for position in [1, 22, utf8.count - 5] {
            var changed = utf8
            changed[position] ^= 0x01
            heads.append(String(decoding: changed, as: UTF8.self))
        }
        for (index, head) in heads.enumerated() {
            let answer = RecentAnswers.Answer(
                head: ByteBuffer(string: "answer \(index)"), body: nil, status: 200, isHead: false, bodyCount: 0)
            memo.remember(answer, for: ByteBuffer(string: head), now: now)
        }
        for (index, head) in heads.enumerated() {
            // Asked with the head at another place in a bigger read buffer.
            var read = ByteBuffer(string: "xx" + head + "GET")
            read.moveReaderIndex(forwardBy: 2)
            let slice = read.getSlice(at: read.readerIndex, length: head.utf8.count)!
            let found = memo.answer(to: slice, now: now)
            #expect(found.map { String(buffer: $0.head) } == "answer \(index)")
        }
        #expect(memo.answer(to: ByteBuffer(string: base + "X"), now: now) == nil)
    }

    /// This process's resident memory in bytes (the node under test runs in it).
    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Sends `pieces` on a new connection, 50 ms apart, and reads until the server closes it (or 10 s pass).
    static func exchange(_ port: Int, _ pieces: String...) async throws -> (String, closed: Bool) {
        let descriptor = try ConnectionLimitsTests.connect(port)
        defer { close(descriptor) }
        for piece in pieces {
            _ = piece.withCString { Glibc.send(descriptor, $0, strlen($0), 0) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return ConnectionLimitsTests.readAll(descriptor)
    }

    /// The status codes of the responses in `answer`, in order.
    static func statuses(_ answer: String) -> [String] {
        var statuses: [String] = []
        var searchFrom = answer.startIndex
        while let found = answer.range(of: "HTTP/1.1 ", range: searchFrom..<answer.endIndex) {
            statuses.append(String(answer[found.upperBound...].prefix(3)))
            searchFrom = found.upperBound
        }
        return statuses
    }
}

extension RawContentPath.Parsed {
    var isIncomplete: Bool {
        if case .incomplete = self { return true }
        return false
    }
}
