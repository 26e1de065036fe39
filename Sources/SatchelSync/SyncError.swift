import SatchelCore

/// Why a sync step failed: the identity, the platform's answer, or the protocol.
public struct SyncError: UserFacingError, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case identity, notEnrolled, refused, badResponse, badFile, badToken, forgedEnrolment
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The node's key is missing, damaged, or would be replaced without --force.
        public static let identity = Code(.identity)
        /// The node has no enrolment with a platform.
        public static let notEnrolled = Code(.notEnrolled)
        /// The platform refused a request (a used token, a bad signature).
        public static let refused = Code(.refused)
        /// The platform's answer could not be understood.
        public static let badResponse = Code(.badResponse)
        /// A sync file (USB export) is damaged or not for this node.
        public static let badFile = Code(.badFile)
        /// An enrolment token is not of the form `<secret>.<fingerprint>`.
        public static let badToken = Code(.badToken)
        /// The enrolment answer is not signed by the platform key the token names: nothing in it was used.
        public static let forgedEnrolment = Code(.forgedEnrolment)

        public var description: String { value.rawValue }
    }

    public let code: Code
    public let message: LocalizedText

    public init(code: Code, message: LocalizedText) {
        self.code = code
        self.message = message
    }

    public var exitStatus: ExitStatus {
        switch code {
        case .identity, .badFile, .badResponse, .badToken, .forgedEnrolment: .dataError
        case .notEnrolled, .refused: .unavailable
        default: .failure
        }
    }
    public var description: String { message.en }
}
