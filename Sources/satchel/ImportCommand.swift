import ArgumentParser
import Foundation
import SatchelBundles
import SatchelCore

/// `satchel import`: installs bundle files, or every bundle in folders such as a USB stick's mount point.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "导入资源包（文件或 U 盘目录）· Import bundles from files or folders (a USB stick)"
    )

    @OptionGroup var options: NodeOptions

    @Flag(name: .long, help: "允许安装比已安装版本更旧的版本 · Accept a version older than the installed one")
    var allowDowngrade = false

    @Argument(help: "资源包文件或包含它们的目录 · Bundle files, or folders that contain them")
    var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("Give at least one bundle file or folder to import.") }
    }

    func run() async throws {
        try await Console.run {
            let (_, node, logger) = try options.openNode()
            let importer = try node.importer(allowDowngrade: allowDowngrade, logger: logger)
            let archives = BundleImporter.findArchives(in: paths)
            guard !archives.isEmpty else {
                throw BundleError(
                    code: .missingEntry,
                    message: LocalizedText(
                        zh: "在 \(paths.joined(separator: " ")) 中没有找到资源包文件（.tar.zst、.tar.gz、.zip 等）。",
                        en: "No bundle files (.tar.zst, .tar.gz, .zip, ...) found in \(paths.joined(separator: " "))."
                    )
                )
            }
            var failures: [any Error] = []
            for archive in archives {
                do {
                    let line: ProgressLine? = Console.isTerminal ? ProgressLine(archive: archive) : nil
                    var callback: (@Sendable (BundleImporter.Progress) -> Void)?
                    if let line { callback = { line.update($0) } }
                    let report = try importer.importBundle(at: archive, progress: callback)
                    line?.finish()
                    Console.say(Self.summary(report))
                } catch {
                    Console.warn(Console.message(for: error))
                    failures.append(error)
                }
            }
            if let first = failures.first {
                throw ExitCode(Console.status(for: first).rawValue)
            }
        }
    }

    static func summary(_ report: BundleImporter.Report) -> LocalizedText {
        let id = "\(report.manifest.id) v\(report.manifest.version)"
        switch report.outcome {
        case .alreadyInstalled:
            return LocalizedText(
                zh: "\(id)：已安装相同版本，未做更改（\(report.archive)）",
                en: "\(id): the same version is already installed; nothing changed (\(report.archive))"
            )
        case .installed(let previous):
            let rate = report.seconds > 0 ? Double(report.bytesAdded) / report.seconds : 0
            let previousZh = previous.map { "，替换 v\($0)" } ?? ""
            let previousEn = previous.map { ", replacing v\($0)" } ?? ""
            return LocalizedText(
                zh:
                    "\(id)：已导入 \(report.manifest.files.count) 个文件\(previousZh)；新写入 \(ByteCount.human(report.bytesAdded))，复用 \(report.filesReused) 个文件；用时 \(String(format: "%.1f", report.seconds)) 秒（\(ByteCount.human(Int64(rate)))/秒）",
                en:
                    "\(id): imported \(report.manifest.files.count) files\(previousEn); wrote \(ByteCount.human(report.bytesAdded)), reused \(report.filesReused) files; \(String(format: "%.1f", report.seconds)) s (\(ByteCount.human(Int64(rate)))/s)"
            )
        }
    }
}

/// A single terminal line that shows an import's progress: files, bytes, rate and time left.
final class ProgressLine: @unchecked Sendable {
    private let archive: String
    private let started = Date()
    private let lock = NSLock()

    init(archive: String) {
        self.archive = (archive as NSString).lastPathComponent
    }

    func update(_ progress: BundleImporter.Progress) {
        lock.withLock {
            let elapsed = max(Date().timeIntervalSince(started), 0.001)
            let rate = Double(progress.archiveBytesRead) / elapsed
            let remaining = rate > 0 ? Double(max(progress.archiveSize - progress.archiveBytesRead, 0)) / rate : 0
            let percent = progress.archiveSize > 0 ? 100 * progress.archiveBytesRead / progress.archiveSize : 0
            let text =
                Console.language == .english
                ? "\(archive): \(percent)% · \(progress.files) files · \(ByteCount.human(progress.bytes)) · \(ByteCount.human(Int64(rate)))/s · \(Int(remaining)) s left"
                : "\(archive)：\(percent)% · \(progress.files) 个文件 · \(ByteCount.human(progress.bytes)) · \(ByteCount.human(Int64(rate)))/秒 · 剩余 \(Int(remaining)) 秒"
            FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + text).utf8))
        }
    }

    func finish() {
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
    }
}
