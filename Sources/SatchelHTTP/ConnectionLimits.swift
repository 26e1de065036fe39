import Foundation
import NIOCore
import SatchelCore

/// The limits that keep one misbehaving client from taking the node down for everyone else.
///
/// The defaults are for a school: a whole class may reach the node through one Wi-Fi router that puts every phone
/// behind one address, so one address may hold half the connections, and a slow or silent client loses its place
/// within seconds instead of holding it for ever.
public struct ConnectionLimits: Sendable {
    /// Connections served at once; further ones wait in the accept backlog until one closes.
    public var maxConnections = 512
    /// Connections one client address may hold at once; a further one from it is closed as soon as it is accepted
    /// (nginx's `limit_conn`). Half of ``maxConnections`` by default, so a class behind one router is served while
    /// one device can never take every place.
    public var maxConnectionsPerAddress = 256
    /// A connection on which nothing arrives for this long is closed: a request head that does not end, a body that
    /// stops, an idle keep-alive connection (Hummingbird's idle timeout). A response being sent is not cut off.
    public var idleTimeout: TimeAmount = .seconds(15)
    /// While the node reads a request body, each ``bodyRateWindow`` must bring at least ``minimumBodyRate`` bytes a
    /// second on average, or the connection is closed: a client cannot hold a place by trickling a body.
    public var minimumBodyRate = 512
    /// The window over which ``minimumBodyRate`` is judged.
    public var bodyRateWindow: TimeAmount = .seconds(10)
    /// The largest request head accepted; a larger one gets 400 and the connection is closed.
    public var maxHeaderBytes = 16 * 1024
    /// The most header fields in one request.
    public var maxHeaderFields = 100
    /// A client must take what is sent to it: data left unacknowledged, or a receive window kept shut, for this long
    /// closes the connection (the kernel's `TCP_USER_TIMEOUT`), so a client that stops reading, or vanishes from the
    /// network, does not keep its place among ``maxConnections`` for ever. nginx's `send_timeout` is also 60 s.
    public var sendTimeout: TimeAmount = .seconds(60)

    /// The defaults.
    public init() {}

    /// The defaults, with the limits a technician may set in the configuration.
    public init(_ configuration: Configuration) {
        maxConnections = configuration.maxConnections
        maxConnectionsPerAddress = configuration.maxConnectionsPerAddress
        idleTimeout = .seconds(Int64(configuration.idleTimeoutSeconds))
        minimumBodyRate = configuration.minimumBodyBytesPerSecond
    }
}

/// Counts the open connections of each client address, so that one address holds at most its share.
public final class ConnectionsByAddress: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    private let limit: Int

    /// A count that lets each address hold at most `limit` connections.
    public init(limit: Int) {
        self.limit = limit
    }

    /// Counts a new connection from `address`; false, counting nothing, when the address already holds its share.
    func admit(_ address: String) -> Bool {
        lock.withLock {
            let count = counts[address, default: 0]
            guard count < limit else { return false }
            counts[address] = count + 1
            return true
        }
    }

    /// A connection from `address` has closed.
    func release(_ address: String) {
        lock.withLock {
            let count = counts[address, default: 1] - 1
            counts[address] = count > 0 ? count : nil
        }
    }
}
