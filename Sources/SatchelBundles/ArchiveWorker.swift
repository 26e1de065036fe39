import Foundation
import SatchelCore
import SatchelStore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads, checks and stages one archive in a child process, so that a hang or a memory blow-up of the C library
/// (libarchive) cannot take the server, or the import lock it holds, with it.
///
/// The child is the `satchel` binary itself, run as `satchel import-worker REQUEST` (a hidden subcommand). It limits
/// its own address space (`RLIMIT_AS`) and CPU time (`RLIMIT_CPU`) before it opens the archive, runs an
/// ``ImportSession`` into the importer's staging folder, and writes one JSON line per message to its standard
/// output: progress while it reads, then a result or an error. The parent kills it when it goes
/// ``BundleImporter/Options/workerStallSeconds`` without a message, and turns any death without a result into a
/// ``BundleError`` with code `corruptArchive` (exit 65) that names the limits.
struct ArchiveWorker {
    /// What the child is asked to do; passed as its one argument, as JSON.
    struct Request: Codable {
        var archivePath: String
        var stagingRoot: String
        var dataRoot: String
        /// The trusted publisher keys, as base64.
        var trustedKeys: [String]
        /// The trusted release keys, as base64.
        var releaseKeys: [String]
        var options: BundleImporter.Options
    }

    /// One line the child writes.
    enum Message: Codable {
        case progress(BundleImporter.Progress)
        case result(Outcome)
        case failure(code: String, zh: String, en: String)
    }

    /// A session's result without the parsed manifest, which the parent parses again from the signed bytes.
    struct Outcome: Codable {
        var manifestData: Data
        var signature: Data
        var staged: [String: Int64]
        var filesReused: Int
        var alreadyInstalled: Bool
    }

    /// The hidden subcommand of `satchel` that runs the child.
    static let subcommand = "import-worker"

    let request: Request

    /// Runs the child and waits for its result, calling `progress` with what it reports.
    ///
    /// - Throws: the child's ``BundleError``, or one with code `corruptArchive` when it died, ran out of memory or
    ///   stalled; `io` when it could not be started.
    func run(progress: (@Sendable (BundleImporter.Progress) -> Void)?) throws -> ImportSession.Result {
        let process = Process()
        let executable = try Self.executable()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [Self.subcommand, String(decoding: try JSONEncoder().encode(request), as: UTF8.self)]
        var environment = ProcessInfo.processInfo.environment
        // One malloc arena keeps the address space close to what is used, so RLIMIT_AS measures memory.
        environment["MALLOC_ARENA_MAX"] = "1"
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        let output = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw BundleError(
                code: .io,
                message: LocalizedText(
                    zh: "无法启动归档读取进程 \(executable)：\(error)。请重新安装 Satchel。",
                    en: "Cannot start the archive reader \(executable): \(error). Reinstall Satchel."),
                cause: error)
        }
        try? output.fileHandleForWriting.close()
        let (message, stalled) = readMessages(from: output.fileHandleForReading.fileDescriptor, of: process, progress)
        process.waitUntilExit()
        switch message {
        case .result(let result)?:
            return try checked(result)
        case .failure(let code, let zh, let en)?:
            if code == BundleError.Code.corruptArchive.description, Self.isOutOfMemory(en) {
                throw limitsExceeded(LocalizedText(zh: "读取进程内存用尽", en: "the reader ran out of memory"))
            }
            throw BundleError(
                code: BundleError.Code.named(code) ?? .corruptArchive, message: LocalizedText(zh: zh, en: en))
        case .progress?, nil:
            let seconds = request.options.workerStallSeconds
            throw limitsExceeded(Self.ending(of: process, stalled: stalled, seconds: seconds))
        }
    }

    /// Reads the child's lines until its result, its end, or a stall; returns the last message that was not progress.
    private func readMessages(
        from descriptor: Int32, of process: Process, _ progress: (@Sendable (BundleImporter.Progress) -> Void)?
    ) -> (Message?, stalled: Bool) {
        var pending = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var last: Message?
        let timeout = Int32(clamping: request.options.workerStallSeconds * 1000)
        while true {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, timeout)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                kill(process.processIdentifier, SIGKILL)
                return (last, true)
            }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return (last, false) }
            // The result is one line of a megabyte or more: look for line ends only in the bytes just read.
            let endsALine = chunk.withUnsafeBytes { memchr($0.baseAddress!, Int32(UInt8(ascii: "\n")), count) != nil }
            pending.append(contentsOf: chunk[0..<count])
            guard endsALine else { continue }
            let lines = pending.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            for line in lines.dropLast() {
                switch try? JSONDecoder().decode(Message.self, from: line) {
                case .progress(let report)?: progress?(report)
                case let message?: last = message
                case nil: break
                }
            }
            pending = Data(lines.last ?? Data())
        }
    }

    /// The child's result, checked again in this process: the signature (of a bundle to install), the manifest, and
    /// every staged blob against the manifest.
    private func checked(_ result: Outcome) throws -> ImportSession.Result {
        let manifest: Manifest
        if result.alreadyInstalled {
            manifest = try Manifest.decode(result.manifestData)
        } else {
            let keys = try request.trustedKeys.map { try PublisherKey(base64: $0) }
            let releaseKeys = try request.releaseKeys.map { try PublisherKey(base64: $0) }
            manifest = try ManifestVerifier(trustedKeys: keys, releaseKeys: releaseKeys).verify(
                manifestData: result.manifestData, signatureText: result.signature, source: request.archivePath)
        }
        let sizes = Dictionary(manifest.files.map { ($0.sha256, $0.size) }, uniquingKeysWith: { first, _ in first })
        for (sha, size) in result.staged where sizes[sha] != size || sha.contains("/") {
            throw BundleError(
                code: .corruptArchive,
                message: LocalizedText(
                    zh: "已拒绝 \(request.archivePath)：归档读取进程报告了清单中没有的文件。未做任何更改。",
                    en:
                        "Rejected \(request.archivePath): the archive reader reported a file the manifest does not list. Nothing was changed."
                ))
        }
        return ImportSession.Result(
            manifest: manifest, manifestData: result.manifestData, signature: result.signature, staged: result.staged,
            filesReused: result.filesReused, alreadyInstalled: result.alreadyInstalled)
    }

    /// Whether libarchive's message says an allocation failed, which under the worker's `RLIMIT_AS` means the
    /// archive needed more memory than the limit.
    private static func isOutOfMemory(_ message: String) -> Bool {
        ["allocate", "out of memory", "Out of memory"].contains { message.contains($0) }
    }

    /// How a worker that gave no result ended.
    private static func ending(of process: Process, stalled: Bool, seconds: Int) -> LocalizedText {
        if stalled {
            return LocalizedText(
                zh: "读取进程 \(seconds) 秒没有进展，已被终止", en: "the reader made no progress for \(seconds) s and was stopped")
        }
        if process.terminationReason == .uncaughtSignal {
            return LocalizedText(
                zh: "读取进程因信号 \(process.terminationStatus) 退出（多半是内存用尽）",
                en: "the reader ended on signal \(process.terminationStatus) (most likely out of memory)")
        }
        return LocalizedText(
            zh: "读取进程以状态 \(process.terminationStatus) 退出",
            en: "the reader exited with status \(process.terminationStatus)")
    }

    private func limitsExceeded(_ how: LocalizedText) -> BundleError {
        let seconds = request.options.workerStallSeconds
        let mebibytes = request.options.workerMemoryBytes / (1024 * 1024)
        return BundleError(
            code: .corruptArchive,
            message: LocalizedText(
                zh:
                    "已拒绝 \(request.archivePath)：无法在 \(seconds) 秒 / \(mebibytes) MiB 的限制内读取该归档（\(how.zh)）。它可能已损坏，或是有意制作来拖垮节点的文件。未做任何更改。",
                en:
                    "Rejected \(request.archivePath): the archive could not be read within \(seconds) s / \(mebibytes) MiB (\(how.en)). It may be damaged or made to harm the node. Nothing was changed."
            ))
    }

    /// The `satchel` binary: this process when it is `satchel`, else the `satchel` beside it (tests, the platform's
    /// binary), else the first on `PATH`.
    static func executable() throws -> String {
        let own =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var candidates = [own, (own as NSString).deletingLastPathComponent + "/satchel"]
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append(folder + "/satchel")
        }
        guard
            let found = candidates.first(where: {
                ($0 as NSString).lastPathComponent == "satchel" && FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            throw BundleError(
                code: .io,
                message: LocalizedText(
                    zh: "找不到用于读取归档的 satchel 程序（应在 \(own) 旁边或 PATH 中）。请重新安装 Satchel。",
                    en:
                        "Cannot find the satchel program that reads archives (beside \(own) or on PATH). Reinstall Satchel."
                ))
        }
        return found
    }

    // MARK: The child

    /// The child's whole life: limits itself, imports into staging, reports. Returns the exit status.
    static func serve(requestText: String) -> Int32 {
        guard let request = try? JSONDecoder().decode(Request.self, from: Data(requestText.utf8)) else { return 64 }
        let archiveMebibytes =
            ((try? FileManager.default.attributesOfItem(atPath: request.archivePath)[.size] as? Int64)
                ?? 0) / (1024 * 1024)
        limit(RLIMIT_AS, to: UInt64(max(request.options.workerMemoryBytes, 64 * 1024 * 1024)))
        // A backstop for a reader whose parent is gone: generous enough for any archive that reads at 1 MiB/s.
        limit(RLIMIT_CPU, to: UInt64(600 + 2 * max(archiveMebibytes, 0)))
        let output = FileHandle.standardOutput
        let send: @Sendable (Message) -> Void = { message in
            guard var line = try? JSONEncoder().encode(message) else { return }
            line.append(UInt8(ascii: "\n"))
            output.write(line)
        }
        do {
            let directory = DataDirectory(root: request.dataRoot)
            let database = try SatchelDatabase(path: directory.databasePath)
            let session = ImportSession(
                archivePath: request.archivePath, stagingRoot: request.stagingRoot,
                blobStore: BlobStore(directory: directory), database: database,
                trustedKeys: try request.trustedKeys.map { try PublisherKey(base64: $0) },
                releaseKeys: try request.releaseKeys.map { try PublisherKey(base64: $0) }, options: request.options,
                progress: { send(.progress($0)) })
            let result = try session.run()
            send(
                .result(
                    Outcome(
                        manifestData: result.manifestData, signature: result.signature, staged: result.staged,
                        filesReused: result.filesReused, alreadyInstalled: result.alreadyInstalled)))
        } catch let error as any UserFacingError {
            let code = (error as? BundleError)?.code.description ?? BundleError.Code.io.description
            send(.failure(code: code, zh: error.message.zh, en: error.message.en))
        } catch {
            send(.failure(code: BundleError.Code.io.description, zh: "\(error)", en: "\(error)"))
        }
        return 0
    }

    private static func limit(_ resource: __rlimit_resource, to value: UInt64) {
        var limits = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
        setrlimit(__rlimit_resource_t(resource.rawValue), &limits)
    }
}

/// The entry point of `satchel import-worker`: see ``ArchiveWorker``.
public enum ArchiveWorkerCommand {
    /// Runs the archive worker for the request given as the subcommand's argument and returns its exit status.
    public static func run(requestText: String) -> Int32 {
        ArchiveWorker.serve(requestText: requestText)
    }
}
