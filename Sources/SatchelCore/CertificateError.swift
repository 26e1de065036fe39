/// Why a certificate's verification code could not be made or is not valid.
public struct CertificateError: UserFacingError, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case unencodable, malformed, unsupportedVersion, unknownNode, badSignature, wrongSchool
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A field of the statement cannot be put in a code (too long, a control character): the node prints no code.
        public static let unencodable = Code(.unencodable)
        /// The text is not a code: a character outside the alphabet, too long or short, or damaged fields.
        public static let malformed = Code(.malformed)
        /// The code is of a format version this software does not read.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// The code names a node the platform has not enrolled.
        public static let unknownNode = Code(.unknownNode)
        /// The signature does not match the statement: the code was changed or mistyped, or signed by another key.
        public static let badSignature = Code(.badSignature)
        /// The signature is the node's, but the node is enrolled for another school than the code names.
        public static let wrongSchool = Code(.wrongSchool)

        /// The code's name, as logs show it.
        public var description: String { value.rawValue }
    }

    /// What kind of problem this is.
    public let code: Code
    /// What failed and what to do.
    public let message: LocalizedText

    /// Creates an error.
    public init(code: Code, message: LocalizedText) {
        self.code = code
        self.message = message
    }

    /// A ``Code/malformed`` error saying why, in English words that follow "The text is not a valid code: ".
    static func malformed(_ reason: String) -> CertificateError {
        CertificateError(
            code: .malformed,
            message: LocalizedText(
                zh: "这不是有效的验证码（\(reason)）。请对照证书重新输入。",
                en: "The text is not a valid code: \(reason). Check it against the certificate."))
    }

    /// 65 (bad input data) for a code that is not valid; 1 when the node cannot make one.
    public var exitStatus: ExitStatus { code == .unencodable ? .failure : .dataError }
    /// The English message, for logs and developers.
    public var description: String { message.en }
}
