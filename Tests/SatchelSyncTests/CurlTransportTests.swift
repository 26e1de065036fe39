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
