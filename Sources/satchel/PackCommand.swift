import ArgumentParser
import Foundation
import SatchelBundles
import SatchelCore

/// `satchel pack`: makes a signed bundle from a folder.
struct PackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "把文件夹打包并签名为资源包 · Pack and sign a folder as a bundle"
    )

    @Argument(help: "要打包的文件夹 · Folder to pack")
    var directory: String

    @Option(name: .long, help: "资源包编号 · Bundle id (a-z, 0-9, . _ -)")
    var id: String

    @Option(name: .long, help: "版本号 · Version, an integer of 1 or more")
    var version: Int

    @Option(name: .long, help: "发布者私钥 · Publisher private key from satchel keygen")
    var key: String

    @Option(name: .long, help: "输出文件 · Output bundle file")
    var output: String

    @Option(name: .long, help: "格式 · Format: tar.zst (default), tar.gz or zip")
    var format: String = "tar.zst"

    func validate() throws {
        guard version >= 1 else {
            throw ValidationError("--version \(version) is invalid; give an integer of 1 or more.")
        }
        guard BundlePacker.Format(rawValue: format) != nil else {
            throw ValidationError("--format \(format) is unknown; use tar.zst, tar.gz or zip.")
        }
    }

    func run() async throws {
        try await Console.run {
            let signingKey = try SigningKey(contentsOf: key)
            let manifest = try BundlePacker().pack(
                directory: directory,
                options: BundlePacker.Options(
                    id: id, version: version, format: BundlePacker.Format(rawValue: format)!, key: signingKey),
                output: output
            )
            Console.say(
                LocalizedText(
                    zh:
                        "已生成 \(output)：\(manifest.id) v\(manifest.version)，\(manifest.resources.count) 个资源，\(manifest.files.count) 个文件，\(ByteCount.human(manifest.totalSize))，签名公钥 \(manifest.publisherKey)",
                    en:
                        "Wrote \(output): \(manifest.id) v\(manifest.version), \(manifest.resources.count) resources, \(manifest.files.count) files, \(ByteCount.human(manifest.totalSize)), signed by key \(manifest.publisherKey)"
                ))
        }
    }
}
