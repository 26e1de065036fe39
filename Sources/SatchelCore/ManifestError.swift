/// Why a manifest was refused. The message names the field and what is expected.
public struct ManifestError: UserFacingError, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case malformed, unsupportedFormat, invalidField, inconsistent }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// Not JSON, or JSON of the wrong shape.
        public static let malformed = Code(.malformed)
        /// A format version this binary does not know.
        public static let unsupportedFormat = Code(.unsupportedFormat)
        /// A field with an impossible value (an id with a slash, a negative size, a huge string).
        public static let invalidField = Code(.invalidField)
        /// Fields that disagree (a resource whose entry file is not listed, a path listed twice).
        public static let inconsistent = Code(.inconsistent)

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

    public var exitStatus: ExitStatus { .dataError }
    public var description: String { message.en }
}
