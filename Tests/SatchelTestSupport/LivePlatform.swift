import Foundation
import Hummingbird
import Logging
import SatchelHTTP
import SatchelPlatform

/// The reference platform running in-process on a free loopback port, for end-to-end sync tests.
public final class LivePlatform: Sendable {
    public let platform: Platform
    private let app: LoopbackApp

    /// Starts serving `platform` with `limits`.
    public init(platform: Platform, limits: PlatformApp.ConnectionLimits = .init()) async throws {
        self.platform = platform
        var logger = Logger(label: "test.platform")
        logger.logLevel = .warning
        app = try await LoopbackApp { running in
            PlatformApp.build(
                platform: platform, host: "127.0.0.1", port: 0, limits: limits, logger: logger,
                onServerRunning: running)
        }
    }

    public var port: Int { app.port }

    public var baseURL: String { app.baseURL }

    public func stop() async { await app.stop() }
}
