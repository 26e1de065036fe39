import Foundation
import SatchelSync
import SatchelTestSupport
import Testing

/// libcurl against real sockets: errors name the layer that failed, and headers and bodies come back whole.
@Suite struct CurlTransportTests {
    @Test func closedPortIsAConnectionError() async throws {
        do {
            _ = try await CurlTransport().get("http://127.0.0.1:1/")
            Issue.record("a closed port answered")
        } catch let error as TransportError {
            #expect(error.code == .connection)
            #expect(error.failingSide == .network)
            #expect(error.message.en.contains("Cannot connect"))
            #expect(error.exitStatus.rawValue == 69)
        }
    }

    @Test func unresolvableHostIsADNSError() async throws {
        do {
            _ = try await CurlTransport().get("http://no-such-host.invalid/")
            Issue.record("an invalid host resolved")
        } catch let error as TransportError {
            #expect(error.code == .dns)
            #expect(error.message.zh.contains("DNS"))
        }
    }

    @Test func malformedURLIsALocalError() async throws {
        do {
            _ = try await CurlTransport().get("htp:/broken")
            Issue.record("a malformed URL was fetched")
        } catch let error as TransportError {
            #expect(error.code == .local)
        }
    }

    @Test func fetchesHeadersAndBodyFromALiveNode() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(["notes.txt": String(repeating: "笔记", count: 50_000)]))
        let server = try await LiveServer(node: test.node)
        let curl = CurlTransport()
        let response = try await curl.get(server.baseURL + "/content/test-bundle/notes.txt")
        let head = try await curl.get(server.baseURL + "/content/test-bundle/notes.txt", head: true)
        await server.stop()
        #expect(response.status == 200)
        #expect(response.body.count == 300_000)
        #expect(response.headers["content-type"] == "text/plain; charset=utf-8")
        // libcurl asks for gzip and decodes it: the text travels compressed but arrives whole.
        #expect(response.headers["content-encoding"] == "gzip")
        #expect(head.status == 200 && head.body.isEmpty)
        #expect((Int(head.headers["content-length"] ?? "") ?? .max) < 300_000 / 10)
    }
}

/// Downloads to a file resume with a Range request after an interruption, and never append twice.
@Suite struct CurlDownloadTests {
    @Test func downloadsResumeFromAPartialFile() async throws {
        let test = try TestNode()
        let content = String((0..<300_000).map { _ in Character(UnicodeScalar(UInt8.random(in: 97...122))) })
        _ = try test.importer().importBundle(at: try test.pack(["big.bin": content]))
        let sha = try #require(try test.node.database.file(bundleId: "test-bundle", path: "big.bin")).sha256
        let server = try await LiveServer(node: test.node)
        let target = test.folder.file("download.part")
        // A previous attempt stopped after 100,000 bytes.
        test.folder.write("download.part", String(content.prefix(100_000)))
        let response = try await CurlTransport().download(server.baseURL + "/api/v1/blobs/\(sha)", to: target)
        // A server that ignores ranges (here: a partial file that is wrong) is handled by starting over.
        let whole = try await CurlTransport().download(
            server.baseURL + "/api/v1/blobs/\(sha)", to: test.folder.file("fresh"))
        await server.stop()
        #expect(response.status == 206)
        #expect(whole.status == 200)
        let got = try Data(contentsOf: URL(fileURLWithPath: target))
        #expect(
            got == Data(content.utf8),
            "size \(got.count), head \(String(decoding: got.prefix(40), as: UTF8.self)) vs \(content.prefix(40))")
        #expect(try String(contentsOfFile: test.folder.file("fresh"), encoding: .utf8) == content)
    }
}
