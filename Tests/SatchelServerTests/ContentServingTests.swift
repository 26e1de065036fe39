import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SatchelBundles
import SatchelHTTP
import SatchelServer
import SatchelSync
import SatchelTestSupport
import Testing

/// Content served over real sockets, from memory and with sendfile (``ConnectionGuard``), and everything else on the
/// connection: pipelined requests in order, keep-alive, HTTP/1.0, removed blobs, clients that do not read.
@Suite struct ContentServingTests {
    static let big = Data((0..<(3 * 1024 * 1024 + 17)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })

    static let css = String(repeating: "body { color: #333; } ", count: 200)

    static func makeNode() throws -> TestNode {
        let test = try TestNode()
        var files = ContentRoutesTests.files
        files["notes.css"] = css
        let archive = try test.pack(files, id: "demo")
        _ = try test.importer().importBundle(at: archive)
        return test
    }

    @Test func largeFilesAndRangesArriveByteForByte() async throws {
        let test = try TestNode()
        let source = test.folder.file("src-big")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Self.big.write(to: URL(fileURLWithPath: source + "/film.mp4"))
        try BundlePacker().pack(
            directory: source,
            options: BundlePacker.Options(
                id: "big", version: 1, format: .tarZstd, key: test.publisher, created: Date(timeIntervalSince1970: 0)),
            output: source + ".tar.zst")
        _ = try test.importer().importBundle(at: source + ".tar.zst")
        try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            let url = server.baseURL + "/content/big/film.mp4"
            for _ in 1...2 {
                let full = try await curl.get(url)
                #expect(full.status == 200)
                #expect(full.body == Self.big)
                let middle = try await curl.get(url, headers: ["Range": "bytes=1048576-2097151"])
                #expect(middle.status == 206)
                #expect(middle.headers["content-range"] == "bytes 1048576-2097151/\(Self.big.count)")
                #expect(middle.body == Self.big.subdata(in: 1_048_576..<2_097_152))
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let test = try Self.makeNode()
        let server = try await LiveServer(node: test.node)
        let descriptor = try ConnectionLimitsTests.connect(server.port)
        let requests = [
            "GET /api/v1/bundles HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /content/demo/intro.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\n\r\n",
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /content/demo/intro.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=5-9\r\n\r\n",
            "GET /content/demo/missing.txt HTTP/1.1\r\nHost: x\r\n\r\n",
            "HEAD /content/demo/intro.mp4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        ].joined()
        _ = requests.withCString { send(descriptor, $0, strlen($0), 0) }
        let (answer, closed) = ConnectionLimitsTests.readAll(descriptor)
        close(descriptor)
        await server.stop()
        // Status lines in the order they arrived (bodies do not end with a line break, so search the whole text).
        var statuses: [String] = []
        var searchFrom = answer.startIndex
        while let found = answer.range(of: "HTTP/1.1 ", range: searchFrom..<answer.endIndex) {
            statuses.append(String(answer[found.upperBound...].prefix(3)))
            searchFrom = found.upperBound
        }
        #expect(statuses == ["200", "206", "200", "206", "404", "200"], "\(statuses)")
        #expect(!answer.contains("HTTP/1.1 206 \r\n"), "a status line without its reason phrase")
        let first = try #require(answer.range(of: "\"bundles\""))
        let ranged = try #require(answer.range(of: "content-range: bytes 0-4/1000", options: .caseInsensitive))
        let health = try #require(answer.range(of: "\"eventsPending\""))
        let second = try #require(answer.range(of: "content-range: bytes 5-9/1000", options: .caseInsensitive))
        #expect(first.lowerBound < ranged.lowerBound && ranged.lowerBound < health.lowerBound)
        #expect(health.lowerBound < second.lowerBound)
        #expect(closed, "Connection: close was not honoured")
    }

    @Test func http10GetsItsAnswerAndTheConnectionCloses() async throws {
        let test = try Self.makeNode()
        let server = try await LiveServer(node: test.node)
        let descriptor = try ConnectionLimitsTests.connect(server.port)
        _ = "GET /content/demo/intro.mp4 HTTP/1.0\r\n\r\n".withCString { send(descriptor, $0, strlen($0), 0) }
        let (answer, closed) = ConnectionLimitsTests.readAll(descriptor)
        close(descriptor)
        await server.stop()
        // RFC 9110 6.2: the answer names the highest version the server speaks within the request's major version.
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(40))")
        #expect(answer.hasSuffix(ContentRoutesTests.body))
        #expect(closed)
    }

    @Test func aBlobRemovedBehindACachedLookupIsNotFound() async throws {
        let test = try Self.makeNode()
        try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            let url = server.baseURL + "/content/demo/video/clip.mp4"
            #expect(try await curl.get(url, headers: ["Range": "bytes=0-1"]).status == 206)
            let sha = try #require(try test.node.database.file(bundleId: "demo", path: "video/clip.mp4")).sha256
            try FileManager.default.removeItem(atPath: test.node.blobStore.path(for: sha))
            #expect(try await curl.get(url, headers: ["Range": "bytes=0-1"]).status == 404)
        }
    }

    @Test func beaconsAreCreditedOnlyTheTimeTheNodeSawPass() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["clip.mp4": ContentRoutesTests.body], id: "maths"))
        let (answer, closed) = try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            let url = server.baseURL + "/api/v1/beacon"
            // The video is opened (its first bytes asked for), then a tampered page claims two minutes, 20 times a
            // second, for 2 s by the test's clock (deliberate input pacing).
            #expect(try await curl.get(server.baseURL + "/content/maths/clip.mp4").status == 200)
            let opened = Date()
            var beacons = 0
            while Date().timeIntervalSince(opened) < 2 {
                let body = Data(#"{"bundleId": "maths", "resourceId": "clip", "seconds": 120}"#.utf8)
                let answer = try await curl.post(url, body: body, headers: ["Content-Type": "application/json"])
                #expect(answer.status == 204)
                beacons += 1
                try await Task.sleep(for: .milliseconds(50))
            }
            let elapsed = Date().timeIntervalSince(opened)
            let refused = try await curl.post(url, body: Data("not json".utf8))
            #expect(refused.status == 400)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("bad_beacon"))
            let unknown = try await curl.post(
                url, body: Data(#"{"bundleId": "maths", "resourceId": "nope", "seconds": 5}"#.utf8))
            #expect(unknown.status == 404)
            let huge = try await curl.post(url, body: Data(repeating: UInt8(ascii: " "), count: 5000))
            #expect(huge.status == 413 || huge.status == 400, "\(huge.status)")
            let seconds = try test.node.database.usageReport().map(\.seconds).reduce(0, +)
            print("\(beacons) beacons claiming 120 s each over \(elapsed) s were credited \(seconds) s")
            #expect(seconds <= Int(elapsed.rounded(.up)) && seconds >= 1, "credited \(seconds) s for \(elapsed) s")
            // Pipelined behind a beacon, a content request still gets its answer second.
            let descriptor = try ConnectionLimitsTests.connect(server.port)
            let beacon = #"{"bundleId": "maths", "resourceId": "clip", "seconds": 7}"#
            let requests =
                "POST /api/v1/beacon HTTP/1.1\r\nHost: x\r\nContent-Length: \(beacon.utf8.count)\r\n\r\n\(beacon)"
                + "GET /content/maths/clip.mp4 HTTP/1.1\r\nHost: x\r\nRange: bytes=0-2\r\nConnection: close\r\n\r\n"
            _ = requests.withCString { send(descriptor, $0, strlen($0), 0) }
            let answer = ConnectionLimitsTests.readAll(descriptor)
            close(descriptor)
            return answer
        }
        #expect(answer.hasPrefix("HTTP/1.1 204"), "\(answer.prefix(40))")
        #expect(answer.contains("HTTP/1.1 206") && answer.hasSuffix("ABC"), "\(answer)")
        #expect(closed)
    }

    @Test func aFileInSteadyDemandShowsANewImportWithinSeconds() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["a.txt": "version one"], id: "notes", version: 1))
        try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            let url = server.baseURL + "/content/notes/a.txt"
            for _ in 0..<30 {
                #expect(String(decoding: try await curl.get(url).body, as: UTF8.self) == "version one")
            }
            _ = try test.importer().importBundle(at: try test.pack(["a.txt": "version two"], id: "notes", version: 2))
            let imported = Date()
            var body = ""
            // Asked again and again until the new version answers (a lookup lives one second).
            while body != "version two", Date().timeIntervalSince(imported) < 10 {
                body = String(decoding: try await curl.get(url).body, as: UTF8.self)
            }
            #expect(body == "version two")
            #expect(Date().timeIntervalSince(imported) < 5, "the new version took too long to show")
        }
    }

    /// Pipelined content and other requests, with bodies, split heads and in any header case, leave in request
    /// order; `Connection: close` is honoured.
    @Test func pipelinedAndSplitRequestsAreAnsweredInOrder() async throws {
        let test = try Self.makeNode()
        let answers = try await LiveServer.serving(test.node) { server in
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
        #expect(split.lowercased().contains("connection: close\r\n"))
        #expect(splitClosed)

        let (mixed, mixedClosed) = answers.2
        #expect(Self.statuses(mixed) == ["200", "206", "200", "206", "200"], "\(mixed.prefix(300))")
        let svg = ContentRoutesTests.files["lesson/pic.svg"]!
        let markers = [
            svg, "content-range: bytes 0-2/1000", "\"bundles\"", "content-range: bytes 3-5/1000", "connection: close",
        ]
        let positions = try markers.map { try #require(mixed.range(of: $0, options: .caseInsensitive)).lowerBound }
        #expect(positions == positions.sorted(), "answers out of order")
        #expect(mixed.hasSuffix(svg) && mixedClosed)
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
    /// A client that sends requests without end and never reads the answers must not make the node buffer answers
    /// (or requests) without end: the node stops answering it and stops reading from it, and serves everyone else.
    @Test(arguments: ["", "POST /api/v1/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"])
    func aClientThatNeverReadsItsAnswersIsNotAnsweredWithoutEnd(first: String) async throws {
        let test = try Self.makeNode()
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

    /// An answer goes out even when the request after it is not complete yet.
    @Test func anAnswerBeforeAnUnfinishedRequestIsNotHeldBack() async throws {
        let test = try Self.makeNode()
        let answer = try await LiveServer.serving(test.node) { server in
            let descriptor = try ConnectionLimitsTests.connect(server.port)
            defer { close(descriptor) }
            let text =
                "GET /content/demo/intro.mp4 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /api/v1/beacon HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"bundle"
            _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), 0) }
            // Read until the whole first answer is there (the 10 s receive timeout ends a wait that never ends).
            var received = [UInt8]()
            var bytes = [UInt8](repeating: 0, count: 8192)
            while !String(decoding: received, as: UTF8.self).hasSuffix(ContentRoutesTests.body) {
                let count = recv(descriptor, &bytes, bytes.count, 0)
                guard count > 0 else { break }
                received += bytes.prefix(count)
            }
            return String(decoding: received, as: UTF8.self)
        }
        #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer.prefix(80))")
        #expect(answer.hasSuffix(ContentRoutesTests.body))
    }

    /// Usage counts visits, not requests: 2,000 requests for a lesson from one phone make one view; one request from
    /// each of 40 phones, each at its own address, make 40 more.
    @Test func viewsDownloadsAndSearchesCountOncePerClient() async throws {
        let fixture = try RecordsFlowTests.Fixture()
        let database = fixture.test.node.database
        try await LiveServer.serving(fixture.test.node) { server in
            let curl = CurlTransport()
            // Searches first: usage is written in order, so once the last download is stored, so are they.
            for userAgent in ["phone-a", "phone-a", "phone-a", "Phone-A-other", "phone-a"] {
                let answer = try await curl.get(
                    server.baseURL + "/search?q=%E5%88%86%E6%95%B0", headers: ["User-Agent": userAgent])
                #expect(answer.status == 200)
            }
            for _ in 0..<2000 {
                #expect(try await curl.get(server.baseURL + "/content/maths/lesson.html").status == 200)
            }
            for index in 0..<40 {
                let (answer, _) = try await Self.exchange(
                    server.port, from: "127.0.0.\(10 + index)",
                    "GET /content/maths/lesson.html HTTP/1.1\r\nHost: x\r\nUser-Agent: phone\r\nConnection: close\r\n\r\n"
                )
                #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(40))")
            }
            // A download counts once per client and file (a day).
            for _ in 0..<3 {
                #expect(try await curl.get(server.baseURL + "/content/maths/clip.mp4?dl=1").status == 200)
            }
        }
        // Usage is written in the background; wait for it to land.
        let deadline = Date().addingTimeInterval(30)
        var maths = try database.usageReport().first { $0.subject == "数学" }
        while (maths?.views ?? 0) < 41 || (maths?.downloads ?? 0) < 1, Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
            maths = try database.usageReport().first { $0.subject == "数学" }
        }
        #expect(maths?.views == 41 && maths?.downloads == 1, "\(String(describing: maths))")
        let searches = try await database.reader.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM event WHERE type = 'search'") ?? 0
        }
        #expect(searches == 2, "five searches for 分数 by two browsers in a minute are two searches")
    }

    /// This process's resident memory in bytes (the node under test runs in it).
    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Sends `pieces` on a new connection, 50 ms apart, and reads until the server closes it (or 10 s pass).
    static func exchange(
        _ port: Int, from source: String = "127.0.0.1", _ pieces: String...
    ) async throws -> (
        String, closed: Bool
    ) {
        let descriptor = try ConnectionLimitsTests.connect(port, from: source)
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
