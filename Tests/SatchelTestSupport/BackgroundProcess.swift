import Foundation

/// A package binary running in the background (a server), whose output can be awaited line by line.
public final class BackgroundProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var output = ""

    /// Starts `binary` from the package's build folder (or, given an absolute path, any program) with `arguments`.
    public init(binary: String = "satchel", _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(
            fileURLWithPath: binary.hasPrefix("/") ? binary : ProcessRunner.binaryFolder + "/" + binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["SATCHEL_LANG"] = env["SATCHEL_LANG"] ?? "en"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.output += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    /// Everything printed so far, stdout and stderr together.
    public var printed: String { lock.withLock { output } }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// Waits until the output matches `pattern` (a regular expression) and returns the first capture group, or the
    /// whole match when there is none. Fails after `timeout` seconds.
    public func waitFor(_ pattern: String, timeout: Double = 60) async throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = printed
            if let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) {
                let range = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
                return String(text[Range(range, in: text)!])
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessTimeout(pattern: pattern, output: printed)
    }

    /// Sends `signal` and waits for the process to end, returning its exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 30) async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends `signal` and waits, blocking the thread, for the process to end; returns its exit status.
    @discardableResult
    public func terminate(signal: Int32) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits up to `timeout` seconds for the process to end by itself and returns its exit status; nil when it still
    /// runs then (it is left running).
    public func waitForExit(timeout: Double) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        guard !process.isRunning else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits for the process to end by itself.
    public func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Whether the process still runs.
    public var isRunning: Bool { process.isRunning }
}

/// The output never showed what a test waited for.
public struct ProcessTimeout: Error, CustomStringConvertible {
    public var pattern: String
    public var output: String
    public var description: String { "timed out waiting for /\(pattern)/; output so far:\n\(output)" }
}
