import Foundation
import HTTPTypes
import HummingbirdCore
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix

/// The first handler after the HTTP/1 codec on every connection. It does three jobs:
///
/// - Answers `GET` and `HEAD` of `/content/...` on the event loop when everything the answer needs is in memory
///   (``ContentResponder/fastAnswer(_:)``), writing file bodies as `FileRegion`s, which NIO sends with sendfile: no
///   copy through user space and no buffer per transfer. A content request whose lookup is not cached waits while
///   the lookup is read in the background, and is then answered the same way. Every other request, and a content
///   request still not answerable from memory (a missing file, a gzip copy not made yet), goes on to Hummingbird's
///   router unchanged. While a passed-on request is unanswered, later
///   pipelined requests are passed on too, so responses always leave in request order.
/// - Records anonymous usage beacons (`POST /api/v1/beacon` without a session) with ``BeaconRecorder``, the same
///   code the route uses, and answers 204 once the event is on disk; a beacon it refuses goes to the router, which
///   answers the documented error. While one is being recorded, later input on the connection waits.
/// - Closes a connection whose client takes longer than `headTimeout` to send a complete request head: the
///   slow-loris attack that an idle timeout alone does not stop. The clock runs whenever no request is in progress:
///   from the connection's start and from the moment a response has been sent in full, so it is also the idle
///   timeout of keep-alive connections.
final class FastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let content: ContentResponder?
    private let beacons: BeaconRecorder?
    private let headTimeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// When the connection last had no request in progress; nil while one is.
    private var idleSince: NIODeadline?
    /// Requests whose head has been read and whose response has not been sent in full.
    private var inProgress = 0
    /// Requests passed on to Hummingbird whose response has not ended yet.
    private var passedOn = 0
    /// Of `inProgress`, those ``RawContentPath`` answered.
    private var rawInProgress = 0
    /// Whether the body and end of the request being read go to Hummingbird.
    private var passingOn = false
    /// An anonymous beacon being read, answered here once it is on disk.
    private var beacon: (head: HTTPRequestHead, body: ByteBuffer)?
    /// Input is held while a beacon is recorded or a lookup read: later parts wait in `queued` and the socket is not
    /// read, so that answers stay in order.
    private var holdingInput = false
    /// A request is being read again after its lookup was read: it is not read in the background twice.
    private var rereading = false
    private var queued: [HTTPServerRequestPart] = []
    /// A read was asked for while input was held or the socket took no more answers; `queued` holds one read's worth
    /// at most.
    private var readHeld = false
    /// A fast answer waiting for the end of its request.
    private var pending: (head: HTTPRequestHead, answer: ContentAnswer, file: NIOFileHandle?, start: UInt64)?
    /// Shutdown asked connections to finish: no more fast answers; the event waits for those being sent.
    private var quiescing = false
    private var quiesceHeld = false
    /// This handler's place in the pipeline, for the calls from ``RawContentPath``.
    private var context: ChannelHandlerContext?

    init(content: ContentResponder?, beacons: BeaconRecorder?, headTimeout: TimeAmount) {
        self.content = content
        self.beacons = beacons
        self.headTimeout = headTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopClock()
        if let file = pending?.file { try? file.close() }
        pending = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopClock()
        self.context = nil
    }

    // MARK: - Requests answered before the decoder

    /// Whether shutdown has asked the connection to finish: ``RawContentPath`` then answers nothing more.
    var isQuiescing: Bool { quiescing }

    /// Whether every request the decoder has passed here has been answered and written, and nothing waits: only
    /// then may ``RawContentPath`` answer the next request itself without overtaking an earlier one.
    var isIdle: Bool {
        inProgress == rawInProgress && pending == nil && beacon == nil && !holdingInput && queued.isEmpty
    }

    /// ``RawContentPath`` answers a request: it is in progress until ``rawResponseSent()``.
    func rawRequestBegan() {
        disarm()
        inProgress += 1
        rawInProgress += 1
    }

    /// The response to a request ``RawContentPath`` answered has been handed to the socket in full.
    func rawResponseSent() {
        rawInProgress -= 1
        if let context { responseSent(context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if holdingInput {
            queued.append(part)
            return
        }
        read(part, context: context)
    }

    private func read(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            disarm()
            inProgress += 1
            if passedOn == 0, pending == nil, !quiescing {
                if let prepared = prepare(head) {
                    pending = prepared
                    passingOn = false
                    return
                }
                if !rereading, let content, let target = Self.contentTarget(head),
                    content.warm(rawPath: target.path, done: resumer(for: head, context: context))
                {
                    // The lookup is not in memory: read it in the background and come back to this request, rather
                    // than have the router stream the file through memory (sendfile needs the fast path).
                    holdingInput = true
                    passingOn = false
                    return
                }
                if isAnonymousBeacon(head) {
                    beacon = (head, context.channel.allocator.buffer(capacity: 128))
                    passingOn = false
                    return
                }
            }
            passingOn = true
            passedOn += 1
            context.fireChannelRead(wrapInboundOut(part))
        case .body(var buffer):
            if passingOn {
                context.fireChannelRead(wrapInboundOut(part))
            } else if beacon != nil {
                if beacon!.body.readableBytes + buffer.readableBytes > BeaconRecorder.maxBytes {
                    // Too big for a beacon: the router refuses it in its usual way.
                    passBeaconOn(context)
                    context.fireChannelRead(wrapInboundOut(part))
                } else {
                    beacon!.body.writeBuffer(&buffer)
                }
            }
        case .end:
            if passingOn {
                passingOn = false
                context.fireChannelRead(wrapInboundOut(part))
            } else if let pending {
                self.pending = nil
                send(pending, context: context)
            } else if let beacon {
                self.beacon = nil
                record(beacon, context: context)
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

    /// Reads are held while input is held, and while the socket takes no more answers (a client that does not read
    /// them): what the client sends meanwhile waits in the kernel's buffers, not in the node's memory.
    func read(context: ChannelHandlerContext) {
        if holdingInput || !context.channel.isWritable {
            readHeld = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        releaseRead(context)
    }

    /// Asks for the read held back, once nothing holds it any more.
    private func releaseRead(_ context: ChannelHandlerContext) {
        guard readHeld, !holdingInput, context.channel.isWritable else { return }
        readHeld = false
        context.read()
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

    /// The target of a `GET` or `HEAD` under `/content/`, split by the router's own URI parser so that both paths
    /// see the same path and query.
    private static func contentTarget(_ head: HTTPRequestHead) -> URI? {
        guard head.method == .GET || head.method == .HEAD, head.uri.hasPrefix("/content/") else { return nil }
        return URI(head.uri)
    }

    /// What to do once a lookup read in the background is in memory: read the request again, and what came after.
    private func resumer(for head: HTTPRequestHead, context: ChannelHandlerContext) -> @Sendable () -> Void {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        return {
            loop.execute {
                let (handler, context) = bound.value
                handler.holdingInput = false
                handler.inProgress -= 1
                handler.rereading = true
                handler.read(.head(head), context: context)
                handler.rereading = false
                handler.resume(context)
            }
        }
    }

    private func prepare(_ head: HTTPRequestHead) -> (HTTPRequestHead, ContentAnswer, NIOFileHandle?, UInt64)? {
        guard let content, let target = Self.contentTarget(head) else { return nil }
        let start = DispatchTime.now().uptimeNanoseconds
        let request = ContentRequest(
            isHead: head.method == .HEAD, rawPath: target.path, query: target.query, headers: head.headers)
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
        var body: IOData?
        switch answer.body {
        case .none:
            try? file?.close()
        case .bytes(let buffer):
            body = .byteBuffer(buffer)
        case .file(_, let offset, let count):
            if let file {
                body = .fileRegion(
                    FileRegion(fileHandle: file, readerIndex: Int(offset), endIndex: Int(offset + count)))
            }
        }
        respond(
            to: request, status: answer.status, headers: headers, body: body, closing: file, route: "/content/**",
            contentBytes: answer.bodyCount, start: start, context: context)
    }

    /// Writes a whole response to `request` with the `Date`, `Server` and `Connection` headers every answer gets,
    /// closes `closing` once the body is sent, records the metrics, and restarts the head timeout once it is out.
    private func respond(
        to request: HTTPRequestHead, status: HTTPResponse.Status, headers: HTTPHeaders, body: IOData?,
        closing file: NIOFileHandle? = nil, route: StaticString, contentBytes: Int64 = 0, start: UInt64,
        context: ChannelHandlerContext
    ) {
        var headers = headers
        let keepAlive = request.isKeepAlive && !quiescing
        FastAnswerFields.add(
            to: &headers, keepAlive: keepAlive, isHTTP10: request.version.major == 1 && request.version.minor == 0)
        let head = HTTPResponseHead(
            version: request.version,
            status: HTTPResponseStatus(statusCode: status.code, reasonPhrase: status.reasonPhrase), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body {
            let written = context.write(wrapOutboundOut(.body(body)))
            if let file { written.assumeIsolated().whenComplete { _ in try? file.close() } }
        }
        let method: StaticString =
            switch request.method {
            case .HEAD: "HEAD"
            case .POST: "POST"
            default: "GET"
            }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { result in
            FastPathMetrics.record(
                route: route, method: method, status: status.code, since: start, contentBytes: contentBytes)
            if case .failure = result { return }
            if !keepAlive { context.close(promise: nil) }
            self.responseSent(context)
        }
    }

    // MARK: - Beacons

    /// `POST /api/v1/beacon` without a session cookie (a teacher's beacon needs the session, read from the database).
    private func isAnonymousBeacon(_ head: HTTPRequestHead) -> Bool {
        guard beacons != nil, head.method == .POST, head.uri == "/api/v1/beacon" else { return false }
        if let cookie = head.headers.first(name: "cookie"),
            Sessions.cookie(Sessions.cookieName, inHeader: cookie) != nil
        {
            return false
        }
        if let length = head.headers.first(name: "content-length"), (Int(length) ?? .max) > BeaconRecorder.maxBytes {
            return false
        }
        return true
    }

    /// Gives a beacon read so far to the router instead; the rest of the request follows it there.
    private func passBeaconOn(_ context: ChannelHandlerContext) {
        guard let (head, body) = beacon else { return }
        beacon = nil
        passingOn = true
        handOn(head, body, context: context)
    }

    /// Hands a request head and the body read so far to the router, as if they had just been read.
    private func handOn(_ head: HTTPRequestHead, _ body: ByteBuffer, context: ChannelHandlerContext) {
        passedOn += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
        if body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
    }

    /// Records the beacon and answers 204 once it is on disk, without leaving the event loop but for the commit
    /// itself; a beacon that is invalid, names a resource not known from memory, or fails to be stored goes to the
    /// router, which answers it as the API documents.
    private func record(_ beacon: (head: HTTPRequestHead, body: ByteBuffer), context: ChannelHandlerContext) {
        guard let beacons else { return }
        holdingInput = true
        let start = DispatchTime.now().uptimeNanoseconds
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let taken = beacons.recordFromMemory(beacon.body) { result in
            let stored = (try? result.get()) != nil
            loop.execute {
                let (handler, context) = bound.value
                handler.recorded(beacon, accepted: stored, start: start, context: context)
            }
        }
        if !taken { recorded(beacon, accepted: false, start: start, context: context) }
    }

    private func recorded(
        _ beacon: (head: HTTPRequestHead, body: ByteBuffer), accepted: Bool, start: UInt64,
        context: ChannelHandlerContext
    ) {
        holdingInput = false
        if accepted {
            respond(
                to: beacon.head, status: .noContent, headers: HTTPHeaders(), body: nil, route: "/api/v1/beacon",
                start: start, context: context)
        } else {
            handOn(beacon.head, beacon.body, context: context)
            context.fireChannelRead(wrapInboundOut(.end(nil)))
        }
        resume(context)
    }

    /// Reads what waited while a beacon was recorded or a lookup read, and the socket again.
    private func resume(_ context: ChannelHandlerContext) {
        while !holdingInput, !queued.isEmpty {
            read(queued.removeFirst(), context: context)
        }
        releaseRead(context)
        // Outside a read cycle: what was handed on only reaches Hummingbird's reader with a read-complete.
        context.fireChannelReadComplete()
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

    /// Starts the head-timeout clock. The clock is lazy: a request costs two timestamps, not a timer scheduled and
    /// cancelled (which perf showed at several percent of serving small files); the one timer per connection looks
    /// at the clock when it fires and sets itself again if the connection was busy in between.
    private func arm(_ context: ChannelHandlerContext) {
        idleSince = .now()
        guard timer == nil else { return }
        schedule(at: idleSince! + headTimeout, context)
    }

    private func disarm() {
        idleSince = nil
    }

    private func schedule(at deadline: NIODeadline, _ context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        timer = loop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.timer = nil
            guard let idleSince = handler.idleSince else {
                // A request is in progress: look again one timeout after it could have ended at the earliest.
                handler.schedule(at: .now() + handler.headTimeout, context)
                return
            }
            if idleSince + handler.headTimeout <= .now() {
                context.close(promise: nil)
            } else {
                handler.schedule(at: idleSince + handler.headTimeout, context)
            }
        }
    }

    private func stopClock() {
        idleSince = nil
        timer?.cancel()
        timer = nil
    }
}

/// The fields every answer given outside the router ends with, as Hummingbird writes them: `Date`, `Server`, and
/// `Connection` where the request's version would not assume what the answer does. ``FastPath`` adds them to NIO's
/// headers, ``RawContentPath`` writes them as bytes after a head it keeps encoded; the rule is here once.
enum FastAnswerFields {
    static let server = "satchel"

    /// The `Connection` value an answer needs, if any: `close` when the connection closes after it, `keep-alive`
    /// when an HTTP/1.0 connection stays open.
    static func connection(keepAlive: Bool, isHTTP10: Bool) -> StaticString? {
        keepAlive ? (isHTTP10 ? "keep-alive" : nil) : "close"
    }

    static func add(to headers: inout HTTPHeaders, keepAlive: Bool, isHTTP10: Bool) {
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "Server", value: server)
        if let connection = connection(keepAlive: keepAlive, isHTTP10: isHTTP10) {
            headers.add(name: "Connection", value: "\(connection)")
        }
    }

    /// The same fields as bytes, each line ending in CRLF, then the blank line that ends the head: HTTP/1.1 only.
    static func write(into buffer: inout ByteBuffer, keepAlive: Bool) {
        buffer.writeStaticString("Date: ")
        buffer.writeString(HTTPDate.now())
        buffer.writeStaticString("\r\nServer: ")
        buffer.writeString(server)
        buffer.writeStaticString("\r\n")
        if let connection = connection(keepAlive: keepAlive, isHTTP10: false) {
            buffer.writeStaticString("Connection: ")
            buffer.writeStaticString(connection)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }
}

/// The same request metrics as Hummingbird's `MetricsMiddleware`, for answers given on the fast path.
///
/// Each thread tallies its answers apart and hands them to the shared counters and histogram in batches: when
/// ``batch`` are waiting, and whenever `/metrics` is rendered (``flushAll()``), so a scrape sees every answer sent
/// before it. Counting each answer in the shared metrics had the event-loop threads take turns at the same locks and
/// cache lines tens of thousands of times a second.
enum FastPathMetrics {
    static let batch = 128
    private static let lock = NSLock()
    nonisolated(unsafe) private static var metrics: [Key: (Counter, Timer)] = [:]
    nonisolated(unsafe) private static var tallies: [Tally] = []
    /// Each thread sees only its own tally, so the variable is not shared state despite what its type says.
    nonisolated(unsafe) private static let perThread = ThreadSpecificVariable<Tally>()

    /// Literals have fixed addresses, so the key compares and hashes those, with no string work per request.
    fileprivate struct Key: Hashable {
        var route: StaticString
        var method: StaticString
        var status: Int

        static func == (left: Key, right: Key) -> Bool {
            left.route.utf8Start == right.route.utf8Start && left.method.utf8Start == right.method.utf8Start
                && left.status == right.status
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(route.utf8Start)
            hasher.combine(method.utf8Start)
            hasher.combine(status)
        }
    }

    /// Counts an answer with `status` to a `method` request of `route`, started at `start` (uptime nanoseconds), that
    /// sent `contentBytes` of content.
    static func record(
        route: StaticString, method: StaticString, status: Int, since start: UInt64, contentBytes: Int64 = 0
    ) {
        let key = Key(route: route, method: method, status: status)
        let tally = perThread.currentValue ?? newTally()
        tally.add(key, nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - start), contentBytes: contentBytes)
    }

    /// Hands every thread's waiting answers to the shared metrics.
    static func flushAll() {
        for tally in lock.withLock({ tallies }) { tally.flush() }
    }

    private static func newTally() -> Tally {
        let tally = Tally()
        lock.withLock { tallies.append(tally) }
        perThread.currentValue = tally
        return tally
    }

    fileprivate static func instruments(for key: Key) -> (Counter, Timer) {
        lock.withLock {
            if let known = metrics[key] { return known }
            let dimensions = [
                ("http.route", "\(key.route)"), ("http.request.method", "\(key.method)"),
                ("http.response.status_code", String(key.status)),
            ]
            let made = (
                Counter(label: "hb.requests", dimensions: dimensions),
                Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds)
            )
            metrics[key] = made
            return made
        }
    }

    /// One thread's answers not yet counted in the shared metrics. Its lock is taken by its own thread, and by a
    /// `/metrics` render now and then.
    private final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var waiting: [(key: Key, nanoseconds: Int64)] = []
        private var contentBytes: Int64 = 0
        private var known: [Key: (Counter, Timer)] = [:]

        init() { waiting.reserveCapacity(FastPathMetrics.batch) }

        func add(_ key: Key, nanoseconds: Int64, contentBytes bytes: Int64) {
            lock.withLock {
                waiting.append((key, nanoseconds))
                contentBytes += bytes
                if waiting.count >= FastPathMetrics.batch { flushLocked() }
            }
        }

        func flush() { lock.withLock { flushLocked() } }

        private func flushLocked() {
            for (key, nanoseconds) in waiting {
                let (counter, timer): (Counter, Timer)
                if let instruments = known[key] {
                    (counter, timer) = instruments
                } else {
                    (counter, timer) = FastPathMetrics.instruments(for: key)
                    known[key] = (counter, timer)
                }
                counter.increment()
                timer.recordNanoseconds(nanoseconds)
            }
            waiting.removeAll(keepingCapacity: true)
            if contentBytes > 0 { NodeMetrics.contentBytes.increment(by: contentBytes) }
            contentBytes = 0
        }
    }
}
