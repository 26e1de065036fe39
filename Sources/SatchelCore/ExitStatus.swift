/// A process exit status, following the BSD sysexits convention that technicians' scripts rely on.
public struct ExitStatus: Hashable, Sendable, CustomStringConvertible {
    /// The numeric status handed to `exit(3)`.
    public let rawValue: Int32

    /// Creates a status from its numeric value.
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// Everything worked.
    public static let ok = ExitStatus(0)
    /// Anything that has no more specific status.
    public static let failure = ExitStatus(1)
    /// The command line was wrong (EX_USAGE).
    public static let usage = ExitStatus(64)
    /// Input data (an archive, a manifest, a config file) was wrong (EX_DATAERR).
    public static let dataError = ExitStatus(65)
    /// A file or folder named on the command line does not exist (EX_NOINPUT).
    public static let noInput = ExitStatus(66)
    /// A service, or a feature not built yet, is unavailable (EX_UNAVAILABLE).
    public static let unavailable = ExitStatus(69)
    /// Reading or writing a file failed (EX_IOERR).
    public static let ioError = ExitStatus(74)

    public var description: String { String(rawValue) }
}

/// An error that a person reads: it says what failed and what to do in both languages, and knows which exit status
/// the command-line tool ends with.
public protocol UserFacingError: Error {
    /// What failed and how to fix it.
    var message: LocalizedText { get }
    /// The status the process exits with when this error ends a command.
    var exitStatus: ExitStatus { get }
}
