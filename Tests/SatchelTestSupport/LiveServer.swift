import Foundation
import Hummingbird
import Logging
import SatchelBundles
import SatchelHTTP
import SatchelServer

/// The node's real HTTP application listening on a free loopback port, for tests over real sockets.
public final class LiveServer: Sendable {
    private let app: LoopbackApp

    /// Starts serving `node` on 127.0.0.1 and returns once connections are accepted.
    public init(node: Node, limits: ConnectionLimits = ConnectionLimits()) async throws {
        var configuration = node.configuration
        configuration.listenHost = "127.0.0.1"
        configuration.port = 0
        let reopened = Node(configuration: configuration, directory: node.directory, database: node.database)
        var logger = Logger(label: "test.server")
        logger.logLevel = .warning
        app = try await LoopbackApp { running in
            buildApplication(node: reopened, logger: logger, limits: limits, onServerRunning: running)
        }
    }

    /// The port the server listens on.
    public var port: Int { app.port }

    /// The base URL, e.g. `http://127.0.0.1:12345`.
    public var baseURL: String { app.baseURL }

    /// Stops the server and waits for it to finish.
    public func stop() async { await app.stop() }
}

extension LiveServer {
    /// Runs `body` against a live server for `node` and stops the server afterwards, also when `body` throws.
    public static func serving<T: Sendable>(
        _ node: Node, limits: ConnectionLimits = ConnectionLimits(), _ body: (LiveServer) async throws -> T
    ) async throws -> T {
        let server = try await LiveServer(node: node, limits: limits)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}
