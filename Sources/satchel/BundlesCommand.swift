import ArgumentParser
import Foundation
import SatchelBundles
import SatchelCore
import SatchelStore

/// `satchel bundles`: lists, shows, verifies and removes installed bundles.
struct BundlesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundles",
        abstract: "查看和管理已安装的资源包 · List, show, verify and remove installed bundles",
        subcommands: [List.self, Show.self, Verify.self, Remove.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "列出资源包 · List installed bundles")
        @OptionGroup var options: NodeOptions

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                let bundles = try node.database.bundles()
                if bundles.isEmpty {
                    Console.say(LocalizedText(zh: "尚未安装任何资源包。", en: "No bundles are installed."))
                }
                for bundle in bundles {
                    Console.out(
                        "\(bundle.id)\tv\(bundle.version)\t\(bundle.kind)\t\(ByteCount.human(bundle.totalSize))\t\(bundle.title(Console.language))"
                    )
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "显示资源包详情 · Show one bundle's resources")
        @OptionGroup var options: NodeOptions
        @Argument(help: "资源包编号 · Bundle id") var id: String

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                guard let bundle = try node.database.bundle(id: id) else { throw BundlesCommand.notInstalled(id) }
                Console.out("\(bundle.id) v\(bundle.version) · \(bundle.title(Console.language)) · \(bundle.kind)")
                Console.out(
                    "publisher key: \(bundle.publisherKey) · created: \(bundle.created) · files: \(bundle.fileCount) · \(ByteCount.human(bundle.totalSize))"
                )
                for resource in try node.database.resources(bundleId: id) {
                    Console.out(
                        "  \(resource.id)\t\(resource.type)\t\(resource.entry)\t\(resource.title(Console.language))")
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "重新校验已存储的文件 · Re-hash stored files and report rot")
        @OptionGroup var options: NodeOptions
        @Argument(help: "资源包编号（默认全部）· Bundle ids (default: all)") var ids: [String] = []

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                let bundles = ids.isEmpty ? try node.database.bundles().map(\.id) : ids
                var damaged = 0
                for id in bundles {
                    guard try node.database.bundle(id: id) != nil else { throw BundlesCommand.notInstalled(id) }
                    let files = try node.database.files(bundleId: id)
                    var bad: [String] = []
                    for file in files where !node.blobStore.verify(file.sha256) { bad.append(file.path) }
                    damaged += bad.count
                    if bad.isEmpty {
                        Console.say(
                            LocalizedText(
                                zh: "\(id)：\(files.count) 个文件全部完好。", en: "\(id): all \(files.count) files intact."))
                    } else {
                        Console.warn(
                            LocalizedText(
                                zh: "\(id)：\(bad.count) 个文件已损坏或丢失：\(bad.joined(separator: ", "))。请重新导入该资源包。",
                                en:
                                    "\(id): \(bad.count) files are damaged or missing: \(bad.joined(separator: ", ")). Import the bundle again."
                            ))
                    }
                }
                if damaged > 0 { throw ExitCode(ExitStatus.dataError.rawValue) }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "删除资源包 · Remove a bundle and free its space")
        @OptionGroup var options: NodeOptions
        @Argument(help: "资源包编号 · Bundle id") var id: String

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                let lock = try node.directory.lockForImport()
                defer { withExtendedLifetime(lock) {} }
                guard try node.database.removeBundle(id: id) else { throw BundlesCommand.notInstalled(id) }
                let collected = node.blobStore.collectGarbage(keeping: try node.database.referencedBlobs())
                Console.say(
                    LocalizedText(
                        zh: "已删除 \(id)，释放 \(ByteCount.human(collected.bytes))。",
                        en: "Removed \(id) and freed \(ByteCount.human(collected.bytes))."
                    ))
            }
        }
    }

    static func notInstalled(_ id: String) -> BundleError {
        BundleError(
            code: .notInstalled,
            message: LocalizedText(
                zh: "资源包 \(id) 未安装。用 satchel bundles list 查看已安装的资源包。",
                en: "The bundle \(id) is not installed. See satchel bundles list."
            ))
    }
}
