import Foundation
import GRDB
import Metrics
import Prometheus
import SatchelBundles
import SatchelStore

/// The node's Prometheus metrics: Hummingbird's request counters and latency histogram (through swift-metrics), bytes
/// of content sent, and gauges of the catalog and store read when `/metrics` is scraped.
enum NodeMetrics {
    /// The registry `/metrics` renders.
    static let registry = PrometheusCollectorRegistry()

    /// Routes swift-metrics to the registry, once per process.
    static let bootstrap: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
    }()

    /// Content bytes sent by `/content/...` responses.
    static let contentBytes = registry.makeCounter(
        name: "satchel_content_bytes_sent_total", help: "Bytes of bundle content sent to clients.")
    private static let storeBytes = registry.makeGauge(
        name: "satchel_store_bytes", help: "Bytes of distinct blobs referenced by installed bundles.")
    private static let bundles = registry.makeGauge(name: "satchel_bundles", help: "Installed bundles.")
    private static let resources = registry.makeGauge(name: "satchel_resources", help: "Installed resources.")
    private static let freeBytes = registry.makeGauge(
        name: "satchel_disk_free_bytes", help: "Free bytes on the data directory's file system.")
    private static let eventsPending = registry.makeGauge(
        name: "satchel_sync_backlog_events", help: "Events recorded but not yet acknowledged by the platform.")

    private static let syncBytesSent = registry.makeGauge(
        name: "satchel_sync_sent_bytes", help: "Bytes sync sent over the network, aborted transfers included.")
    private static let syncBytesReceived = registry.makeGauge(
        name: "satchel_sync_received_bytes",
        help: "Bytes sync received over the network, aborted downloads included.")

    /// Reads the gauges from the database and the disk, then renders every metric in Prometheus text format.
    static func render(node: Node) throws -> String {
        let database = node.database
        let counts = try database.counts()
        storeBytes.set(counts.storeBytes)
        bundles.set(Int64(counts.bundles))
        resources.set(Int64(counts.resources))
        eventsPending.set(Int64(try database.pendingEventCount()))
        syncBytesSent.set(try database.counter("wireBytesSent"))
        syncBytesReceived.set(try database.counter("wireBytesReceived"))
        if let free = node.directory.freeBytes() { freeBytes.set(free) }
        return registry.emitToString()
    }
}
