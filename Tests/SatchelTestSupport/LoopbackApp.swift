import Foundation
import Hummingbird
import NIOCore

/// A Hummingbird application running in-process on a free loopback port until stopped.
public final class LoopbackApp: Sendable {
    /// The port it listens on.
    public let port: Int
    private let task: Task<Void, any Error>

    /// Builds the application with `make`, which must pass the given closure as the app's `onServerRunning`, and
    /// returns once it accepts connections.
    public init<App: ApplicationProtocol>(
        _ make: (@escaping @Sendable (any Channel) async -> Void) -> App
    ) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = make { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        }
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        self.port = port
    }

    /// The base URL, e.g. `http://127.0.0.1:12345`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Stops the application and waits for it to finish.
    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
