import Foundation
import SatchelCore

/// Why the platform's storage could not be used: a bad database URL, a database that cannot be reached, or one that
/// refused an operation.
public struct PlatformError: UserFacingError, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case badDatabaseURL, databaseUnavailable, databaseFailed, keyUnwritable, badRequest, notFound
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The `--database` URL is not a PostgreSQL URL this platform accepts.
        public static let badDatabaseURL = Code(.badDatabaseURL)
        /// The database could not be reached or refused the login.
        public static let databaseUnavailable = Code(.databaseUnavailable)
        /// The database answered an operation with an error.
        public static let databaseFailed = Code(.databaseFailed)
        /// The platform's key could not be written into its data folder.
        public static let keyUnwritable = Code(.keyUnwritable)
        /// A value given to a command or form is not acceptable (an operator's name, role or region).
        public static let badRequest = Code(.badRequest)
        /// The operator or other thing named does not exist.
        public static let notFound = Code(.notFound)

        public var description: String { value.rawValue }
    }

    /// What kind of problem this is.
    public let code: Code
    /// What failed and how to fix it.
    public let message: LocalizedText

    /// An error of `code` saying `message`.
    public init(code: Code, message: LocalizedText) {
        self.code = code
        self.message = message
    }

    /// The platform's key could not be made at `path`.
    static func keyUnwritable(_ path: String) -> PlatformError {
        PlatformError(
            code: .keyUnwritable,
            message: LocalizedText(
                zh: "无法在 \(path) 写入平台密钥：\(String(cString: strerror(errno)))。请检查数据目录是否可写。",
                en: "Cannot write the platform key \(path): \(String(cString: strerror(errno))). "
                    + "Check that the data folder is writable."))
    }

    /// A bad URL is a usage error; an unreachable database is unavailable; anything else a failure.
    public var exitStatus: ExitStatus {
        switch code {
        case .badDatabaseURL: .usage
        case .databaseUnavailable: .unavailable
        case .keyUnwritable: .ioError
        case .badRequest: .usage
        case .notFound: .noInput
        default: .failure
        }
    }

    public var description: String { message.en }
}
