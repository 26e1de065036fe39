import Hummingbird
import NIOCore

/// The node's request context: Hummingbird's basic context plus the client's address, which the account routes use
/// to keep wrong-password delays and registration limits per client (see ``LoginThrottle``).
public struct NodeRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The address of the connection's peer.
    public let remoteAddress: SocketAddress?

    /// A context for a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

extension RequestContext {
    /// The client's IP address when the context knows it (``NodeRequestContext`` does), else
    /// ``LoginThrottle/unknownClient``, which makes every client one.
    var clientAddress: String {
        (self as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress ?? LoginThrottle.unknownClient
    }
}
