import SatchelCore

/// Why the database could not be opened or used.
public struct StoreError: UserFacingError, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case cannotOpen, newerSchema, notFound, conflict }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The file could not be opened or migrated (permissions, corruption, a full disk).
        public static let cannotOpen = Code(.cannotOpen)
        /// The database was written by a newer Satchel; this binary leaves it untouched.
        public static let newerSchema = Code(.newerSchema)
        /// A record that the caller named does not exist.
        public static let notFound = Code(.notFound)
        /// A write conflicts with what is stored.
        public static let conflict = Code(.conflict)

        public var description: String { value.rawValue }
    }

    /// What kind of problem this is.
    public let code: Code
    /// What failed and how to fix it.
    public let message: LocalizedText
    /// The error underneath, if any.
    public let cause: (any Error)?

    /// Creates an error.
    public init(code: Code, message: LocalizedText, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var exitStatus: ExitStatus {
        switch code {
        case .newerSchema: .dataError
        case .notFound, .conflict: .dataError
        default: .ioError
        }
    }
    public var description: String { message.en }
}
