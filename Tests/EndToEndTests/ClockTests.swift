import Foundation
import SatchelCore
import SatchelPlatform
import SatchelStore
import SatchelSync
import SatchelTestSupport
import Testing

/// Nodes without a real-time clock: a real node process whose clock says 1970, and one three weeks behind, enrol with
/// a real platform process over loopback, record events and push them; the platform reports each event within a
/// minute of its true time.
///
/// The only fake here is Debian's libfaketime (`LD_PRELOAD`), which sets the node processes' wall clock
/// (CLOCK_REALTIME, gettimeofday, time(), and so Swift's `Date()`); `FAKETIME_DONT_FAKE_MONOTONIC=1` leaves
/// CLOCK_MONOTONIC and CLOCK_BOOTTIME real, as they are on a board whose wall clock is wrong.
///
/// A Swift binary started straight with the library preloaded sees no arguments (`CommandLine.arguments == []`, so
/// `satchel` prints its help): on Linux the Swift runtime finds `argv` by walking back from `environ` on the initial
/// stack (stdlib `CommandLine.cpp`, `ArgvGrabber`), and libfaketime's constructor calls `setenv("FAKETIME_SHARED")`,
/// which moves `environ` to the heap. It does so only when the variable is not set yet, so the node is started
/// through `/bin/sh -c 'exec …'` with the library preloaded: the shell's libfaketime sets the variable, and `satchel`
/// (the same process after `exec`, so signals reach it) inherits it and keeps its `environ` where the runtime looks.
@Suite(.serialized) struct ClockTests {
    /// A wall clock set by libfaketime.
    struct FakeClock: Sendable, CustomTestStringConvertible {
        /// `FAKETIME`: `@date` starts the clock there at process start and lets it run; `-21d` is three weeks behind.
        var faketime: String
        var school: String
        /// Whether the node enrols before it records the events (else after: the events were recorded in a boot
        /// that had learned no true time yet).
        var enrolFirst: Bool
        /// How far behind true time the node's clock is, to show the fake took hold; negative for "at 1970".
        var expectedLag: Double

        var testDescription: String { faketime }
    }

    /// libfaketime, installed by `scripts/install-deps.sh` (Debian package `faketime`).
    static let library = ["x86_64-linux-gnu", "aarch64-linux-gnu"].map { "/usr/lib/\($0)/faketime/libfaketime.so.1" }
        .first { FileManager.default.fileExists(atPath: $0) }

    /// The shell that starts `satchel` under the fake clock.
    static let shell = "/bin/sh"

    /// The shell's arguments that run `satchel` with `arguments`.
    static func command(_ arguments: [String]) -> [String] {
        ["-c", #"exec "$0" "$@""#, ProcessRunner.binaryFolder + "/satchel"] + arguments
    }

    /// The environment that fakes the wall clock.
    static func environment(_ clock: FakeClock) throws -> [String: String] {
        let library = try #require(Self.library, "libfaketime is missing: apt-get install faketime")
        return [
            "LD_PRELOAD": library, "FAKETIME": clock.faketime, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_DONT_RESET": "1", "SATCHEL_LOG_LEVEL": "info",
        ]
    }

    @Test(arguments: [
        FakeClock(faketime: "@1970-01-01 00:00:00", school: "S-1970", enrolFirst: false, expectedLag: -1),
        FakeClock(faketime: "-21d", school: "S-3W", enrolFirst: true, expectedLag: 21 * 86_400),
    ])
    func eventsOfANodeWithAWrongClockArriveAtTheirTrueTime(clock: FakeClock) async throws {
        let folder = TemporaryDirectory("clock")
        let root = folder.file("platform")
        let platform = try BackgroundProcess(binary: "satchel-platform", ["serve", "--port", "0", "--data", root])
        defer { _ = platform.terminate(signal: SIGTERM) }
        let port = try await platform.waitFor(#"listening on http://127\.0\.0\.1:(\d+)/"#)
        let token = try ProcessRunner.run(
            binary: "satchel-platform", ["token", "create", "--school", clock.school, "--data", root])
        try #require(token.status == 0, "\(token.stderr)")

        let environment = try Self.environment(clock)
        let data = folder.file("node")
        let config = folder.file("satchel.json")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: config))
        // The data folder is made first, as the installer makes it (`serve` refuses a --data that does not exist).
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let node = ["--data", data, "--config", config]
        func provision() throws {
            let provision = try ProcessRunner.run(
                binary: Self.shell,
                Self.command(
                    [
                        "provision", "--platform", "http://127.0.0.1:\(port)", "--token",
                        token.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "--school", clock.school,
                    ] + node),
                environment: environment)
            try #require(provision.status == 0, "\(provision.stdout)\(provision.stderr)")
        }
        if clock.enrolFirst { try provision() }

        // Three searches through the node's web UI, each recorded as an event by a node whose clock is wrong.
        let server = try BackgroundProcess(
            binary: Self.shell, Self.command(["serve", "--port", "0", "--host", "127.0.0.1"] + node),
            environment: environment)
        let nodePort = try await server.waitFor(#"satchel\.http\.port=(\d+)"#)
        var searched: [(before: Double, after: Double)] = []
        for index in 0..<3 {
            let before = Date().timeIntervalSince1970
            let answer = try await CurlTransport().get("http://127.0.0.1:\(nodePort)/search?q=clock\(index)")
            searched.append((before, Date().timeIntervalSince1970))
            #expect(answer.status == 200)
        }
        _ = await server.stop()

        if !clock.enrolFirst { try provision() }
        let sync = try ProcessRunner.run(
            binary: Self.shell, Self.command(["sync", "--once"] + node), environment: environment)
        #expect(sync.status == 0, "\(sync.stdout)\(sync.stderr)")

        let status = try ProcessRunner.run(binary: "satchel-platform", ["status", "--json", "--data", root])
        let nodes = try JSONDecoder().decode(PlatformStatus.self, from: Data(status.stdout.utf8)).nodes
        let nodeId = try #require(nodes.first { $0.schoolCode == clock.school }?.id)
        let listed = try ProcessRunner.run(binary: "satchel-platform", ["events", "--node", nodeId, "--data", root])
        let searches = try listed.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(Occurrence.self, from: Data($0.utf8))
        }.filter { $0.type == "search" }
        try #require(searches.count == 3, "the platform has \(searches.count) of the 3 searches: \(listed.stdout)")
        for (occurrence, window) in zip(searches, searched) {
            let corrected = try #require(occurrence.corrected, "event \(occurrence.sequence) has no corrected time")
            let error = corrected < window.before ? corrected - window.before : max(0, corrected - window.after)
            print(
                "clock test \(clock.faketime): node clock \(occurrence.nodeClock), corrected \(corrected) "
                    + "(\(occurrence.source ?? "-")), true \(window.before)...\(window.after), error \(error) s")
            #expect(abs(error) < 60, "corrected \(corrected) is \(error) s off")
            #expect(occurrence.source == "platform")
            // The node's own clock really was wrong: libfaketime took hold of Swift's Date().
            if clock.expectedLag < 0 {
                #expect(occurrence.nodeClock < 86_400, "the node's clock said \(occurrence.nodeClock)")
            } else {
                #expect(abs(window.before - occurrence.nodeClock - clock.expectedLag) < 3600)
            }
        }
    }

    /// A node whose signed time is three weeks off is refused with the platform's time (header and body), learns it,
    /// and signs again: the answer does not fail for skew alone.
    @Test func aSignatureOutsideTheSkewIsRefusedWithThePlatformTimeAndSignedAgain() async throws {
        let folder = TemporaryDirectory("platform")
        let platform = try Platform(root: folder.file("platform"))
        let live = try await LivePlatform(platform: platform)
        let token = try await platform.createToken(schoolCode: "S-001")
        let (test, identity) = try SyncTests.provisionedNode(url: live.baseURL, token: token)
        let database = test.node.database
        let clock = PlatformClock(database: database)
        var enrolment = try #require(try Enrolment.load(database))
        enrolment = try await SyncSession.completeEnrolment(
            enrolment, identity: identity, node: test.node, transport: CurlTransport())
        let nodeId = try #require(enrolment.nodeId)

        let threeWeeksAgo = Date().addingTimeInterval(-21 * 86_400)
        let path = "/api/v1/nodes/\(nodeId)/cursor"
        let stale = try RequestSignature.headers(
            nodeId: nodeId, key: identity.key, method: "GET", path: path, body: Data(), now: threeWeeksAgo)
        let refused = try await CurlTransport().get(live.baseURL + path, headers: stale)
        #expect(refused.status == 401)
        let header = try #require(refused.headers[RequestSignature.platformTimeHeader.lowercased()])
        #expect(abs((Double(header) ?? 0) - Date().timeIntervalSince1970) < 5)
        let body = try JSONDecoder().decode([String: [String: String]].self, from: refused.body)
        #expect(body["error"]?["code"] == RequestSignature.skewErrorCode)
        #expect(body["error"]?["platformTime"] == header)

        // The node believed a wrong time (as from a lying header); its next signed request is refused once, then
        // signed again with the platform's time.
        let instant = try #require(BootInstant.now())
        try database.learnClock(
            ClockAnchor(at: instant, trueTime: threeWeeksAgo.timeIntervalSince1970, source: .platform))
        #expect(abs(clock.now().timeIntervalSince(threeWeeksAgo)) < 5)
        let client = PlatformClient(
            baseURL: live.baseURL, transport: CurlTransport(), identity: identity, nodeId: nodeId, clock: clock)
        #expect(try await client.cursor().acknowledged == 0)
        #expect(abs(clock.now().timeIntervalSinceNow) < 5)
        await live.stop()
    }
}
