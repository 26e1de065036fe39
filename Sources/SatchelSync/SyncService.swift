import Foundation
import Logging
import SatchelBundles
import SatchelCore
import ServiceLifecycle

/// The background sync inside `satchel serve`: a session as soon as the node starts and then every
/// `syncIntervalSeconds`, with exponential backoff and jitter while the platform cannot be reached, and pulls from
/// LAN peers when it cannot. When a session leaves content unfinished because the link failed, the next sessions
/// follow the link with a short backoff (at most ``linkWatchCap`` apart) until the content is in, so that it arrives
/// soon after the link returns rather than a whole interval later. It never blocks serving: the work runs on
/// libcurl's own threads and SQLite's pool.
public struct SyncService: Service {
    let node: Node
    let logger: Logger
    let interval: Duration
    /// Counts the bytes of every session and peer pull, so that a session whose result is not written leaves its
    /// bytes to the next write.
    let meter = WireMeter()

    /// A service for `node`; `interval` defaults to the configured sync interval.
    public init(node: Node, logger: Logger, interval: Duration? = nil) {
        self.node = node
        self.logger = logger
        self.interval = interval ?? .seconds(node.configuration.syncIntervalSeconds)
    }

    /// The longest wait between sessions while content waits for the link.
    public static let linkWatchCap: Double = 30

    public func run() async throws {
        var failures = 0
        // Set while content is unfinished because the link failed: only the link's return is awaited then.
        var contentWaits = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var delay = interval
            if try Enrolment.load(node.database) != nil {
                do {
                    let report = try await SyncSession(node: node, logger: logger, meter: meter).run()
                    failures = 0
                    contentWaits = report.unfinishedDownloads > 0
                    if contentWaits {
                        failures = 1
                        delay = Backoff.delay(attempt: failures, base: 0.5, cap: Self.linkWatchCap)
                    }
                    logger.info(
                        "sync session finished",
                        metadata: [
                            "satchel.sync.pushed": "\(report.pushedEvents)",
                            "satchel.sync.installed": "\(report.installedBundles.count)",
                            "satchel.sync.downloadedBytes": "\(report.downloadedBytes)",
                            "satchel.sync.wireBytesSent": "\(report.wireBytes.sent)",
                            "satchel.sync.wireBytesReceived": "\(report.wireBytes.received)",
                        ])
                } catch {
                    failures += 1
                    // Retry soon after a first failure, then less and less often, up to an hour, with jitter so that
                    // nodes whose link returns at once do not retry in step. While content waits for a link that
                    // failed, a failure of the link again costs the platform nothing: follow it closely.
                    if contentWaits, (error as? TransportError)?.isNetworkFailure == true {
                        delay = Backoff.delay(attempt: failures, base: 0.5, cap: Self.linkWatchCap)
                    } else {
                        delay = Backoff.delay(attempt: failures, base: 15, cap: 3600)
                    }
                    logger.warning(
                        "sync session failed",
                        metadata: [
                            "satchel.sync.error": "\(error)",
                            "satchel.sync.failingSide": "\((error as? TransportError)?.failingSide?.rawValue ?? "-")",
                        ])
                    await pullFromPeers()
                }
            } else {
                await pullFromPeers()
            }
            let wait = delay
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
        }
        try? SyncSession(node: node, logger: logger, meter: meter).recordWireBytes()
    }

    private func pullFromPeers() async {
        for peer in node.configuration.peers {
            do {
                let report = try await SyncSession(node: node, logger: logger, meter: meter).pull(fromPeer: peer)
                if !report.installedBundles.isEmpty {
                    logger.info(
                        "pulled bundles from a peer",
                        metadata: ["satchel.sync.installed": "\(report.installedBundles.count)"])
                }
            } catch {
                logger.warning("peer pull failed", metadata: ["satchel.sync.error": "\(error)"])
            }
        }
    }
}
