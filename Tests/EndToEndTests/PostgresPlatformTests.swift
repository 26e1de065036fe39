import Foundation
import Logging
import PostgresNIO
import SatchelCore
import SatchelPlatform
import SatchelSync
import SatchelTestSupport
import Testing

/// The platform on a real PostgreSQL: two `satchel-platform serve` processes share one database, and nodes push the
/// same batches to both at once. Each test makes its own database and drops it.
///
/// The server comes from `SATCHEL_TEST_POSTGRES` (`make test` starts one and sets it; see
/// scripts/start-test-postgres.sh). Without it these tests fail with a message saying so, in CI and locally alike:
/// a platform change that was never run on PostgreSQL must not look green.
@Suite(.serialized) struct PostgresPlatformTests {
    static let variable = "SATCHEL_TEST_POSTGRES"

    /// The server to make test databases on, or nil after recording why there is none.
    static func server() throws -> PostgresURL? {
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else {
            let place = ProcessInfo.processInfo.environment["CI"] != nil ? "CI" : "this run"
            Issue.record(
                """
                \(variable) is not set in \(place), so the PostgreSQL tests did not run. Start a server with \
                `sh scripts/start-test-postgres.sh` (or use `make test`, which does) and set \
                \(variable)=postgres://satchel:satchel@127.0.0.1:5432/postgres.
                """)
            return nil
        }
        return try PostgresURL(text)
    }

    /// Runs `body` with the URL of a new, empty database on `server`, dropped afterwards whatever happens.
    static func withFreshDatabase(on server: PostgresURL, _ body: (PostgresURL) async throws -> Void) async throws {
        let name = "satchel_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let client = PostgresClient(
            configuration: .init(
                host: server.host, port: server.port, username: server.user, password: server.password,
                database: server.database, tls: .disable),
            backgroundLogger: Logger(label: "test.postgres"))
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        // UTF-8 with byte-order collation whatever the cluster's locale (a fresh container's cluster may be SQL_ASCII).
        try await client.query(
            PostgresQuery(
                unsafeSQL: "CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"))
        var url = server
        url.database = name
        do {
            try await body(url)
        } catch {
            try? await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"))
            throw error
        }
        try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"))
    }

    /// A `satchel-platform serve` process on `database`, its password passed as PGPASSWORD (never on the command
    /// line), and the base URL it listens on.
    static func serve(data: String, database: PostgresURL) async throws -> (BackgroundProcess, String) {
        var withoutPassword = database
        withoutPassword.password = nil
        let process = try BackgroundProcess(
            binary: "satchel-platform",
            ["serve", "--data", data, "--database", withoutPassword.redacted, "--port", "0"],
            environment: database.password.map { ["PGPASSWORD": $0] } ?? [:])
        let port = try await process.waitFor(#"listening on http://127\.0\.0\.1:(\d+)/"#)
        return (process, "http://127.0.0.1:\(port)")
    }

    /// Posts `batch`, signed by `identity`, to `baseURL` and returns the platform's cursor answer.
    static func push(
        _ batch: SyncProtocol.EventBatch, identity: NodeIdentity, to baseURL: String
    ) async throws
        -> SyncProtocol.Cursor
    {
        let path = "/api/v1/nodes/\(batch.nodeId)/events"
        let body = try JSONEncoder().encode(batch)
        let headers = try RequestSignature.headers(
            nodeId: batch.nodeId, key: identity.key, method: "POST", path: path, body: body)
        let answer = try await CurlTransport().post(
            baseURL + path, body: body, headers: headers.merging(["Content-Type": "application/json"]) { $1 })
        try #require(
            answer.status == 200,
            "\(baseURL) answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
        return try JSONDecoder().decode(SyncProtocol.Cursor.self, from: answer.body)
    }

    @Test func twoProcessesOnOneDatabaseStoreConcurrentDuplicatesOnce() async throws {
        guard let server = try Self.server() else { return }
        try await Self.withFreshDatabase(on: server) { database in
            let folder = TemporaryDirectory("pg-platform")
            let data = folder.file("platform")
            // The shared data folder (key, blobs) is made once, before the processes start.
            let setup = try Platform(root: data, storage: try await PostgresPlatformDatabase(url: database))
            let nodeCount = 4
            var tokens: [String] = []
            for index in 0..<nodeCount { tokens.append(try await setup.createToken(schoolCode: "S-\(index)")) }

            let (first, firstURL) = try await Self.serve(data: data, database: database)
            let (second, secondURL) = try await Self.serve(data: data, database: database)
            let urls = [firstURL, secondURL]

            // Real nodes enrol through the sync client, alternately with each process.
            var nodes: [(TestNode, NodeIdentity, String)] = []
            for index in 0..<nodeCount {
                let (test, identity) = try SyncTests.provisionedNode(
                    url: urls[index % 2], token: tokens[index], school: "S-\(index)")
                _ = try await SyncTests.syncUntil(test.node, attempts: 5) {
                    try Enrolment.load(test.node.database)?.nodeId != nil
                }
                let nodeId = try #require(try Enrolment.load(test.node.database)?.nodeId)
                try test.node.database.append(contentsOf: SyncTests.usage(2500))
                nodes.append((test, identity, nodeId))
            }

            // Every batch goes twice to each process at once; the nodes push side by side.
            let accepted = try await withThrowingTaskGroup(of: (Int, Int, Int64).self) { group in
                for (test, identity, nodeId) in nodes {
                    group.addTask {
                        var accepted = 0
                        var duplicates = 0
                        var acknowledged: Int64 = 0
                        while true {
                            let events = try EventExport.events(
                                after: acknowledged, limit: 500, database: test.node.database)
                            guard let last = events.last else { break }
                            let batch = SyncProtocol.EventBatch(
                                batchId: "\(nodeId):\(acknowledged + 1)-\(last.s)", nodeId: nodeId,
                                from: acknowledged + 1, to: last.s, events: events)
                            let answers = try await withThrowingTaskGroup(of: SyncProtocol.Cursor.self) { copies in
                                for url in urls + urls {
                                    copies.addTask { try await Self.push(batch, identity: identity, to: url) }
                                }
                                return try await copies.reduce(into: []) { $0.append($1) }
                            }
                            for answer in answers {
                                #expect(answer.acknowledged == last.s, "a cursor moved wrongly: \(answers)")
                                accepted += answer.accepted
                                duplicates += answer.duplicates
                            }
                            acknowledged = last.s
                        }
                        return (accepted, duplicates, acknowledged)
                    }
                }
                return try await group.reduce(into: [(Int, Int, Int64)]()) { $0.append($1) }
            }
            #expect(accepted.map(\.0) == Array(repeating: 2500, count: nodeCount), "new events per node: \(accepted)")
            #expect(accepted.map(\.1) == Array(repeating: 3 * 2500, count: nodeCount), "duplicates: \(accepted)")

            // The sync client, pointed at the other process, finds everything there: resends count as duplicates,
            // and what is recorded next arrives once.
            for (index, (test, _, _)) in nodes.enumerated() {
                var enrolment = try #require(try Enrolment.load(test.node.database))
                enrolment.platformURL = urls[(index + 1) % 2]
                try enrolment.save(test.node.database)
                try test.node.database.append(contentsOf: SyncTests.usage(100, start: 2500))
                _ = try await SyncTests.syncUntil(test.node, attempts: 5) {
                    try test.node.database.pendingEventCount() == 0
                }
            }

            let status = try await setup.storage.status(within: "")
            #expect(status.eventsReceived == nodeCount * 2600)
            #expect(status.nodes.map(\.acknowledged) == Array(repeating: 2600, count: nodeCount), "\(status.nodes)")
            // Both processes give a national operator the same answer (compared decoded: each process orders JSON
            // keys its own way); the token was made through one storage and is known to both processes.
            let access = OperatorAccess(storage: setup.storage)
            try await access.add(
                try Operator(username: "nation", name: "全国", role: .national, region: ""), password: "secret1")
            let token = try await access.createAPIToken(username: "nation")
            let answers = try await urls.asyncMap {
                try JSONDecoder().decode(
                    PlatformStatus.self,
                    from: try await CurlTransport().get(
                        $0 + "/api/v1/status", headers: ["Authorization": "Bearer \(token)"]
                    ).body)
            }
            #expect(answers[0] == answers[1])
            #expect(answers[0] == status)

            #expect(await first.stop() == 0)
            #expect(await second.stop() == 0)
            await setup.close()
        }
    }

    @Test func migrationsRunOnceWhenProcessesStartTogether() async throws {
        guard let server = try Self.server() else { return }
        try await Self.withFreshDatabase(on: server) { database in
            async let one = PostgresPlatformDatabase(url: database)
            async let two = PostgresPlatformDatabase(url: database)
            let (a, b) = try await (one, two)
            #expect(try await a.appliedMigrations() == PostgresPlatformDatabase.migrationNames)
            #expect(try await b.appliedMigrations() == PostgresPlatformDatabase.migrationNames)
            await a.close()
            await b.close()
        }
    }

    @Test func anUnreachableDatabaseIsNamedWithoutItsPassword() async throws {
        let url = try PostgresURL("postgres://satchel:secret-word@127.0.0.1:1/none")
        do {
            _ = try await PostgresPlatformDatabase(url: url)
            Issue.record("connected to port 1")
        } catch let error as PlatformError {
            #expect(error.code == .databaseUnavailable)
            #expect(error.message.en.contains("postgres://satchel:***@127.0.0.1:1/none"), "\(error.message.en)")
            #expect(!error.message.en.contains("secret-word") && !error.message.zh.contains("secret-word"))
        }
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
