import Foundation
import SatchelTestSupport
import Testing

/// The reference platform's command line: tokens, publishing and status, as the real binary.
@Suite struct PlatformCommandTests {
    @Test func tokensPublishingAndStatus() throws {
        let folder = TemporaryDirectory("platform-cli")
        let data = folder.file("platform")
        let token = try ProcessRunner.run(
            binary: "satchel-platform", ["token", "create", "--school", "S-1", "--data", data])
        #expect(token.status == 0)
        #expect(token.stdout.trimmingCharacters(in: .whitespacesAndNewlines).count >= 20)

        let publisher = try TestNode()
        let bundle = try publisher.pack(["a.html": "<p>a</p>"], id: "pub")
        let keyFile = folder.write("publisher.pub", publisher.publisher.publicKey.base64 + "\n")
        let untrusted = try ProcessRunner.run(binary: "satchel-platform", ["publish", bundle, "--data", data])
        #expect(untrusted.status == 65)
        let published = try ProcessRunner.run(
            binary: "satchel-platform", ["publish", bundle, "--trust", keyFile, "--data", data])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("published pub v1"))

        let status = try ProcessRunner.run(binary: "satchel-platform", ["status", "--json", "--data", data])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        #expect(json?["eventsReceived"] as? Int == 0)
        #expect(json?["bundles"] as? Int == 1)
        #expect(json?["nodes"] is [Any])
    }
}
