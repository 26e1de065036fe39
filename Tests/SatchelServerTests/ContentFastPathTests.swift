import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SatchelBundles
import SatchelServer
import SatchelSync
import SatchelTestSupport
import Testing

/// Content answered on the event-loop fast path (from memory, with sendfile) must be exactly what the router answers,
/// and must not disturb anything else on the connection: pipelined requests, keep-alive, HTTP/1.0, removed blobs.
@Suite struct ContentFastPathTests {
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

    /// The headers a client acts on; Date differs between answers by nature.
    static let compared: [String] = [
        "etag", "last-modified", "content-type", "content-length", "content-range", "content-encoding", "vary",
        "accept-ranges", "cache-control", "x-content-type-options",
    ]

    @Test func fastAnswersMatchTheRouterCaseByCase() async throws {
        let test = try Self.makeNode()
        let etag = "\"\(try #require(try test.node.database.file(bundleId: "demo", path: "video/clip.mp4")).sha256)\""
        let cases: [(path: String, headers: [String: String], head: Bool)] = [
            ("/content/demo/video/clip.mp4", [:], false),
            ("/content/demo/video/clip.mp4", [:], true),
            ("/content/demo/video/clip.mp4", ["Range": "bytes=0-99"], false),
            ("/content/demo/video/clip.mp4", ["Range": "bytes=-10"], false),
            ("/content/demo/video/clip.mp4", ["Range": "bytes=990-"], true),
            ("/content/demo/video/clip.mp4", ["Range": "bytes=2000-"], false),
            ("/content/demo/video/clip.mp4", ["Range": "bytes=0-1,5-6"], false),
            ("/content/demo/video/clip.mp4", ["If-None-Match": etag], false),
            ("/content/demo/video/clip.mp4", ["If-Modified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"], false),
            ("/content/demo/video/clip.mp4", ["Range": "bytes=0-9", "If-Range": "\"stale\""], false),
            ("/content/demo/video/clip.mp4", ["Range": "bytes=0-9", "If-Range": etag], false),
            ("/content/demo/notes.css", ["Accept-Encoding": "gzip"], false),
            ("/content/demo/notes.css", ["Accept-Encoding": "gzip"], true),
            ("/content/demo/notes.css", ["Accept-Encoding": "gzip;q=0"], false),
            ("/content/demo/lesson/", [:], false),
            ("/content/demo/%E6%96%87%E6%A1%A3/%E8%AF%B4%E6%98%8E.txt", [:], false),
        ]
        // The router alone: every answer is decided the slow way.
        let app = Application(router: buildRouter(node: test.node))
        let expected = try await app.test(.router) { client in
            var answers: [(status: Int, headers: [String: String], body: Data)] = []
            for item in cases {
                var headers = HTTPFields()
                for (name, value) in item.headers { headers[HTTPField.Name(name)!] = value }
                let answer = try await client.execute(
                    uri: item.path, method: item.head ? .head : .get, headers: headers
                ) {
                    var picked: [String: String] = [:]
                    for name in Self.compared { picked[name] = $0.headers[HTTPField.Name(name)!] }
                    return (Int($0.status.code), picked, Data(buffer: $0.body))
                }
                answers.append(answer)
            }
            return answers
        }
        // A live server, each case asked twice: the first may take the router, the second is answered from memory.
        try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            for (item, want) in zip(cases, expected) {
                for round in 1...2 {
                    let got = try await curl.get(server.baseURL + item.path, headers: item.headers, head: item.head)
                    let label = "\(item.path) \(item.headers) head=\(item.head) round \(round)"
                    #expect(got.status == want.status, "\(label)")
                    // The in-process test client reports Content-Length 0 for a 304; on the wire there is none.
                    for name in Self.compared where !(want.status == 304 && name == "content-length") {
                        #expect(got.headers[name] == want.headers[name], "\(label): \(name)")
                    }
                    if item.head {
                        #expect(got.body.isEmpty, "\(label): body")
                    } else if want.headers["content-encoding"] == "gzip" {
                        // libcurl decodes gzip: the decoded body must be the file itself.
                        #expect(String(decoding: got.body, as: UTF8.self) == Self.css, "\(label): body")
                    } else {
                        #expect(got.body == want.body, "\(label): body")
                    }
                    #expect(got.headers["server"] == "satchel", "\(label)")
                    #expect(got.headers["date"] != nil, "\(label)")
                }
            }
            // The fast answers were counted in the metrics like any other request.
            let metrics = String(decoding: try await curl.get(server.baseURL + "/metrics").body, as: UTF8.self)
            #expect(metrics.contains("http_route=\"/content/**\""))
        }
    }

    /// The value of every `/metrics` line of metric `name` whose labels include all of `labels`, summed.
    static func metric(_ name: String, _ labels: [String] = [], in text: String) -> Double {
        var total = 0.0
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            guard labels.allSatisfy({ line.contains($0) }), let value = line.split(separator: " ").last else {
                continue
            }
            total += Double(value) ?? 0
        }
        return total
    }

    @Test func everyFastAnswerIsInTheMetricsWhenTheyAreScraped() async throws {
        let test = try Self.makeNode()
        try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            let path = "/content/demo/intro.mp4"
            // The first request may take the router; the rest are answered ahead of the decoder, most from the memo.
            _ = try await curl.get(server.baseURL + path)
            let scrape = { String(decoding: try await curl.get(server.baseURL + "/metrics").body, as: UTF8.self) }
            let before = try await scrape()
            for _ in 0..<7 { #expect(try await curl.get(server.baseURL + path).status == 200) }
            for _ in 0..<2 { #expect(try await curl.get(server.baseURL + path, head: true).status == 200) }
            let after = try await scrape()
            let route = "http_route=\"/content/**\""
            for (method, count) in [("GET", 7.0), ("HEAD", 2.0)] {
                let labels = [route, "http_request_method=\"\(method)\"", "http_response_status_code=\"200\""]
                #expect(
                    Self.metric("hb_requests", labels, in: after) - Self.metric("hb_requests", labels, in: before)
                        == count, "\(method)")
                #expect(
                    Self.metric("http_server_request_duration_count", labels, in: after)
                        - Self.metric("http_server_request_duration_count", labels, in: before) == count,
                    "\(method)")
            }
            // Seven bodies of the 1,000-byte file; HEAD answers send none.
            let sent = "satchel_content_bytes_sent_total"
            #expect(Self.metric(sent, in: after) - Self.metric(sent, in: before) == 7_000)
        }
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
        // Warm the lookup so that the content requests below are answered on the fast path.
        _ = try await CurlTransport().get(server.baseURL + "/content/demo/intro.mp4")
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
        _ = try await CurlTransport().get(server.baseURL + "/content/demo/intro.mp4")
        let descriptor = try ConnectionLimitsTests.connect(server.port)
        _ = "GET /content/demo/intro.mp4 HTTP/1.0\r\n\r\n".withCString { send(descriptor, $0, strlen($0), 0) }
        let (answer, closed) = ConnectionLimitsTests.readAll(descriptor)
        close(descriptor)
        await server.stop()
        #expect(answer.hasPrefix("HTTP/1.0 200"), "\(answer.prefix(40))")
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
            // Both paths share the blob, so removing it behind the server's back empties both.
            try FileManager.default.removeItem(atPath: test.node.blobStore.path(for: sha))
            #expect(try await curl.get(url, headers: ["Range": "bytes=0-1"]).status == 404)
        }
    }

    @Test func anonymousBeaconsAreDurableBeforeTheirAnswerAndRefusalsMatchTheRouter() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["clip.mp4": ContentRoutesTests.body], id: "maths"))
        let (answer, closed) = try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            let url = server.baseURL + "/api/v1/beacon"
            let before = try test.node.database.pendingEventCount()
            for seconds in [30, 100_000] {
                let body = Data(#"{"bundleId": "maths", "resourceId": "clip", "seconds": \#(seconds)}"#.utf8)
                let answer = try await curl.post(url, body: body, headers: ["Content-Type": "application/json"])
                #expect(answer.status == 204)
            }
            // Durable before the 204: counted at once, no waiting.
            #expect(try test.node.database.pendingEventCount() == before + 2)
            let refused = try await curl.post(url, body: Data("not json".utf8))
            #expect(refused.status == 400)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("bad_beacon"))
            let unknown = try await curl.post(
                url, body: Data(#"{"bundleId": "maths", "resourceId": "nope", "seconds": 5}"#.utf8))
            #expect(unknown.status == 404)
            let huge = try await curl.post(url, body: Data(repeating: UInt8(ascii: " "), count: 5000))
            #expect(huge.status == 413 || huge.status == 400, "\(huge.status)")
            #expect(try test.node.database.pendingEventCount() == before + 2)
            let usage = try test.node.database.usageReport()
            #expect(usage.map(\.seconds).reduce(0, +) == 30 + 120, "seconds are capped at 120 per beacon")
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

    @Test func aFileInSteadyDemandShowsANewImportWithinASecondOrTwo() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["a.txt": "version one"], id: "notes", version: 1))
        try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            let url = server.baseURL + "/content/notes/a.txt"
            // Steady demand keeps the lookup in memory, refreshed in the background before it expires.
            for _ in 0..<30 {
                #expect(String(decoding: try await curl.get(url).body, as: UTF8.self) == "version one")
                try await Task.sleep(for: .milliseconds(50))
            }
            _ = try test.importer().importBundle(at: try test.pack(["a.txt": "version two"], id: "notes", version: 2))
            let imported = Date()
            var body = ""
            while body != "version two", Date().timeIntervalSince(imported) < 5 {
                body = String(decoding: try await curl.get(url).body, as: UTF8.self)
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(body == "version two")
            #expect(Date().timeIntervalSince(imported) < 2, "the new version took too long to show")
        }
    }
}
