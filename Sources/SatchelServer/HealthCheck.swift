import Foundation
import GRDB
import SatchelBundles
import SatchelCore

/// `/healthz`: ready (200) when the database answers and the blob store is there; otherwise 503 with the reasons.
/// Warnings, such as a disk below the reserve, are reported without failing the check, since serving still works.
struct HealthCheck: Sendable {
    let node: Node

    struct Report: Codable {
        var status: String
        var bundles: Int
        var resources: Int
        var reasons: [String]
        var warnings: [String]
        var version: String
        var eventsPending: Int
        var lastSync: String?
    }

    func run() -> Report {
        var reasons: [String] = []
        var warnings: [String] = []
        var bundles = 0
        var resources = 0
        do {
            let counts = try node.database.counts()
            (bundles, resources) = (counts.bundles, counts.resources)
        } catch {
            reasons.append("database unreadable")
        }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: node.directory.blobsPath, isDirectory: &isDirectory)
            || !isDirectory.boolValue
        {
            reasons.append("blob store missing")
        }
        if let free = node.directory.freeBytes(), free < node.configuration.diskReserveBytes {
            warnings.append("free disk below the reserve")
        }
        let pending = (try? node.database.pendingEventCount()) ?? 0
        let lastResult = (try? node.database.syncValue("lastSyncResult")) ?? nil
        if lastResult?.hasPrefix("failed") == true { warnings.append("last sync failed") }
        return Report(
            status: reasons.isEmpty ? "ok" : "unavailable", bundles: bundles, resources: resources,
            reasons: reasons, warnings: warnings, version: SatchelVersion.current, eventsPending: pending,
            lastSync: (try? node.database.syncValue("lastSyncAt")) ?? nil)
    }
}
