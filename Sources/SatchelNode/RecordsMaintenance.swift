import Foundation
import Logging
import SatchelBundles
import SatchelStore
import ServiceLifecycle

/// Keeps the event log bounded whether or not the platform is ever reached: compacts it when the node starts and then
/// every `compactionIntervalMinutes` (see ``SatchelDatabase/compact(olderThan:maxPendingUsageEvents:)``), and at
/// graceful shutdown writes the usage events still held in memory.
public struct RecordsMaintenance: Service {
    let node: Node
    let events: EventLog
    let logger: Logger
    let interval: Duration

    /// A service for `node` and its event log; `interval` defaults to the configured compaction interval.
    public init(node: Node, events: EventLog, logger: Logger, interval: Duration? = nil) {
        self.node = node
        self.events = events
        self.logger = logger
        self.interval = interval ?? .seconds(node.configuration.compactionIntervalMinutes * 60)
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await compact()
            let wait = interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
        }
        await events.flush()
    }

    /// One compaction, on a thread of its own: a large backlog takes seconds and must not hold the server's threads.
    func compact() async {
        let (database, configuration) = (node.database, node.configuration)
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(
                    returning: Result {
                        try database.compact(
                            olderThan: Date().addingTimeInterval(-Double(configuration.eventRetentionDays) * 86_400),
                            maxPendingUsageEvents: configuration.maxPendingUsageEvents)
                    })
            }
        }
        switch result {
        case .success(let report) where report.compacted > 0 || report.rolledUp > 0:
            logger.info(
                "event log compacted",
                metadata: [
                    "satchel.records.compacted": "\(report.compacted)",
                    "satchel.records.rolledUp": "\(report.rolledUp)",
                ])
        case .success:
            break
        case .failure(let error):
            logger.warning("event log compaction failed", metadata: ["satchel.records.error": "\(error)"])
        }
    }
}
