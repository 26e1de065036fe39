import Foundation
import Hummingbird
import Logging
import SatchelPlatform

/// The reference platform running in-process on a free loopback port, for end-to-end sync tests.
public final class LivePlatform: Sendable {
    public let platform: Platform
    public let port: Int
    private let task: Task<Void, any Error>

    /// Starts serving `platform`.
    public init(platform: Platform) async throws {
        self.platform = platform
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test.platform")
        logger.logLevel = .warning
        let app = PlatformApp.build(platform: platform, host: "127.0.0.1", port: 0, logger: logger) { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        }
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        self.port = port
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func stop() async {
        task.cancel()
        _ = try? await task.value
    }
}
