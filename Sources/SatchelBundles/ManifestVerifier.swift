import Foundation
import SatchelCore

/// Checks a manifest and its signature against the node's trusted publisher keys, wherever the bundle comes from: an
/// archive, the platform's catalog or a LAN peer.
public struct ManifestVerifier: Sendable {
    let trustedKeys: [PublisherKey]
    let releaseKeys: [PublisherKey]

    /// A verifier for these keys: `trustedKeys` sign curriculum and training bundles, `releaseKeys` sign Satchel
    /// releases (`software` bundles), and neither is accepted for the other.
    public init(trustedKeys: [PublisherKey], releaseKeys: [PublisherKey] = []) {
        self.trustedKeys = trustedKeys
        self.releaseKeys = releaseKeys
    }

    /// The validated manifest, or a ``BundleError`` naming `source` and what was wrong.
    public func verify(manifestData: Data, signatureText: Data, source: String) throws -> Manifest {
        let text = String(decoding: signatureText, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let signature = Data(base64Encoded: text), signature.count == 64 else {
            throw reject(
                source, .badSignature, "manifest.sig", "it is not a base64 Ed25519 signature",
                "不是 base64 编码的 Ed25519 签名")
        }
        let anyKey = trustedKeys + releaseKeys
        guard !anyKey.isEmpty else {
            throw reject(
                source, .untrustedKey, "manifest.sig",
                "this node trusts no publisher key yet; add the publisher's key with: satchel trust add KEY.pub",
                "本校资源服务器尚未信任任何发布者公钥；请先运行 satchel trust add 公钥文件.pub")
        }
        guard let signer = anyKey.first(where: { $0.isValidSignature(signature, for: manifestData) }) else {
            guard let claimed = (try? JSONDecoder().decode(KeyProbe.self, from: manifestData))?.publisherKey else {
                throw reject(
                    source, .badManifest, "manifest.json",
                    manifestData.isEmpty
                        ? "it is empty, so it cannot be checked; the bundle was damaged or altered"
                        : "it is not a manifest (not JSON, or no publisherKey), so its signature cannot be checked; the bundle was damaged or altered",
                    manifestData.isEmpty
                        ? "清单为空，无法校验；软件包已损坏或被篡改"
                        : "不是有效的清单（不是 JSON 或缺少 publisherKey），无法校验签名；软件包已损坏或被篡改")
            }
            if anyKey.contains(where: { $0.id == claimed }) {
                throw reject(
                    source, .badSignature, "manifest.sig",
                    "the signature does not match the manifest; the bundle was altered or damaged",
                    "签名与清单不符；软件包被篡改或已损坏")
            }
            throw reject(
                source, .untrustedKey, "manifest.sig",
                "it is signed by publisher key \(claimed), which this node does not trust; add it with satchel trust add KEY.pub if you trust the publisher",
                "签名者公钥 \(claimed) 不受本校资源服务器信任；如信任该发布者，请运行 satchel trust add 公钥文件.pub")
        }
        let manifest: Manifest
        do {
            manifest = try Manifest.decode(manifestData)
        } catch {
            let message = (error as? ManifestError)?.message ?? LocalizedText(zh: "\(error)", en: "\(error)")
            throw reject(source, .badManifest, "manifest.json", message.en, message.zh)
        }
        guard manifest.publisherKey == signer.id else {
            throw reject(
                source, .badSignature, "manifest.json",
                "the manifest names publisher key \(manifest.publisherKey) but was signed by \(signer.id)",
                "清单声明的发布者公钥是 \(manifest.publisherKey)，实际签名者是 \(signer.id)")
        }
        if manifest.kind == .software, !releaseKeys.contains(signer) {
            throw reject(
                source, .untrustedKey, "manifest.sig",
                "it is a Satchel release, and key \(signer.id) is not trusted for releases (only for content); add a release key with: satchel trust add --release KEY.pub",
                "这是 Satchel 软件更新包，但公钥 \(signer.id) 未被信任用于软件更新（仅用于资源）；如需信任发布密钥，请运行 satchel trust add --release 公钥文件.pub")
        }
        if manifest.kind != .software, !trustedKeys.contains(signer) {
            throw reject(
                source, .untrustedKey, "manifest.sig",
                "key \(signer.id) is trusted for Satchel releases only, not for curriculum or training bundles",
                "公钥 \(signer.id) 只被信任用于 Satchel 软件更新，不能签发课程或培训资源包")
        }
        return manifest
    }

    private struct KeyProbe: Decodable { var publisherKey: String }

    private func reject(
        _ source: String, _ code: BundleError.Code, _ entry: String, _ reason: String,
        _ reasonZh: String
    ) -> BundleError {
        BundleError(
            code: code,
            message: LocalizedText(
                zh: "已拒绝 \(source)（条目 \(entry)）：\(reasonZh)。未做任何更改。",
                en: "Rejected \(source) (entry \(entry)): \(reason). Nothing was changed."))
    }
}
