import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The one handler between NIO's HTTP/1 codec and Hummingbird's conversion to Swift HTTP types. It holds what the
/// framework's own options do not:
///
/// - Request heads are made strict where strictness protects (RFC 9112): a request without exactly one `Host` is
///   marked for the router to refuse with 400 (``rejectField``), in its turn, so answers stay in request order; a
///   request that does not keep the connection alive (`Connection` tokens in any case, HTTP/1.0 without keep-alive)
///   is given the lower-case `Connection: close` the router looks for, and its answer says so.
/// - A request body must keep arriving at ``ConnectionLimits/minimumBodyRate`` while the node is reading it: a client
///   trickling a body is cut off after one ``ConnectionLimits/bodyRateWindow``. (A body that stops altogether, a head
///   that never ends and an idle keep-alive connection are closed by Hummingbird's idle timeout.)
/// - A response whose head carries ``fileField`` gets its body from that file as a `FileRegion`, which NIO sends
///   with sendfile; the file is opened on NIO's thread pool, never on the event loop, and the parts written after
///   that head wait so that answers leave in order. A file that cannot be opened is answered 404.
public final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = HTTPServerRequestPart
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = HTTPServerResponsePart

    /// Response field naming the body's file: `"<offset> <count> <path>"`. Never leaves the node.
    public static let fileField = "x-satchel-file"
    /// Request field saying why the request is refused (`host`). Never accepted from a client.
    public static let rejectField = "x-satchel-reject"
    /// Request field with the client's IP address, for the routes that tell clients apart (usage counted once per
    /// client, login delays per client). Never accepted from a client.
    public static let peerField = "x-satchel-peer"

    /// The response side: parts pass, or wait behind a file being opened.
    private enum Output {
        case passing
        case opening(held: [(HTTPServerResponsePart, EventLoopPromise<Void>?)])
    }

    /// The request side: whether a body is being read, and how much arrived in the current window.
    private enum Input {
        case betweenBodies
        case readingBody(bytesThisWindow: Int, askedToRead: Bool, check: RepeatedTask)
    }

    private let limits: ConnectionLimits
    private let fileIO: NonBlockingFileIO
    private let logger: Logger
    private var output = Output.passing
    private var input = Input.betweenBodies
    /// For each request read and not yet answered, oldest first: whether the connection stays open after it.
    private var keepAlive = CircularBuffer<Bool>()
    /// The client's IP address, read once.
    private var peer: String?
    /// A close asked for while an answer's file was being opened: done once what was held is written.
    private var heldClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?

    init(limits: ConnectionLimits, fileIO: NonBlockingFileIO, logger: Logger) {
        self.limits = limits
        self.fileIO = fileIO
        self.logger = logger
    }

    // MARK: - Requests

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(var head):
            head.headers.remove(name: Self.rejectField)
            head.headers.remove(name: Self.peerField)
            if peer == nil { peer = context.channel.remoteAddress?.ipAddress }
            if let peer { head.headers.add(name: Self.peerField, value: peer) }
            let hosts = head.headers[canonicalForm: "host"].count
            let isHTTP11 = head.version.major == 1 && head.version.minor >= 1
            let rejected = hosts > 1 || (hosts == 0 && isHTTP11)
            if rejected { head.headers.add(name: Self.rejectField, value: "host") }
            let staysOpen = head.isKeepAlive && !rejected
            if !staysOpen { head.headers.replaceOrAdd(name: "connection", value: "close") }
            keepAlive.append(staysOpen)
            if Self.hasBody(head) { startBodyClock(context) }
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body(let buffer):
            if case .readingBody(let bytes, let asked, let check) = input {
                input = .readingBody(bytesThisWindow: bytes + buffer.readableBytes, askedToRead: asked, check: check)
            }
            context.fireChannelRead(data)
        case .end:
            stopBodyClock()
            context.fireChannelRead(data)
        }
    }

    public func read(context: ChannelHandlerContext) {
        if case .readingBody(let bytes, _, let check) = input {
            input = .readingBody(bytesThisWindow: bytes, askedToRead: true, check: check)
        }
        context.read()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        stopBodyClock()
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        stopBodyClock()
    }

    private static func hasBody(_ head: HTTPRequestHead) -> Bool {
        if head.headers[canonicalForm: "transfer-encoding"].contains(where: { !$0.isEmpty }) { return true }
        return head.headers[canonicalForm: "content-length"].contains { $0 != "0" }
    }

    /// Each window, a body the node asked for must have brought at least the minimum rate's worth of bytes.
    private func startBodyClock(_ context: ChannelHandlerContext) {
        stopBodyClock()
        guard limits.minimumBodyRate > 0 else { return }
        let window = limits.bodyRateWindow
        let minimum = Int(Int64(limits.minimumBodyRate) * window.nanoseconds / 1_000_000_000)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let check = context.eventLoop.scheduleRepeatedTask(initialDelay: window, delay: window) { _ in
            let (handler, context) = loopBound.value
            guard case .readingBody(let bytes, let asked, let check) = handler.input else { return }
            if asked && bytes < minimum {
                handler.logger.debug("request body too slow, closing the connection")
                handler.stopBodyClock()
                context.close(promise: nil)
            } else {
                handler.input = .readingBody(bytesThisWindow: 0, askedToRead: false, check: check)
            }
        }
        input = .readingBody(bytesThisWindow: 0, askedToRead: true, check: check)
    }

    private func stopBodyClock() {
        if case .readingBody(_, _, let check) = input { check.cancel() }
        input = .betweenBodies
    }

    // MARK: - Responses

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if case .opening(var held) = output {
            held.append((part, promise))
            output = .opening(held: held)
            return
        }
        guard case .head(var head) = part, head.status.code >= 200 else {
            context.write(data, promise: promise)
            return
        }
        if !(keepAlive.popFirst() ?? true) { head.headers.replaceOrAdd(name: "connection", value: "close") }
        guard let file = head.headers.first(name: Self.fileField) else {
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        }
        head.headers.remove(name: Self.fileField)
        output = .opening(held: [(.head(head), promise)])
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let spec = file.split(separator: " ", maxSplits: 2)
        guard spec.count == 3, let offset = Int(spec[0]), let count = Int(spec[1]) else {
            preconditionFailure("malformed \(Self.fileField) field")
        }
        fileIO.openFile(_deprecatedPath: String(spec[2]), eventLoop: context.eventLoop).assumeIsolated()
            .whenComplete { result in
                let (handler, context) = loopBound.value
                handler.opened(result, offset: offset, count: count, context: context)
            }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard case .opening = output, context.channel.isActive else {
            context.close(mode: mode, promise: promise)
            return
        }
        heldClose = (mode, promise)
    }

    /// Sends the held head with the file's bytes, or a 404 when the file could not be opened, then what was held
    /// behind it.
    private func opened(
        _ result: Result<(NIOFileHandle, FileRegion), any Error>, offset: Int, count: Int,
        context: ChannelHandlerContext
    ) {
        guard case .opening(var held) = output else { return }
        output = .passing
        let (first, promise) = held.removeFirst()
        guard case .head(var head) = first else { preconditionFailure("a held answer starts with its head") }
        guard context.channel.isActive else {
            if case .success(let (handle, _)) = result { try? handle.close() }
            for (_, promise) in [(first, promise)] + held { promise?.fail(ChannelError.ioOnClosedChannel) }
            heldClose?.promise?.succeed()
            heldClose = nil
            return
        }
        switch result {
        case .success(let (handle, _)):
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            let region = FileRegion(fileHandle: handle, readerIndex: offset, endIndex: offset + count)
            context.write(wrapOutboundOut(.body(.fileRegion(region)))).assumeIsolated().whenComplete { _ in
                try? handle.close()
            }
        case .failure:
            head.status = .notFound
            head.headers.replaceOrAdd(name: "content-length", value: "0")
            for name in ["content-range", "etag", "last-modified", "content-encoding"] {
                head.headers.remove(name: name)
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        }
        for (part, promise) in held { write(context: context, data: wrapOutboundOut(part), promise: promise) }
        context.flush()
        if case .passing = output, let (mode, promise) = heldClose {
            heldClose = nil
            context.close(mode: mode, promise: promise)
        }
    }
}
