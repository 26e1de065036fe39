import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on loopback that misbehaves like a rural link: it drops connections after a random number of bytes,
/// stalls, answers 503 without asking the server, and truncates answers. Each request draws its fault from a seeded
/// generator, so a failing run can be repeated; a connection that carries several requests (libcurl reuses one) draws
/// anew each time the client speaks after the server answered. Every byte also crosses the proxy's ``Link``: a delay each way and a
/// bandwidth cap. The link can be cut for a while (``cutLink(for:)``). Named as what it is: a fake of the network, the
/// one boundary the tests do not own.
public final class FaultProxy: @unchecked Sendable {
    /// What a connection suffers.
    public enum Fault: CaseIterable, Sendable {
        case none, dropRequest, dropResponse, stall, serverError
    }

    /// The shape of the link every connection crosses, with or without a fault.
    public struct Link: Sendable {
        /// How long a byte takes from one end to the other, each way; the round trip is twice this.
        public var oneWayDelay: TimeInterval
        /// The most bytes per second each way; 0 for no cap.
        public var bytesPerSecond: Int

        /// A link with `oneWayDelay` seconds of delay each way and at most `bytesPerSecond` each way (0: no cap).
        public init(oneWayDelay: TimeInterval = 0, bytesPerSecond: Int = 0) {
            self.oneWayDelay = oneWayDelay
            self.bytesPerSecond = bytesPerSecond
        }

        /// Loopback as it is: no delay, no cap.
        public static let loopback = Link()
        /// A rural school's link: 150 ms each way (a 300 ms round trip) and 1 Mbit/s each way.
        public static let rural = Link(oneWayDelay: 0.150, bytesPerSecond: 125_000)
    }

    /// The port clients connect to; it stays the same across a cut link.
    public let port: Int
    private let upstreamPort: Int
    private let link: Link
    private let faultRate: Double
    private let condition = NSCondition()
    private var listener: Int32
    private var random: SplitMix
    private var scripted: [Fault] = []
    private var stopped = false
    private var linkIsDown = false
    private var accepted = 0
    private var linkWaiters: [CheckedContinuation<Void, Never>] = []
    private var faultCounts: [Fault: Int] = [:]
    private var relayed = (toServer: 0, toClient: 0)

    /// Starts a proxy to `127.0.0.1:upstreamPort`; `faultRate` of the connections get a fault, and all of them cross
    /// `link`.
    public init(upstreamPort: Int, faultRate: Double = 0.3, seed: UInt64 = 42, link: Link = .loopback) throws {
        self.upstreamPort = upstreamPort
        self.faultRate = faultRate
        self.link = link
        random = SplitMix(seed: seed)
        (listener, port) = try Self.openListener(port: 0)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// The proxy's base URL.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// How many requests suffered each fault.
    public var counts: [Fault: Int] { condition.withLock { faultCounts } }

    /// How many TCP connections clients opened through the proxy (a refused one during a cut is not counted).
    public var acceptedConnections: Int { condition.withLock { accepted } }

    /// The bytes the proxy passed on each way: from clients to the server, and from the server to clients.
    public var relayedBytes: (toServer: Int, toClient: Int) { condition.withLock { relayed } }

    /// Gives the next requests these faults, in order, whatever the fault rate draws; a dropped request or answer
    /// is dropped whole (no byte of it passes).
    public func inject(_ faults: Fault...) {
        condition.withLock { scripted.append(contentsOf: faults) }
    }

    /// Cuts the link for `seconds`, as a dead upstream router would: connections already open stop moving bytes (the
    /// client's own timeouts end them), new ones are refused, and after `seconds` the link comes back on the same port.
    public func cutLink(for seconds: TimeInterval) {
        condition.withLock {
            linkIsDown = true
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in restoreLink() }
    }

    /// Returns once the link is up: at once when it was never cut, else when the cut ends.
    public func linkReturned() async {
        await withCheckedContinuation { continuation in
            condition.withLock {
                if linkIsDown { linkWaiters.append(continuation) } else { continuation.resume() }
            }
        }
    }

    /// Stops accepting connections; calling it again does nothing.
    public func stop() {
        let waiters = condition.withLock { () -> [CheckedContinuation<Void, Never>] in
            guard !stopped else { return [] }
            stopped = true
            if !linkIsDown {
                shutdown(listener, Int32(SHUT_RDWR))
                close(listener)
            }
            condition.broadcast()
            defer { linkWaiters = [] }
            return linkWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func restoreLink() {
        let waiters = condition.withLock { () -> [CheckedContinuation<Void, Never>] in
            guard !stopped else { return [] }
            // The port was ours a moment ago; binding it again fails only if another program took it meanwhile.
            guard let reopened = try? Self.openListener(port: port) else { return [] }
            listener = reopened.socket
            linkIsDown = false
            condition.broadcast()
            defer { linkWaiters = [] }
            return linkWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private static func openListener(port: Int) throws -> (socket: Int32, port: Int) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 128) == 0 else {
            close(listener)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) }
        }
        return (listener, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// Blocks while the link is cut; false once the proxy is stopped.
    @discardableResult
    private func waitForLink() -> Bool {
        condition.withLock {
            while linkIsDown && !stopped { condition.wait() }
            return !stopped
        }
    }

    private func acceptLoop() {
        while waitForLink() {
            let client = accept(condition.withLock { listener }, nil, nil)
            if client < 0 { continue }
            condition.withLock { accepted += 1 }
            Thread { [self] in handle(client) }.start()
        }
    }

    /// The fault of the next request, and after how many bytes a dropped one is cut.
    private func nextFault() -> (fault: Fault, cut: Int) {
        condition.withLock {
            if !scripted.isEmpty {
                let fault = scripted.removeFirst()
                faultCounts[fault, default: 0] += 1
                return (fault, 0)
            }
            let fault: Fault =
                random.nextDouble() < faultRate
                ? [Fault.dropRequest, .dropResponse, .stall, .serverError][Int(random.next() % 4)] : .none
            faultCounts[fault, default: 0] += 1
            return (fault, Int(random.next() % 4000) + 1)
        }
    }

    private func handle(_ client: Int32) {
        defer { close(client) }
        let faults = RequestFaults { [self] in nextFault() }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(upstream) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(upstreamPort).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return }
        let group = DispatchGroup()
        group.enter()
        Thread { [self] in
            relay(from: client, to: upstream, toServer: true, faults: faults)
            shutdown(upstream, Int32(SHUT_WR))
            group.leave()
        }.start()
        relay(from: upstream, to: client, toServer: false, faults: faults)
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(upstream, Int32(SHUT_RDWR))
        group.wait()
    }

    /// Copies bytes one way until end of stream, or until the request's fault drops the connection. A reading thread
    /// stamps each chunk with the time it leaves the link (its turn at the bandwidth cap, plus the delay); this
    /// thread writes it then, and holds it while the link is cut.
    private func relay(from source: Int32, to target: Int32, toServer: Bool, faults: RequestFaults) {
        let queue = ChunkQueue()
        let link = link
        Thread {
            let size = link.bytesPerSecond > 0 ? min(16384, max(1460, link.bytesPerSecond / 50)) : 16384
            var buffer = [UInt8](repeating: 0, count: size)
            var linkFree = Self.now()
            while true {
                let count = recv(source, &buffer, size, 0)
                let received = Self.now()
                guard count > 0 else {
                    _ = queue.put([], due: max(linkFree, received) + link.oneWayDelay)
                    return
                }
                linkFree = max(linkFree, received)
                if link.bytesPerSecond > 0 { linkFree += Double(count) / Double(link.bytesPerSecond) }
                guard queue.put(Array(buffer[0..<count]), due: linkFree + link.oneWayDelay) else { return }
            }
        }.start()
        defer { queue.close() }
        while true {
            let (bytes, due) = queue.take()
            let wait = due - Self.now()
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            guard waitForLink(), !bytes.isEmpty else { return }
            let (chunk, fault) = toServer ? faults.clientSends(bytes.count) : faults.serverSends(bytes.count)
            if toServer && fault == .serverError {
                // Answered by the proxy; the server never hears of the request.
                let answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                _ = answer.withCString { send(source, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                return
            }
            if !toServer && fault == .stall { usleep(400_000) }
            var offset = 0
            while offset < chunk {
                let written = bytes.withUnsafeBytes {
                    send(target, $0.baseAddress! + offset, chunk - offset, Int32(MSG_NOSIGNAL))
                }
                if written <= 0 { return }
                condition.withLock {
                    if toServer { relayed.toServer += written } else { relayed.toClient += written }
                }
                offset += written
            }
            if chunk < bytes.count { return }
        }
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}

/// The fault of the request a proxied connection carries now. libcurl sends one request at a time on a connection
/// and waits for its answer, so the client speaking after the server answered starts a new request, which draws a
/// new fault.
private final class RequestFaults: @unchecked Sendable {
    private let lock = NSLock()
    private let draw: () -> (fault: FaultProxy.Fault, cut: Int)
    private var current: (fault: FaultProxy.Fault, cut: Int)?
    private var requestBytes = 0
    private var responseBytes = 0
    private var stalled = false

    init(draw: @escaping () -> (fault: FaultProxy.Fault, cut: Int)) { self.draw = draw }

    /// How many of `count` bytes from the client pass on, and the request's fault.
    func clientSends(_ count: Int) -> (pass: Int, fault: FaultProxy.Fault) {
        lock.withLock {
            if current == nil || responseBytes > 0 {
                current = draw()
                (requestBytes, responseBytes, stalled) = (0, 0, false)
            }
            let (fault, cut) = current!
            let pass = fault == .dropRequest ? max(0, min(count, cut - requestBytes)) : count
            requestBytes += pass
            return (pass, fault)
        }
    }

    /// How many of `count` bytes from the server pass on, and `.stall` when this answer's first bytes are held.
    func serverSends(_ count: Int) -> (pass: Int, fault: FaultProxy.Fault) {
        lock.withLock {
            let (fault, cut) = current ?? (.none, 0)
            let pass = fault == .dropResponse ? max(0, min(count, cut - responseBytes)) : count
            responseBytes += pass
            if fault == .stall && !stalled {
                stalled = true
                return (pass, .stall)
            }
            return (pass, fault == .stall ? .none : fault)
        }
    }
}

/// The bytes of one direction of a proxied connection that are on the link: chunks with the time each may leave.
/// Bounded, so that a fast sender waits as it would behind a slow link.
private final class ChunkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [(bytes: [UInt8], due: Double)] = []
    private var held = 0
    private var closed = false
    private static let capacity = 256 * 1024

    /// Adds a chunk (empty: end of stream); false when the writing side has gone.
    func put(_ bytes: [UInt8], due: Double) -> Bool {
        condition.withLock {
            while held >= Self.capacity && !closed { condition.wait() }
            guard !closed else { return false }
            chunks.append((bytes, due))
            held += bytes.count
            condition.broadcast()
            return true
        }
    }

    /// The oldest chunk, waiting for one.
    func take() -> (bytes: [UInt8], due: Double) {
        condition.withLock {
            while chunks.isEmpty { condition.wait() }
            let chunk = chunks.removeFirst()
            held -= chunk.bytes.count
            condition.broadcast()
            return chunk
        }
    }

    /// Marks the writing side gone, releasing a reader that waits for room.
    func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }
}

/// A small seeded random generator (SplitMix64), so that proxy faults repeat from run to run.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
