import NIOCore

/// The limits that keep one misbehaving client from taking the node down for everyone else.
public struct ConnectionLimits: Sendable {
    /// Connections served at once; further ones wait in the accept backlog until one closes.
    public var maxConnections = 512
    /// A client must finish sending a request head within this long. The clock runs whenever no request is in
    /// progress, so an idle keep-alive connection is also closed after this long.
    public var requestHeadTimeout: TimeAmount = .seconds(15)
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
}
