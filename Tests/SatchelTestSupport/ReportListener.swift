import Foundation
import Hummingbird
import Logging

/// A loopback HTTP server to which a page under test reports what it saw (`GET /report?key=value&…`, e.g. as an
/// image's address), so that a browser test waits for the page's own event instead of a time budget.
public final class ReportListener: Sendable {
    /// The port it listens on.
    public let port: Int
    private let reports: AsyncStream<[String: String]>
    private let task: Task<Void, any Error>

    /// Starts listening on a free loopback port.
    public init() async throws {
        let (reports, reported) = AsyncStream.makeStream(of: [String: String].self)
        self.reports = reports
        let router = Router()
        router.get("/report") { request, _ -> Response in
            var fields: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { fields[String(name)] = String(value) }
            reported.yield(fields)
            return Response(status: .noContent, headers: [.accessControlAllowOrigin: "*"])
        }
        let (ports, portKnown) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test.report")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portKnown.yield(channel.localAddress?.port ?? 0)
                portKnown.finish()
            }, logger: logger)
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        self.port = port
    }

    /// The address a page sends its report to, without the query.
    public var reportURL: String { "http://127.0.0.1:\(port)/report" }

    /// The next report, or nil when none arrives within `timeout` seconds (which only ends a test that would
    /// otherwise hang: the wait ends as soon as the report arrives).
    public func next(timeout: Double = 120) async -> [String: String]? {
        let reports = self.reports
        return await withTaskGroup(of: [String: String]?.self) { group in
            group.addTask {
                var iterator = reports.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Stops the server.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
