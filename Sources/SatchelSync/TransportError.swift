import SatchelCore

/// Why an HTTP transfer failed, saying which layer failed: DNS, TLS, the connection, or the far end.
public struct TransportError: UserFacingError, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case dns, tls, connection, timeout, farEnd, http, local, tooLarge }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The host name could not be resolved.
        public static let dns = Code(.dns)
        /// The TLS handshake or certificate check failed.
        public static let tls = Code(.tls)
        /// The connection could not be made or broke.
        public static let connection = Code(.connection)
        /// The transfer was too slow or stalled.
        public static let timeout = Code(.timeout)
        /// The connection was made, then the far end broke it before a whole answer came (a reset, an empty reply,
        /// an answer cut short): the network is up, the server (or a proxy in front of it) failed.
        public static let farEnd = Code(.farEnd)
        /// The server answered with an error status.
        public static let http = Code(.http)
        /// A local problem (bad URL, a file that could not be written).
        public static let local = Code(.local)
        /// The far end sent more than the call allows (an answer over its cap, a file over its signed size); the
        /// transfer was stopped.
        public static let tooLarge = Code(.tooLarge)

        public var description: String { value.rawValue }
    }

    /// What kind of problem this is.
    public let code: Code
    /// What failed and how to fix it.
    public let message: LocalizedText

    /// Creates an error.
    public init(code: Code, message: LocalizedText) {
        self.code = code
        self.message = message
    }

    /// Whether the network failed rather than the far end: the host was not found, the connection was refused or
    /// timed out, or the transfer stalled. A link that comes back cures these; retrying a platform that answered
    /// with an error soon only adds to its load.
    public var isNetworkFailure: Bool { code == .dns || code == .connection || code == .timeout }

    /// Which side failed, when the error tells: the network, or the platform (it broke the connection or answered
    /// 5xx). Nil for a problem of this node (a bad URL, TLS, a full disk) or a source that sent too much.
    public var failingSide: FailingSide? {
        if isNetworkFailure { return .network }
        if code == .farEnd || code == .http { return .platform }
        return nil
    }

    public var exitStatus: ExitStatus {
        switch code {
        case .local: .ioError
        case .tooLarge: .dataError
        default: .unavailable
        }
    }
    public var description: String { message.en }
}
