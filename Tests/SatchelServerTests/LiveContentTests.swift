import Foundation
import SatchelBundles
import SatchelSync
import SatchelTestSupport
import Testing

/// The same content over a real loopback socket, fetched with libcurl as a client on the LAN would.
@Suite struct LiveContentTests {
    @Test func curlFetchesRangesAndConditionalsOverARealSocket() async throws {
        let test = try TestNode()
        _ = try test.importer().importBundle(at: try test.pack(ContentRoutesTests.files, id: "demo"))
        try await LiveServer.serving(test.node) { server in
            let curl = CurlTransport()
            let url = server.baseURL + "/content/demo/video/clip.mp4"
            let full = try await curl.get(url)
            #expect(full.status == 200)
            #expect(String(decoding: full.body, as: UTF8.self) == ContentRoutesTests.body)
            let etag = try #require(full.headers["etag"])
            let cases: [(headers: [String: String], status: Int, length: Int)] = [
                (["Range": "bytes=0-99"], 206, 100),
                (["Range": "bytes=-10"], 206, 10),
                (["Range": "bytes=900-"], 206, 100),
                (["Range": "bytes=2000-"], 416, 0),
                (["If-None-Match": etag], 304, 0),
                (["Range": "bytes=0-9", "If-Range": "\"stale\""], 200, 1000),
            ]
            for item in cases {
                let response = try await curl.get(url, headers: item.headers)
                #expect(response.status == item.status, "\(item.headers)")
                #expect(response.body.count == item.length, "\(item.headers)")
            }
            let unsatisfiable = try await curl.get(url, headers: ["Range": "bytes=2000-"])
            #expect(unsatisfiable.headers["content-range"] == "bytes */1000")
            let page = try await curl.get(server.baseURL + "/")
            #expect(String(decoding: page.body, as: UTF8.self).contains("学习资源"))
        }
    }
}
