import SatchelCore

/// Why a bundle could not be packed, imported, verified or removed. The message names the archive, the entry and the
/// reason.
public struct BundleError: UserFacingError, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case unsafeEntry, unexpectedEntry, missingEntry, duplicateEntry, mismatch, corruptArchive, tooLarge
            case badSignature, untrustedKey, badManifest, downgrade, versionConflict, noSpace, io, badKey, badInput
            case notInstalled, busy
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A path trick, a link, a device, a fifo or a socket.
        public static let unsafeEntry = Code(.unsafeEntry)
        /// An entry the manifest does not list.
        public static let unexpectedEntry = Code(.unexpectedEntry)
        /// A file the manifest lists but the archive lacks, or no manifest at all.
        public static let missingEntry = Code(.missingEntry)
        /// The same path twice.
        public static let duplicateEntry = Code(.duplicateEntry)
        /// A size or SHA-256 that differs from the manifest.
        public static let mismatch = Code(.mismatch)
        /// A truncated or damaged archive, or one in a format Satchel does not read.
        public static let corruptArchive = Code(.corruptArchive)
        /// More data than the limits allow: a compression bomb or an oversized bundle.
        public static let tooLarge = Code(.tooLarge)
        /// A missing or malformed signature, or one that does not match.
        public static let badSignature = Code(.badSignature)
        /// A signature by a publisher key this node does not trust.
        public static let untrustedKey = Code(.untrustedKey)
        /// A manifest that is malformed or breaks the format's rules.
        public static let badManifest = Code(.badManifest)
        /// An older version than the installed one, without `--allow-downgrade`.
        public static let downgrade = Code(.downgrade)
        /// The same version as the installed one but different content.
        public static let versionConflict = Code(.versionConflict)
        /// Not enough free disk space or store quota.
        public static let noSpace = Code(.noSpace)
        /// Reading or writing a file failed.
        public static let io = Code(.io)
        /// A key file that is missing or malformed.
        public static let badKey = Code(.badKey)
        /// A folder or option given to the packer that cannot be packed.
        public static let badInput = Code(.badInput)
        /// A bundle that is not installed.
        public static let notInstalled = Code(.notInstalled)
        /// Another import holds the data directory.
        public static let busy = Code(.busy)

        public var description: String { value.rawValue }

        /// The code whose ``description`` is `name`, for errors that cross a process boundary.
        static func named(_ name: String) -> Code? { Value(rawValue: name).map(Code.init) }
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
        case .io: .ioError
        case .noSpace: .ioError
        case .busy: .unavailable
        default: .dataError
        }
    }
    public var description: String { message.en }
}
