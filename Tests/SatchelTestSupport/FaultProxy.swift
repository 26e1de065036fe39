import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on loopback that misbehaves like a rural link: it drops connections after a random number of bytes,
/// stalls, answers 503 without asking the server, and truncates answers. Each connection draws its fault from a seeded
/// generator, so a failing run can be repeated. Named as what it is: a fake of the network, the one boundary the
/// tests do not own.
public final class FaultProxy: @unchecked Sendable {
    /// What a connection suffers.
    public enum Fault: CaseIterable, Sendable {
        case none, dropRequest, dropResponse, stall, serverError
    }

    /// The port clients connect to.
    public private(set) var port: Int = 0
    private let upstreamPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var random: SplitMix
    private let faultRate: Double
    private var stopped = false
    /// How many connections suffered each fault.
    public private(set) var counts: [Fault: Int] = [:]

    /// Starts a proxy to `127.0.0.1:upstreamPort`; `faultRate` of the connections get a fault.
    public init(upstreamPort: Int, faultRate: Double = 0.3, seed: UInt64 = 42) throws {
        self.upstreamPort = upstreamPort
        self.faultRate = faultRate
        random = SplitMix(seed: seed)
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 128) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// The proxy's base URL.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Stops accepting connections.
    public func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                continue
            }
            let (fault, cut) = lock.withLock { () -> (Fault, Int) in
                let fault: Fault =
                    random.nextDouble() < faultRate
                    ? [Fault.dropRequest, .dropResponse, .stall, .serverError][Int(random.next() % 4)] : .none
                counts[fault, default: 0] += 1
                return (fault, Int(random.next() % 4000) + 1)
            }
            Thread { [self] in handle(client, fault: fault, cut: cut) }.start()
        }
    }

    private func handle(_ client: Int32, fault: Fault, cut: Int) {
        defer { close(client) }
        if fault == .serverError {
            var buffer = [UInt8](repeating: 0, count: 65536)
            _ = recv(client, &buffer, buffer.count, 0)
            let answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            _ = answer.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            return
        }
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
        Thread {
            Self.pump(from: client, to: upstream, limit: fault == .dropRequest ? cut : nil, stall: false)
            shutdown(upstream, Int32(SHUT_WR))
            group.leave()
        }.start()
        Self.pump(from: upstream, to: client, limit: fault == .dropResponse ? cut : nil, stall: fault == .stall)
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(upstream, Int32(SHUT_RDWR))
        group.wait()
    }

    /// Copies bytes until end of stream, or drops the connection after `limit` bytes.
    private static func pump(from source: Int32, to target: Int32, limit: Int?, stall: Bool) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        var sent = 0
        var stalled = false
        while true {
            let count = recv(source, &buffer, buffer.count, 0)
            if count <= 0 { return }
            if stall && !stalled {
                stalled = true
                usleep(400_000)
            }
            var chunk = count
            if let limit, sent + chunk > limit { chunk = max(0, limit - sent) }
            if chunk > 0 {
                let written = buffer.withUnsafeBytes { send(target, $0.baseAddress, chunk, Int32(MSG_NOSIGNAL)) }
                if written <= 0 { return }
                sent += chunk
            }
            if let limit, sent >= limit { return }
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
