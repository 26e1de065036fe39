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

    /// Runs a binary of the package (or, given an absolute path, any program) with `arguments` and waits for it.
    public static func run(binary: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary.hasPrefix("/") ? binary : binaryFolder + "/" + binary)
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

extension ProcessRunner {
    /// A finished run with the most memory the process held at once.
    public struct MeasuredResult: Sendable {
        /// The exit status (or 128 + the signal that ended it).
        public var status: Int32
        /// stdout and stderr together.
        public var output: String
        /// Peak resident set size in bytes (`ru_maxrss`, the high-water mark `VmHWM` shows while it runs).
        public var peakResidentBytes: Int
    }

    /// Runs a binary of the package and waits for it on a thread of its own (so that servers in this process keep
    /// answering), measuring its peak resident memory with GNU time (package `time`). The measure cannot be taken
    /// from here: a child started by this process carries this process's high-water mark into its own `ru_maxrss`
    /// across `exec`, while `time` forks it from a small process.
    public static func runMeasured(binary: String, _ arguments: [String]) async throws -> MeasuredResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                let report = FileManager.default.temporaryDirectory.appendingPathComponent("rss-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: report) }
                continuation.resume(
                    with: Swift.Result {
                        let run = try run(
                            binary: "/usr/bin/time",
                            ["-f", "%M", "-o", report.path, binaryFolder + "/" + binary] + arguments)
                        let kib = (try? String(contentsOf: report, encoding: .utf8))?.split(separator: "\n").last
                            .flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                        return MeasuredResult(
                            status: run.status, output: run.stdout + run.stderr, peakResidentBytes: (kib ?? 0) * 1024)
                    })
            }.start()
        }
    }

    /// The peak resident set size (`VmHWM`) of a running process, in bytes.
    public static func peakResidentBytes(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kib * 1024
    }
}
