import Foundation
import HTTPTypes
import Metrics
import NIOCore
import NIOHTTP1

/// The first handler after the HTTP/1 codec on every connection. It does two jobs:
///
/// - Answers `GET` and `HEAD` of `/content/...` on the event loop when everything the answer needs is in memory
///   (``ContentResponder/fastAnswer(_:)``), writing file bodies as `FileRegion`s, which NIO sends with sendfile: no
///   copy through user space and no buffer per transfer. Every other request, and a content request whose lookup
///   is not cached, goes on to Hummingbird's router unchanged. While a passed-on request is unanswered, later
///   pipelined requests are passed on too, so responses always leave in request order.
/// - Closes a connection whose client takes longer than `headTimeout` to send a complete request head: the
///   slow-loris attack that an idle timeout alone does not stop. The clock runs whenever no request is in progress:
///   from the connection's start and from the moment a response has been sent in full, so it is also the idle
///   timeout of keep-alive connections.
final class ContentFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let content: ContentResponder?
    private let headTimeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// Requests whose head has been read and whose response has not been sent in full.
    private var inProgress = 0
    /// Requests passed on to Hummingbird whose response has not ended yet.
    private var passedOn = 0
    /// Whether the body and end of the request being read go to Hummingbird.
    private var passingOn = false
    /// A fast answer waiting for the end of its request.
    private var pending: (head: HTTPRequestHead, answer: ContentAnswer, file: NIOFileHandle?, start: UInt64)?
    /// Shutdown asked connections to finish: no more fast answers; the event waits for those being sent.
    private var quiescing = false
    private var quiesceHeld = false

    init(content: ContentResponder?, headTimeout: TimeAmount) {
        self.content = content
        self.headTimeout = headTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        if let file = pending?.file { try? file.close() }
        pending = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            disarm()
            inProgress += 1
            if passedOn == 0, pending == nil, !quiescing, let prepared = prepare(head) {
                pending = prepared
                passingOn = false
                return
            }
            passingOn = true
            passedOn += 1
            context.fireChannelRead(data)
        case .body:
            if passingOn { context.fireChannelRead(data) }
        case .end:
            if passingOn {
                passingOn = false
                context.fireChannelRead(data)
            } else if let pending {
                self.pending = nil
                send(pending, context: context)
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        // The end of a response from Hummingbird.
        passedOn -= 1
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.assumeIsolated().whenComplete { _ in self.responseSent(context) }
        context.write(data, promise: written)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        quiescing = true
        // Hummingbird's connection handler closes a connection it thinks idle; hold the event while a fast answer
        // is still being sent so that it is not cut off.
        if inProgress > passedOn {
            quiesceHeld = true
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: - Fast answers

    private func prepare(_ head: HTTPRequestHead) -> (HTTPRequestHead, ContentAnswer, NIOFileHandle?, UInt64)? {
        guard let content, head.method == .GET || head.method == .HEAD, head.uri.hasPrefix("/content/") else {
            return nil
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let target = head.uri
        let pathEnd = target.firstIndex { $0 == "?" || $0 == "#" } ?? target.endIndex
        var query: String?
        if pathEnd < target.endIndex, target[pathEnd] == "?" {
            let rest = target[target.index(after: pathEnd)...]
            query = String(rest.prefix { $0 != "#" })
        }
        let request = ContentRequest(
            isHead: head.method == .HEAD, rawPath: String(target[..<pathEnd]), query: query, headers: head.headers)
        guard let answer = content.fastAnswer(request) else { return nil }
        guard case .file(let path, _, _) = answer.body else { return (head, answer, nil, start) }
        // Opened now so that a blob removed since its lookup was cached goes the slow way, which answers 404.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        return (head, answer, NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor), start)
    }

    private func send(
        _ prepared: (head: HTTPRequestHead, answer: ContentAnswer, file: NIOFileHandle?, start: UInt64),
        context: ChannelHandlerContext
    ) {
        let (request, answer, file, start) = prepared
        var headers: HTTPHeaders
        if let prebuilt = answer.prebuilt {
            headers = prebuilt
        } else {
            headers = HTTPHeaders()
            headers.reserveCapacity(answer.headers.count + 3)
            for field in answer.headers { headers.add(name: field.name.rawName, value: field.value) }
        }
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "Server", value: "satchel")
        let keepAlive = request.isKeepAlive && !quiescing
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if request.version.major == 1, request.version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        let status = HTTPResponseStatus(statusCode: answer.status.code, reasonPhrase: answer.status.reasonPhrase)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
            promise: nil)
        switch answer.body {
        case .none:
            try? file?.close()
        case .bytes(let buffer):
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .file(_, let offset, let count):
            if let file {
                let region = FileRegion(fileHandle: file, readerIndex: Int(offset), endIndex: Int(offset + count))
                context.write(wrapOutboundOut(.body(.fileRegion(region)))).assumeIsolated().whenComplete { _ in
                    try? file.close()
                }
            }
        }
        NodeMetrics.contentBytes.increment(by: answer.bodyCount)
        let isHead = request.method == .HEAD
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { result in
            ContentFastPathMetrics.record(isHead: isHead, status: answer.status.code, since: start)
            if case .failure = result { return }
            if !keepAlive { context.close(promise: nil) }
            self.responseSent(context)
        }
    }

    // MARK: - Request-head timeout

    /// Called once a response has been handed to the socket in full.
    private func responseSent(_ context: ChannelHandlerContext) {
        inProgress -= 1
        guard inProgress == 0 else { return }
        if quiesceHeld {
            quiesceHeld = false
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        arm(context)
    }

    private func arm(_ context: ChannelHandlerContext) {
        disarm()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: headTimeout) {
            channel.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}

/// The same request metrics as Hummingbird's `MetricsMiddleware`, for answers given on the fast path.
enum ContentFastPathMetrics {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var metrics: [Int: (Counter, Timer)] = [:]

    static func record(isHead: Bool, status: Int, since start: UInt64) {
        let key = status * 2 + (isHead ? 1 : 0)
        let (counter, timer) = lock.withLock {
            if let known = metrics[key] { return known }
            let dimensions = [
                ("http.route", "/content/**"), ("http.request.method", isHead ? "HEAD" : "GET"),
                ("http.response.status_code", String(status)),
            ]
            let made = (
                Counter(label: "hb.requests", dimensions: dimensions),
                Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds)
            )
            metrics[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
    }
}
