import Foundation
import SatchelCore

/// Makes a signed bundle from a folder: `satchel pack`.
///
/// The output is reproducible: the same folder, options and key give the same bytes, because entries are sorted and
/// every entry carries the same owner, mode and time (the newest file's, or `SOURCE_DATE_EPOCH`).
public struct BundlePacker: Sendable {
    /// The container and compression of the output.
    public enum Format: String, Sendable, CaseIterable {
        /// tar compressed with zstd, the default.
        case tarZstd = "tar.zst"
        /// tar compressed with gzip.
        case tarGzip = "tar.gz"
        /// zip.
        case zip
    }

    /// What to pack and how.
    public struct Options: Sendable {
        public var id: String
        public var version: Int
        public var format: Format
        public var key: SigningKey
        /// Overrides the creation time; by default the newest input file's modification time.
        public var created: Date?

        public init(id: String, version: Int, format: Format = .tarZstd, key: SigningKey, created: Date? = nil) {
            self.id = id
            self.version = version
            self.format = format
            self.key = key
            self.created = created
        }
    }

    /// Creates a packer.
    public init() {}

    /// Packs `directory` into `output`, which appears only once it is complete.
    ///
    /// - Returns: the manifest written into the bundle.
    @discardableResult
    public func pack(directory: String, options: Options, output: String) throws -> Manifest {
        guard Identifier.isValid(options.id) else {
            throw BundleError(
                code: .badInput,
                message: LocalizedText(
                    zh: "软件包编号 \"\(options.id)\" 无效：只能含 a-z、0-9、. _ -，最多 64 个字符。",
                    en: "The bundle id \"\(options.id)\" is invalid: use a-z, 0-9, . _ - only, at most 64 characters."
                )
            )
        }
        let root = (directory as NSString).standardizingPath
        let inputs = try listFiles(root)
        guard !inputs.isEmpty else {
            throw BundleError(
                code: .badInput,
                message: LocalizedText(zh: "文件夹 \(root) 中没有可打包的文件。", en: "The folder \(root) has no files to pack.")
            )
        }
        let description = try readDescription(root)
        var files: [Manifest.File] = []
        var newest: Date = .distantPast
        for input in inputs {
            let (sha, size) = try hashFile(input.absolutePath)
            files.append(
                Manifest.File(path: input.path, size: size, sha256: sha, mediaType: MediaType.forPath(input.path)))
            newest = max(newest, input.modified)
        }
        let created = options.created ?? sourceDateEpoch() ?? newest
        let folderName = (root as NSString).lastPathComponent
        let resources =
            description?.kind == .software
            ? []
            : description?.resources.map { $0.map { applyDefaults($0, description?.defaults) } }
                ?? defaultResources(files: files, defaults: description?.defaults)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let manifest = Manifest(
            id: options.id, version: options.version,
            title: description?.title ?? LocalizedText(zh: folderName, en: folderName),
            kind: description?.kind ?? .curriculum, publisherKey: options.key.publicKey.id,
            created: formatter.string(from: Date(timeIntervalSince1970: created.timeIntervalSince1970.rounded(.down))),
            resources: resources, files: files, release: description?.release
        )
        do {
            try manifest.validate()
        } catch {
            let problem = error as? ManifestError
            throw BundleError(
                code: .badInput, message: problem?.message ?? LocalizedText(zh: "\(error)", en: "\(error)"),
                cause: error)
        }
        let manifestData = try manifest.canonicalJSON()
        let signature = Data(try options.key.signature(for: manifestData).base64EncodedString().utf8)

        let partial = output + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let writer = try ArchiveWriter(
                path: partial, format: ArchiveWriter.Format(rawValue: options.format.rawValue)!,
                modificationTime: Int(created.timeIntervalSince1970)
            )
            try writer.addFile(path: "manifest.sig", size: Int64(signature.count), data: signature)
            try writer.addFile(path: "manifest.json", size: Int64(manifestData.count), data: manifestData)
            for (input, file) in zip(inputs, files) {
                try writer.addFile(path: file.path, size: file.size, source: input.absolutePath)
            }
            try writer.close()
            // rename(2) replaces an older output atomically: readers see the old file or the new one.
            try FileSystem.replace(output, with: partial)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        return manifest
    }

    private struct Input {
        var path: String
        var absolutePath: String
        var modified: Date
    }

    /// Regular files under `root`, sorted by path bytes; hidden files and `bundle.json` at the root are left out, and
    /// links are refused.
    private func listFiles(_ root: String) throws -> [Input] {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BundleError(
                code: .badInput,
                message: LocalizedText(zh: "\(root) 不是文件夹。", en: "\(root) is not a folder.")
            )
        }
        var result: [Input] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? root : root + "/" + relative
            let names = try fileManager.contentsOfDirectory(atPath: absolute)
            for name in names where !name.hasPrefix(".") {
                let path = relative.isEmpty ? name : relative + "/" + name
                if path == BundleDescription.fileName { continue }
                let attributes = try fileManager.attributesOfItem(atPath: root + "/" + path)
                let type = attributes[.type] as? FileAttributeType
                switch type {
                case .typeDirectory?:
                    pending.append(path)
                case .typeRegular?:
                    if let problem = BundlePath.problem(with: path) {
                        throw BundleError(
                            code: .badInput,
                            message: LocalizedText(
                                zh: "无法打包 \(path)：\(problem.text.zh)。",
                                en: "Cannot pack \(path): \(problem.text.en)."
                            )
                        )
                    }
                    result.append(
                        Input(
                            path: path, absolutePath: root + "/" + path,
                            modified: attributes[.modificationDate] as? Date ?? .distantPast))
                default:
                    throw BundleError(
                        code: .badInput,
                        message: LocalizedText(
                            zh: "无法打包 \(path)：软件包只能包含普通文件，不能包含链接或设备文件。",
                            en: "Cannot pack \(path): bundles hold regular files only, not links or devices."
                        )
                    )
                }
            }
        }
        return result.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    private func readDescription(_ root: String) throws -> BundleDescription? {
        let path = root + "/" + BundleDescription.fileName
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(BundleDescription.self, from: data)
        } catch {
            throw BundleError(
                code: .badInput,
                message: LocalizedText(
                    zh: "\(path) 格式错误：\(error)。",
                    en: "\(path) is malformed: \(error)."
                ),
                cause: error
            )
        }
    }

    private func hashFile(_ path: String) throws -> (String, Int64) {
        var hasher = ContentHasher()
        try FileInput(path: path).forEachBlock { hasher.update($0) }
        return (hasher.finalize(), hasher.count)
    }

    private func sourceDateEpoch() -> Date? {
        ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap(Double.init).map(
            Date.init(timeIntervalSince1970:))
    }

    private func applyDefaults(
        _ resource: Manifest.Resource, _ defaults: BundleDescription.Classification?
    ) -> Manifest.Resource {
        var resource = resource
        resource.stage = resource.stage ?? defaults?.stage
        resource.grade = resource.grade ?? defaults?.grade
        resource.subject = resource.subject ?? defaults?.subject
        resource.edition = resource.edition ?? defaults?.edition
        resource.term = resource.term ?? defaults?.term
        resource.language = resource.language ?? defaults?.language
        return resource
    }

    /// One resource per top-level file, and one per top-level folder that has an `index.html`.
    private func defaultResources(
        files: [Manifest.File], defaults: BundleDescription.Classification?
    ) -> [Manifest.Resource] {
        var resources: [Manifest.Resource] = []
        var usedIDs = Set<String>()
        let paths = Set(files.map(\.path))
        var folders: [String] = []
        for file in files {
            let components = file.path.split(separator: "/")
            if components.count == 1 {
                let name = (file.path as NSString).deletingPathExtension
                resources.append(
                    resource(name: name, entry: file.path, type: MediaType.resourceType(forPath: file.path), &usedIDs))
            } else if let folder = components.first.map(String.init), !folders.contains(folder),
                paths.contains(folder + "/index.html")
            {
                folders.append(folder)
                resources.append(resource(name: folder, entry: folder + "/index.html", type: "html", &usedIDs))
            }
        }
        return resources.map { applyDefaults($0, defaults) }
    }

    private func resource(name: String, entry: String, type: String, _ usedIDs: inout Set<String>) -> Manifest.Resource
    {
        var id = String(
            name.lowercased().unicodeScalars.map { scalar -> Character in
                let allowed =
                    ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_"
                return allowed ? Character(scalar) : "-"
            }
        ).trimmingCharacters(in: CharacterSet(charactersIn: "-._"))
        if id.count > 48 || id.filter({ $0 != "-" }).count < 2 || !Identifier.isValid(id) {
            id = "r-" + ContentHasher.hash(Array(entry.utf8)).prefix(12)
        }
        var unique = id
        var counter = 2
        while usedIDs.contains(unique) {
            unique = "\(id)-\(counter)"
            counter += 1
        }
        usedIDs.insert(unique)
        return Manifest.Resource(id: unique, title: LocalizedText(zh: name, en: name), type: type, entry: entry)
    }
}
