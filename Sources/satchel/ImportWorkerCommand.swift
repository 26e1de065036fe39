import ArgumentParser
import Foundation
import SatchelBundles

/// `satchel import-worker REQUEST` (hidden): reads one archive for an import running in another process; see
/// `ArchiveWorker` in SatchelBundles. Not for people to run.
struct ImportWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-worker", abstract: "Reads one archive for an import (internal).",
        shouldDisplay: false)

    @Argument(help: "The request, as JSON.") var request: String

    func run() throws {
        throw ExitCode(ArchiveWorkerCommand.run(requestText: request))
    }
}
