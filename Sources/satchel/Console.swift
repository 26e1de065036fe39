import ArgumentParser
import Foundation
import SatchelCore

/// Prints user-facing messages in the chosen language and maps errors to sysexits codes.
enum Console {
    /// The language of messages: `SATCHEL_LANG` when set, otherwise Chinese.
    static let language = Language.forCommandLine(environment: ProcessInfo.processInfo.environment)

    /// Prints a line to stdout in the chosen language.
    static func say(_ text: LocalizedText) {
        out(text(language))
    }

    /// Writes a line to stdout at once, unbuffered, so it reaches a log file or a pipe as it is printed.
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Prints a line to stderr in the chosen language.
    static func warn(_ text: LocalizedText) {
        FileHandle.standardError.write(Data((text(language) + "\n").utf8))
    }

    /// Whether stdout is a terminal, which decides between live progress and one line per item.
    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Runs a command body, turning Satchel's errors into a message on stderr and the matching exit code.
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as CleanExit {
            throw error
        } catch {
            warn(message(for: error))
            throw ExitCode(status(for: error).rawValue)
        }
    }

    static func message(for error: any Error) -> LocalizedText {
        if let error = error as? any UserFacingError { return error.message }
        let described = String(describing: error)
        return LocalizedText(zh: "错误：\(described)", en: "Error: \(described)")
    }

    static func status(for error: any Error) -> ExitStatus {
        (error as? any UserFacingError)?.exitStatus ?? .failure
    }

    /// Says plainly that a subcommand is not built yet and exits 69 (EX_UNAVAILABLE).
    static func notBuilt(_ name: String, issue: Int) throws -> Never {
        warn(
            LocalizedText(
                zh: "satchel \(name) 尚未实现（见第 \(issue) 号需求），本次未做任何操作。",
                en: "satchel \(name) is not built yet (see issue \(issue)); nothing was done."
            ))
        throw ExitCode(ExitStatus.unavailable.rawValue)
    }
}
