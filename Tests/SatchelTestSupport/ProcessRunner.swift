import Foundation

/// Runs the package's built executables as a technician would, capturing their output and exit status.
public enum ProcessRunner {
    /// The folder holding the built `satchel` and `satchel-platform` binaries.
    public static var binaryFolder: String {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidates = [".build/debug", ".build/release"].map { packageRoot.appendingPathComponent($0).path }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/satchel") } ?? candidates[0]
    }

    /// The finished run.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `satchel` with `arguments` and waits for it.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try run(binary: "satchel", arguments, environment: environment)
    }

    /// Runs a binary of the package with `arguments` and waits for it.
    public static func run(binary: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaryFolder + "/" + binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["SATCHEL_LANG"] = env["SATCHEL_LANG"] ?? "en"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }
}
