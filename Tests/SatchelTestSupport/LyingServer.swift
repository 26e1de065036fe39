import Foundation
import Hummingbird
import Logging
import NIOCore

/// A platform or LAN peer that lies, on loopback: a real Hummingbird server whose routes answer whatever a test
/// gives them (a catalog that inflates to a gigabyte, a blob far longer than its signed size, an enrolment signed by
/// another key), counting the requests it gets.
public final class LyingServer: Sendable {
    private let app: LoopbackApp
    private let counter = RequestCounter()

    /// Starts a server whose routes `routes` adds.
    public init(_ routes: (Router<BasicRequestContext>) -> Void) async throws {
        let router = Router(context: BasicRequestContext.self)
        routes(router)
        var logger = Logger(label: "test.liar")
        logger.logLevel = .critical
        let counter = counter
        let responder = router.buildResponder()
        app = try await LoopbackApp { running in
            Application(
                responder: CallbackResponder<BasicRequestContext> { request, context in
                    counter.add(request.uri.path)
                    return try await responder.respond(to: request, context: context)
                }, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: running, logger: logger)
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:12345`.
    public var baseURL: String { app.baseURL }

    /// How many requests have come for paths starting with `prefix`.
    public func requests(_ prefix: String = "/") -> Int { counter.count(prefix) }

    /// Stops the server.
    public func stop() async { await app.stop() }

    /// A body of `count` bytes of `byte`, written 64 KiB at a time as the client reads it, never held whole.
    public static func stream(_ count: Int, of byte: UInt8 = 0x61) -> ResponseBody {
        ResponseBody(contentLength: count) { writer in
            let chunk = ByteBuffer(repeating: byte, count: 64 * 1024)
            var left = count
            while left > 0 {
                try await writer.write(left >= chunk.readableBytes ? chunk : chunk.getSlice(at: 0, length: left)!)
                left -= min(left, chunk.readableBytes)
            }
            try await writer.finish(nil)
        }
    }
}

/// The paths of the requests a ``LyingServer`` got.
private final class RequestCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var paths: [String] = []

    func add(_ path: String) { lock.withLock { paths.append(path) } }

    func count(_ prefix: String) -> Int { lock.withLock { paths.filter { $0.hasPrefix(prefix) }.count } }
}
