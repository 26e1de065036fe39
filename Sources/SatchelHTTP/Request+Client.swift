import HTTPTypes
import Hummingbird

extension Request {
    /// What ``clientAddress`` says of a request that did not come through ``ConnectionGuard``.
    public static let unknownClient = "unknown"

    /// The client's IP address, as ``ConnectionGuard`` read it from the connection, or ``unknownClient`` for a request
    /// that did not come through it (a router used on its own), which makes every such client one.
    public var clientAddress: String {
        headers[Self.peerField] ?? Self.unknownClient
    }

    /// Whether ``ConnectionGuard`` is in front of the router: it can then send bodies from files with sendfile.
    public var isBehindConnectionGuard: Bool { headers[Self.peerField] != nil }

    private static let peerField = HTTPField.Name(ConnectionGuard.peerField)!
}
