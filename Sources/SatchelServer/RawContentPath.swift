import Dispatch
import Glibc
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOPosix

/// The first handler on every connection, ahead of NIO's HTTP/1 decoder: it answers the commonest request a node
/// gets, a `GET` or `HEAD` of a `/content/...` file over HTTP/1.1 with no body, straight from the bytes read, with
/// the same ``ContentResponder/fastAnswer(_:)`` that ``FastPath`` and the router use, and writes the response as
/// bytes (the head a lookup keeps encoded, then the body from memory or with sendfile).
///
/// It reads request heads strictly. A `GET` or `HEAD` it reads in full but does not answer (another target, a
/// lookup not in memory, or an earlier request still unanswered further up) goes to the decoder as exactly its own
/// bytes, which leaves the decoder at a request boundary, so the next request can again be answered here. Anything
/// else (another method or version, a body, `Expect`, `Upgrade`, an unusual `Connection`, a missing or repeated
/// header, anything RFC 9112 would not accept as is) goes to the decoder with everything after it, and this
/// handler leaves the pipeline: from then on the connection works exactly as without it. Answers leave in request
/// order: this handler answers only while nothing it handed on is unanswered (``FastPath/isIdle``). ``FastPath``
/// keeps owning the connection's timeout and shutdown: each request answered here counts as in progress there
/// until its response is sent.
final class RawContentPath: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let content: ContentResponder
    private let fastPath: FastPath
    private let maxHeadBytes: Int
    private let maxFields: Int
    /// The start of a request head whose end has not arrived yet.
    private var partial: ByteBuffer?
    /// A response with `Connection: close` was written: the rest of the input is ignored.
    private var closing = false
    /// Something was handed to the decoder in the current read cycle.
    private var passedOn = false
    /// The channel reads whenever its handlers let it (`autoRead`), so this handler may ask for the next read.
    private var readsItself = false
    /// The socket took no more answers: the rest of the input waits in `partial` until it does.
    private var stalled = false
    /// Requests are being answered from a writability change, not a read.
    private var outsideRead = false
    /// This handler has left the pipeline.
    private var removed = false

    init(content: ContentResponder, fastPath: FastPath, limits: ConnectionLimits) {
        self.content = content
        self.fastPath = fastPath
        self.maxHeadBytes = limits.maxHeaderBytes
        self.maxFields = limits.maxHeaderFields
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var buffer = unwrapInboundIn(data)
        if var held = partial {
            partial = nil
            held.writeBuffer(&buffer)
            buffer = held
        }
        answer(buffer, context: context)
    }

    /// Answers the requests at the start of `input`, or hands them on, in order, until it ends, ends in an unfinished
    /// head (kept in `partial`), or the socket takes no more: a client that does not read its answers gets no more
    /// until it does, what it sent waits in `partial`, and ``FastPath`` stops reading from it, so its requests wait
    /// in the kernel's buffers and not in the node's memory.
    private func answer(_ input: ByteBuffer, context: ChannelHandlerContext) {
        var buffer = input
        var answered = false
        defer { if answered { context.flush() } }
        let recent = RecentAnswers.current
        while buffer.readableBytes > 0 {
            if !context.channel.isWritable {
                // Unflushed answers count against the channel's limit too: send them before deciding.
                if answered {
                    context.flush()
                    answered = false
                }
                if !context.channel.isWritable {
                    partial = buffer
                    stalled = true
                    return
                }
            }
            let start = DispatchTime.now().uptimeNanoseconds
            // The very same request head as one answered here moments ago gets the very same answer.
            if fastPath.isIdle, !fastPath.isQuiescing, let head = Self.completeHead(buffer, maxHeadBytes: maxHeadBytes),
                let known = recent.answer(to: head, now: start)
            {
                buffer.moveReaderIndex(forwardBy: head.readableBytes)
                write(known, start: start, context: context)
                answered = true
                continue
            }
            let parsed = Self.parse(buffer, maxHeadBytes: maxHeadBytes, maxFields: maxFields)
            switch parsed {
            case .incomplete where buffer.readableBytes < maxHeadBytes:
                partial = buffer
                return
            case .request(let request, let headLength, let close) where !fastPath.isQuiescing:
                // Answered here only when nothing handed to the decoder is still unanswered, so that answers
                // leave in request order.
                if let request, fastPath.isIdle, let answer = content.fastAnswer(request), let body = Body(answer) {
                    let head = buffer.readSlice(length: headLength)!
                    let written = send(
                        answer, body: body, isHead: request.isHead, close: close, start: start, context: context)
                    if !close, !answer.recordedUse, let written { recent.remember(written, for: head, now: start) }
                    answered = true
                    if close {
                        closing = true
                        return
                    }
                } else if !close {
                    // A whole GET or HEAD without a body: the decoder reads it and is at a request boundary again.
                    passedOn = true
                    context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: headLength)!))
                } else {
                    handOver(buffer, context: context)
                    return
                }
            default:
                handOver(buffer, context: context)
                return
            }
        }
    }

    /// The socket takes answers again: what waited is answered now, outside a read cycle.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        guard stalled, !closing, context.channel.isWritable, let held = partial else { return }
        stalled = false
        partial = nil
        outsideRead = true
        answer(held, context: context)
        outsideRead = false
        // What was handed on reaches Hummingbird's reader only with a read-complete.
        if passedOn, !removed {
            passedOn = false
            context.fireChannelReadComplete()
        }
    }

    /// The end of a read cycle concerns the handlers after this one only if they were given something in it: when
    /// every request read was answered here, it stops here (it would cross eight handlers for nothing), and this
    /// handler asks for the next read itself. NIO would otherwise send that request through every handler from the
    /// back of the pipeline to the socket; once it is asked for, NIO does not ask again. Only the handlers after this
    /// one could want to hold reads back (``FastPath`` while it reads a lookup, the async channel when Hummingbird
    /// falls behind), and neither does while nothing it was given is unanswered (``FastPath/isIdle``).
    func channelReadComplete(context: ChannelHandlerContext) {
        guard passedOn else {
            if readsItself, !closing, !stalled, fastPath.isIdle, context.channel.isWritable { context.read() }
            return
        }
        passedOn = false
        context.fireChannelReadComplete()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // A channel that does not read by itself is read when its owner asks; this handler must not ask for it.
        readsItself = (try? context.channel.syncOptions?.getOption(.autoRead)) ?? false
    }

    /// Gives the rest of the input to the decoder and leaves the pipeline: from here on the connection is read as if
    /// this handler had never been there.
    private func handOver(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        // Answers written in this read go out now: once this handler has left the pipeline its flush reaches nobody.
        context.flush()
        passedOn = true
        context.fireChannelRead(wrapInboundOut(buffer))
        if outsideRead {
            // No read-complete follows by itself, and once this handler has left it could not send one.
            passedOn = false
            context.fireChannelReadComplete()
        }
        removed = true
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// The request head at the start of `buffer` (through its blank line), if it is all there.
    static func completeHead(_ buffer: ByteBuffer, maxHeadBytes: Int) -> ByteBuffer? {
        let length = buffer.withUnsafeReadableBytes { bytes -> Int? in
            let count = min(bytes.count, maxHeadBytes)
            var index = 3
            while index < count {
                // Step over bytes that cannot end "\r\n\r\n".
                if bytes[index] != UInt8(ascii: "\n") {
                    index += bytes[index] == UInt8(ascii: "\r") ? 1 : 2
                    continue
                }
                if bytes[index - 1] == UInt8(ascii: "\r"), bytes[index - 2] == UInt8(ascii: "\n"),
                    bytes[index - 3] == UInt8(ascii: "\r")
                {
                    return index + 1
                }
                index += 2
            }
            return nil
        }
        return length.flatMap { buffer.getSlice(at: buffer.readerIndex, length: $0) }
    }

    /// What follows the head of an answer.
    private enum Body {
        case empty
        case bytes(ByteBuffer)
        case file(FileRegion)

        /// The body of `answer`, with its blob opened now so that one removed since its lookup was cached goes the
        /// slow way, which answers 404. Nil when it cannot be opened.
        init?(_ answer: ContentAnswer) {
            switch answer.body {
            case .none:
                self = .empty
            case .bytes(let buffer):
                self = .bytes(buffer)
            case .file(let path, let offset, let count):
                let descriptor = open(path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { return nil }
                let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
                self = .file(FileRegion(fileHandle: handle, readerIndex: Int(offset), endIndex: Int(offset + count)))
            }
        }
    }

    /// Writes `answer` and returns what was written when its body is in memory or empty, for ``RecentAnswers``.
    private func send(
        _ answer: ContentAnswer, body: Body, isHead: Bool, close: Bool, start: UInt64,
        context: ChannelHandlerContext
    ) -> RecentAnswers.Answer? {
        var head: ByteBuffer
        if let encoded = answer.prebuiltHead {
            head = context.channel.allocator.buffer(capacity: encoded.readableBytes + 96)
            head.writeImmutableBuffer(encoded)
        } else {
            head = context.channel.allocator.buffer(capacity: 512)
            Self.writeHead(status: answer.status, fields: answer.headers, into: &head)
        }
        FastAnswerFields.write(into: &head, keepAlive: !close)
        var written = RecentAnswers.Answer(
            head: head, body: nil, status: answer.status.code, isHead: isHead, bodyCount: answer.bodyCount)
        switch body {
        case .empty:
            write(written, start: start, close: close, context: context)
        case .bytes(let bytes):
            written.body = bytes
            write(written, start: start, close: close, context: context)
        case .file(let region):
            write(written, then: region, start: start, close: close, context: context)
            return nil
        }
        return written
    }

    /// Writes a head and its body (the answer's bytes, or `region` sent from a file), counts the answer in the metrics,
    /// and tells ``FastPath`` once it is sent.
    private func write(
        _ answer: RecentAnswers.Answer, then region: FileRegion? = nil, start: UInt64, close: Bool = false,
        context: ChannelHandlerContext
    ) {
        fastPath.rawRequestBegan()
        let sent = context.eventLoop.makePromise(of: Void.self)
        if let region {
            context.write(NIOAny(IOData.byteBuffer(answer.head)), promise: nil)
            context.write(NIOAny(IOData.fileRegion(region)), promise: sent)
        } else if let body = answer.body {
            context.write(NIOAny(IOData.byteBuffer(answer.head)), promise: nil)
            context.write(NIOAny(IOData.byteBuffer(body)), promise: sent)
        } else {
            context.write(NIOAny(IOData.byteBuffer(answer.head)), promise: sent)
        }
        // The completion keeps only what it needs: no buffers, and the file only when there is one to close.
        let (fastPath, status, isHead, bytes) = (fastPath, answer.status, answer.isHead, answer.bodyCount)
        let file = region?.fileHandle
        sent.futureResult.assumeIsolated().whenComplete { result in
            try? file?.close()
            FastPathMetrics.record(
                route: "/content/**", method: isHead ? "HEAD" : "GET", status: status, since: start,
                contentBytes: bytes)
            fastPath.rawResponseSent()
            if close || (try? result.get()) == nil { context.close(promise: nil) }
        }
    }

    /// `HTTP/1.1 STATUS REASON` and the fields, each line ending in CRLF.
    static func writeHead(status: HTTPResponse.Status, fields: HTTPFields, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in fields {
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
    }

    // MARK: - Reading a request head

    enum Parsed {
        /// A `GET` or `HEAD` without a body, the length of its head, and whether it asked to close the connection;
        /// the parts a content answer needs when its target is under `/content/`, else nil.
        case request(ContentRequest?, headLength: Int, close: Bool)
        /// No end of the head yet.
        case incomplete
        /// Anything else: the decoder's.
        case other
    }

    /// Reads a request head at the start of `buffer`, strictly: any doubt gives `.other`.
    static func parse(_ buffer: ByteBuffer, maxHeadBytes: Int, maxFields: Int) -> Parsed {
        buffer.withUnsafeReadableBytes { bytes -> Parsed in
            let count = min(bytes.count, maxHeadBytes)
            var index = 0
            // Request line: method, one space, the target, one space, HTTP/1.1, CRLF.
            let isHead: Bool
            if Self.has("GET /", in: bytes, at: 0) {
                isHead = false
                index = 4
            } else if Self.has("HEAD /", in: bytes, at: 0) {
                isHead = true
                index = 5
            } else {
                return Self.couldBeGetOrHead(bytes) ? .incomplete : .other
            }
            let targetStart = index
            while index < count, (0x21...0x7E).contains(bytes[index]) { index += 1 }
            guard index < count else { return .incomplete }
            let targetEnd = index
            guard bytes[index] == UInt8(ascii: " ") else { return .other }
            index += 1
            guard index + 10 <= count else { return .incomplete }
            guard Self.has("HTTP/1.1\r\n", in: bytes, at: index) else { return .other }
            index += 10

            var request = ContentRequest(plainPath: "")
            request.isHead = isHead
            var hosts = 0
            var fields = 0
            var close = false
            while true {
                guard index + 1 < count else { return .incomplete }
                if bytes[index] == UInt8(ascii: "\r") {
                    guard bytes[index + 1] == UInt8(ascii: "\n") else { return .other }
                    index += 2
                    break
                }
                fields += 1
                guard fields <= maxFields else { return .other }
                // The name: one or more token characters (no leading whitespace: no obsolete line folding).
                let nameStart = index
                while index < count, Self.isTokenCharacter(bytes[index]) { index += 1 }
                guard index < count else { return .incomplete }
                guard index > nameStart, bytes[index] == UInt8(ascii: ":") else { return .other }
                let nameEnd = index
                index += 1
                while index < count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
                    index += 1
                }
                let valueStart = index
                var valueEnd = index
                while index < count, bytes[index] != UInt8(ascii: "\r") {
                    let byte = bytes[index]
                    guard byte == UInt8(ascii: "\t") || byte >= 0x20, byte != 0x7F else { return .other }
                    index += 1
                    if byte != UInt8(ascii: " "), byte != UInt8(ascii: "\t") { valueEnd = index }
                }
                guard index + 1 < count else { return .incomplete }
                guard bytes[index + 1] == UInt8(ascii: "\n") else { return .other }
                index += 2
                let name = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<nameEnd])
                let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
                switch Self.fieldName(name) {
                case .host:
                    hosts += 1
                case .connection:
                    if Self.equalsIgnoringCase(value, "close") {
                        close = true
                    } else if !Self.equalsIgnoringCase(value, "keep-alive") {
                        return .other
                    }
                case .read(let field):
                    // A repeated field is for the decoder and the router to judge.
                    guard request[keyPath: field] == nil else { return .other }
                    request[keyPath: field] = String(decoding: value, as: UTF8.self)
                case .refused:
                    return .other
                case .ignored:
                    break
                }
            }
            // RFC 9112 section 3.2: an HTTP/1.1 request has exactly one Host.
            guard hosts == 1 else { return .other }
            guard Self.has("/content/", in: bytes, at: targetStart) else {
                return .request(nil, headLength: index, close: close)
            }
            let target = URI(
                String(decoding: UnsafeRawBufferPointer(rebasing: bytes[targetStart..<targetEnd]), as: UTF8.self))
            request.rawPath = target.path
            request.query = target.query
            return .request(request, headLength: index, close: close)
        }
    }

    private enum FieldName {
        case host, connection
        /// A field the content answer reads, and where it goes.
        case read(WritableKeyPath<ContentRequest, String?>)
        /// A field that means the request is not a plain GET (a body, an upgrade, an expectation): the decoder's.
        case refused
        case ignored
    }

    private static func fieldName(_ name: UnsafeRawBufferPointer) -> FieldName {
        switch name.count {
        case 4: if equalsIgnoringCase(name, "host") { return .host }
        case 5: if equalsIgnoringCase(name, "range") { return .read(\.range) }
        case 6:
            if equalsIgnoringCase(name, "cookie") { return .read(\.cookie) }
            if equalsIgnoringCase(name, "expect") { return .refused }
        case 7: if equalsIgnoringCase(name, "upgrade") { return .refused }
        case 8: if equalsIgnoringCase(name, "if-range") { return .read(\.ifRange) }
        case 10:
            if equalsIgnoringCase(name, "connection") { return .connection }
            if equalsIgnoringCase(name, "user-agent") { return .read(\.userAgent) }
        case 13: if equalsIgnoringCase(name, "if-none-match") { return .read(\.ifNoneMatch) }
        case 14: if equalsIgnoringCase(name, "content-length") { return .refused }
        case 15: if equalsIgnoringCase(name, "accept-encoding") { return .read(\.acceptEncoding) }
        case 17:
            if equalsIgnoringCase(name, "if-modified-since") { return .read(\.ifModifiedSince) }
            if equalsIgnoringCase(name, "transfer-encoding") { return .refused }
        default: break
        }
        return .ignored
    }

    /// Whether `bytes` equals `lowercase` (ASCII, lower case) ignoring ASCII case.
    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            guard folded == expected[index] else { return false }
        }
        return true
    }

    private static func has(_ literal: StaticString, in bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard offset + length <= bytes.count else { return false }
        return memcmp(bytes.baseAddress! + offset, literal.utf8Start, length) == 0
    }

    /// Whether input too short to tell could still become `GET /` or `HEAD /`.
    private static func couldBeGetOrHead(_ bytes: UnsafeRawBufferPointer) -> Bool {
        func isPrefix(_ literal: StaticString) -> Bool {
            bytes.count < literal.utf8CodeUnitCount && memcmp(bytes.baseAddress!, literal.utf8Start, bytes.count) == 0
        }
        return bytes.count > 0 && (isPrefix("GET /") || isPrefix("HEAD /"))
    }

    /// RFC 9110 section 5.6.2 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

/// Answers given by ``RawContentPath`` in the last quarter second, per event-loop thread, by the exact bytes of the
/// request head they answered: the same head again (a file in demand, asked the same way) gets the same bytes
/// without being read, looked up and encoded again. Only answers whose body is in memory or empty, that recorded no
/// use (a view is recorded per request) and keep the connection open are kept. The memo is emptied when its
/// quarter second is over or the clock's second changes (the `Date` header), so it adds at most a quarter second
/// to the time an import or removal takes to show, and it holds at most ``capacity`` answers and ``bodyBudget``
/// bytes of bodies (the blob cache's own buffers) per thread.
final class RecentAnswers {
    struct Answer {
        /// Status line and headers, `Date` and `Server` included, through the blank line.
        var head: ByteBuffer
        var body: ByteBuffer?
        var status: Int
        var isHead: Bool
        var bodyCount: Int64
    }

    static let lifetime: UInt64 = 250_000_000
    static let capacity = 256
    /// Bodies larger than this are not remembered, and the remembered bodies hold at most ``bodyBudget`` bytes: they
    /// are the blob cache's buffers, but one the blob cache drops stays alive here until the memo is emptied.
    static let maxBody = 64 * 1024
    static let bodyBudget = 2 * 1024 * 1024

    /// Each thread sees only its own memo, so the variable is not shared state despite what its type says.
    nonisolated(unsafe) private static let perThread = ThreadSpecificVariable<RecentAnswers>()

    static var current: RecentAnswers {
        if let memo = perThread.currentValue { return memo }
        let memo = RecentAnswers()
        perThread.currentValue = memo
        return memo
    }

    /// A request head as a dictionary key, hashed with a quick multiply-and-rotate over its 8-byte words instead of
    /// SipHash over every byte: equal heads are still compared in full, and the memo is too small (``capacity``)
    /// for deliberate collisions to cost more than a few comparisons.
    struct HeadKey: Hashable {
        let bytes: ByteBuffer
        let quickHash: UInt64

        init(_ bytes: ByteBuffer) {
            self.bytes = bytes
            quickHash = bytes.withUnsafeReadableBytes { raw -> UInt64 in
                var hash = UInt64(truncatingIfNeeded: raw.count) &* 0x9E37_79B9_7F4A_7C15
                var offset = 0
                while offset + 8 <= raw.count {
                    let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    let mixed = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
                    hash = mixed << 29 | mixed >> 35
                    offset += 8
                }
                var tail: UInt64 = 0
                while offset < raw.count {
                    tail = tail << 8 | UInt64(raw[offset])
                    offset += 1
                }
                return (hash ^ tail) &* 0xC4CE_B9FE_1A85_EC53
            }
        }

        static func == (left: HeadKey, right: HeadKey) -> Bool {
            left.quickHash == right.quickHash && left.bytes == right.bytes
        }

        func hash(into hasher: inout Hasher) { hasher.combine(quickHash) }
    }

    private var began: UInt64 = 0
    private var second = 0
    private var answers: [HeadKey: Answer] = [:]
    private var bodyBytes = 0

    /// The answer to exactly `head`, if one was given in the current quarter second; `now` in uptime nanoseconds.
    func answer(to head: ByteBuffer, now: UInt64) -> Answer? {
        expire(now: now)
        return answers.isEmpty ? nil : answers[HeadKey(head)]
    }

    func remember(_ answer: Answer, for head: ByteBuffer, now: UInt64) {
        expire(now: now)
        let size = answer.body?.readableBytes ?? 0
        guard answers.count < Self.capacity, size <= Self.maxBody, bodyBytes + size <= Self.bodyBudget else { return }
        bodyBytes += size
        // A copy of the key: a slice would keep the whole read buffer alive.
        answers[HeadKey(ByteBuffer(buffer: head))] = answer
    }

    private func expire(now: UInt64) {
        let second = time(nil)
        guard now &- began >= Self.lifetime || second != self.second else { return }
        began = now
        self.second = second
        answers.removeAll(keepingCapacity: true)
        bodyBytes = 0
    }
}
