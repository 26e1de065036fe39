import CompressNIO
import Crypto
import Foundation
import NIOCore
import SatchelCore
import SatchelStore

/// Sync by USB stick: `satchel export --to DIR` writes the pending push as gzip batch files, each signed by the node's
/// key, which `satchel-platform import DIR` checks and applies exactly once, like a push over the network.
public enum SneakernetFiles {
    /// The folder inside the stick that holds one node's batches.
    public static func folder(root: String, nodeId: String) -> String {
        root + "/satchel-sync/" + nodeId
    }

    /// Writes every event not yet acknowledged as batch files and returns their paths. Nothing on the node changes:
    /// the cursor moves only when the platform's acknowledgement comes back by a later sync.
    public static func export(
        database: SatchelDatabase, identity: NodeIdentity, nodeId: String, to root: String,
        batchSize: Int = 5000
    ) throws -> [String] {
        var after = try database.acknowledgedSequence()
        var written: [String] = []
        while true {
            let events = try EventExport.events(after: after, limit: batchSize, database: database)
            guard let first = events.first, let last = events.last else { break }
            let batch = SyncProtocol.EventBatch(
                batchId: "\(nodeId):\(first.s)-\(last.s)", nodeId: nodeId, from: first.s, to: last.s, events: events)
            written.append(try write(batch, signedBy: identity, to: root))
            after = last.s
        }
        return written
    }

    /// Writes one batch file for `batch.nodeId` under `root`, with its signature beside it, and returns its path.
    /// The `.sig` is written first and the data file renamed into place, so a reader never sees it unsigned.
    public static func write(
        _ batch: SyncProtocol.EventBatch, signedBy identity: NodeIdentity, to root: String
    ) throws
        -> String
    {
        let folder = folder(root: root, nodeId: batch.nodeId)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var buffer = ByteBuffer(bytes: try JSONEncoder().encode(batch))
        let compressed = Data(try buffer.compress(with: .gzip()).readableBytesView)
        let path = folder + "/" + String(format: "events-%012lld-%012lld.json.gz", batch.from, batch.to)
        try compressed.write(to: URL(fileURLWithPath: path + ".tmp"))
        try (try identity.key.signature(for: compressed)).base64EncodedString()
            .write(toFile: path + ".sig", atomically: true, encoding: .utf8)
        // rename(2) replaces a file left by an earlier export of the same range.
        guard rename(path + ".tmp", path) == 0 else {
            throw SyncError(
                code: .badFile, message: LocalizedText(zh: "无法写入 \(path)。", en: "Cannot write \(path)."))
        }
        return path
    }

    /// Every batch file under `root`, in order.
    public static func batchFiles(in root: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let name = enumerator.nextObject() as? String {
            if name.hasSuffix(".json.gz") && (name as NSString).lastPathComponent.hasPrefix("events-") {
                files.append(root + "/" + name)
            }
        }
        return files.sorted()
    }

    /// Reads and checks one batch file. Nothing in it is trusted before its signature is: the file must lie in the
    /// folder of an enrolled node (`satchel-sync/<nodeId>/`), be at most ``SyncProtocol/maxBatchBytes`` long and be
    /// signed by that node's key; only then is it decompressed, and only up to ``SyncProtocol/maxBatchJSONBytes``.
    /// The batch inside must name the same node.
    public static func read(
        batch path: String, publicKeyOf: (String) throws -> String?
    ) throws -> SyncProtocol.EventBatch {
        let nodeId = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= SyncProtocol.maxBatchBytes else {
            throw SyncError(
                code: .badFile,
                message: LocalizedText(
                    zh: "\(path) 超过 \(SyncProtocol.maxBatchBytes) 字节，不是 satchel export 写的文件。",
                    en: "\(path) is larger than \(SyncProtocol.maxBatchBytes) bytes: satchel export did not write it."))
        }
        guard let compressed = FileManager.default.contents(atPath: path),
            let signatureText = try? String(contentsOfFile: path + ".sig", encoding: .utf8),
            let signature = Data(base64Encoded: signatureText.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            throw SyncError(
                code: .badFile,
                message: LocalizedText(
                    zh: "\(path) 或其签名文件缺失或无法读取。", en: "\(path) or its signature is missing or unreadable."))
        }
        guard let keyText = try publicKeyOf(nodeId), let keyData = Data(base64Encoded: keyText),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyData),
            key.isValidSignature(signature, for: compressed)
        else {
            throw SyncError(
                code: .badFile,
                message: LocalizedText(
                    zh: "\(path) 的签名无效，或其所在文件夹的节点 \(nodeId) 未在平台注册。",
                    en: "\(path) has an invalid signature, or node \(nodeId) (its folder's name) is not enrolled here.")
            )
        }
        var buffer = ByteBuffer(bytes: compressed)
        guard let json = try? buffer.decompress(with: .gzip(), maxSize: SyncProtocol.maxBatchJSONBytes),
            let batch = try? JSONDecoder().decode(SyncProtocol.EventBatch.self, from: Data(json.readableBytesView))
        else {
            throw SyncError(
                code: .badFile,
                message: LocalizedText(
                    zh: "\(path) 已损坏：无法解压或解析，或解压后超过 \(SyncProtocol.maxBatchJSONBytes) 字节。",
                    en:
                        "\(path) is damaged: it cannot be decompressed or parsed, or it decompresses to more than \(SyncProtocol.maxBatchJSONBytes) bytes."
                ))
        }
        guard batch.nodeId == nodeId, batch.from <= batch.to,
            batch.events.allSatisfy({ batch.from <= $0.s && $0.s <= batch.to })
        else {
            throw SyncError(
                code: .badFile,
                message: LocalizedText(
                    zh: "\(path) 的内容与其文件夹或范围不符。",
                    en: "\(path) holds another node's batch or events outside its stated range."))
        }
        return batch
    }
}
