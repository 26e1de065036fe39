import HTTPTypes
import Hummingbird

extension Request {
    /// The client's IP address, as ``ConnectionGuard`` read it from the connection, or
    /// ``LoginThrottle/unknownClient`` for a request that did not come through it (a router used on its own), which
    /// makes every such client one.
    var clientAddress: String {
        headers[Self.peerField] ?? LoginThrottle.unknownClient
    }

    /// Whether ``ConnectionGuard`` is in front of the router: it can then send bodies from files with sendfile.
    var isBehindConnectionGuard: Bool { headers[Self.peerField] != nil }

    private static let peerField = HTTPField.Name(ConnectionGuard.peerField)!
}
