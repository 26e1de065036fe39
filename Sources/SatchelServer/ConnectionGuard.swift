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

    /// The defaults.
    public init() {}
}
