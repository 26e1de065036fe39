/// Why a configuration could not be loaded. Start-up stops on any of these; the message names the key, the file and
/// what is expected.
public struct ConfigError: UserFacingError, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case fileMissing, fileUnreadable, fileUnwritable, malformed, unknownKey, wrongType, invalidValue,
                dataDirectoryMissing
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A config file named with `--config` does not exist.
        public static let fileMissing = Code(.fileMissing)
        /// The config file cannot be written by this user (a change that only root may make).
        public static let fileUnwritable = Code(.fileUnwritable)
        /// A config file exists but could not be read.
        public static let fileUnreadable = Code(.fileUnreadable)
        /// A config file is not a JSON object.
        public static let malformed = Code(.malformed)
        /// A key that Satchel does not know.
        public static let unknownKey = Code(.unknownKey)
        /// A key whose value has the wrong JSON type.
        public static let wrongType = Code(.wrongType)
        /// A key whose value has the right type but is impossible (a port of 70000, say).
        public static let invalidValue = Code(.invalidValue)
        /// A data directory named with `--data` does not exist (a mistyped path would otherwise make an empty node).
        public static let dataDirectoryMissing = Code(.dataDirectoryMissing)

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
        case .fileMissing, .fileUnreadable, .fileUnwritable: .ioError
        case .dataDirectoryMissing: .noInput
        default: .dataError
        }
    }
    public var description: String { message.en }
}
