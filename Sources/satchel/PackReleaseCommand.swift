import ArgumentParser
import Foundation
import SatchelBundles
import SatchelCore

/// `satchel pack-release`: makes a signed Satchel release (a `software` bundle) from a .deb, for the platform to
/// publish, a peer to pass on or a USB stick to carry.
struct PackReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack-release",
        abstract: "把 satchel 的 .deb 打包并签名为软件更新包 · Pack and sign a satchel .deb as a release bundle"
    )

    @Option(name: .long, help: "satchel 的 Debian 软件包 · The satchel .deb") var deb: String
    @Option(name: .long, help: "发布私钥 · Release private key from satchel keygen") var key: String
    @Option(name: .long, help: "资源包版本号，每次发布加一 · Bundle version, one more for each release") var version: Int
    @Option(name: .long, help: "输出文件 · Output bundle file") var output: String
    @Option(name: .long, help: "更新说明（中文）· Release notes in Chinese") var notesZh: String = ""
    @Option(name: .long, help: "更新说明（英文）· Release notes in English") var notesEn: String = ""
    @Option(name: .long, help: "资源包编号 · Bundle id") var id: String = "satchel-release"

    func run() async throws {
        try await Console.run {
            let package = try field("Package"), packageVersion = try field("Version")
            guard package == "satchel" else {
                throw BundleError(
                    code: .badInput,
                    message: LocalizedText(
                        zh: "\(deb) 是软件包 \(package)，不是 satchel。", en: "\(deb) is the package \(package), not satchel."))
            }
            let folder = NSTemporaryDirectory() + "satchel-release-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let name = "satchel_" + packageVersion.replacingOccurrences(of: ":", with: "_") + ".deb"
            try FileManager.default.copyItem(atPath: deb, toPath: folder + "/" + name)
            let notes =
                notesZh.isEmpty && notesEn.isEmpty
                ? nil : LocalizedText(zh: notesZh.isEmpty ? notesEn : notesZh, en: notesEn.isEmpty ? notesZh : notesEn)
            let description = BundleDescription(
                title: LocalizedText(zh: "Satchel 软件更新 \(packageVersion)", en: "Satchel release \(packageVersion)"),
                kind: .software,
                release: Manifest.Release(package: name, packageVersion: packageVersion, notes: notes))
            try JSONEncoder().encode(description).write(
                to: URL(fileURLWithPath: folder + "/" + BundleDescription.fileName))
            let manifest = try BundlePacker().pack(
                directory: folder,
                options: BundlePacker.Options(id: id, version: version, key: try SigningKey(contentsOf: key)),
                output: output)
            Console.say(
                LocalizedText(
                    zh:
                        "已生成 \(output)：satchel \(packageVersion)（\(id) v\(manifest.version)），签名公钥 \(manifest.publisherKey)",
                    en:
                        "Wrote \(output): satchel \(packageVersion) (\(id) v\(manifest.version)), signed by key \(manifest.publisherKey)"
                ))
        }
    }

    /// A field of the package's control file, read by dpkg-deb.
    private func field(_ name: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dpkg-deb")
        process.arguments = ["--field", deb, name]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let value = String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !value.isEmpty else {
            throw BundleError(
                code: .badInput,
                message: LocalizedText(
                    zh: "无法读取 \(deb) 的 \(name)：它不是 Debian 软件包？",
                    en: "Cannot read \(name) of \(deb): is it a Debian package?"))
        }
        return value
    }
}
