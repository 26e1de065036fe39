/// The node's settings, after defaults, the config file, `SATCHEL_*` environment variables and command-line flags
/// have been applied in that order.
public struct Configuration: Sendable, Equatable {
    /// Where the database, the blob store and staging live.
    public var dataDirectory: String
    /// The address the HTTP server binds to.
    public var listenHost: String
    /// The TCP port the HTTP server listens on.
    public var port: Int
    /// The minimum level of log messages written to stderr.
    public var logLevel: String
    /// The language of the web UI and messages when the user has not chosen one.
    public var language: Language
    /// Publisher public keys (base64 of the 32-byte Ed25519 key) whose bundles this node accepts, besides those
    /// added with `satchel trust add`.
    public var trustedKeys: [String]
    /// Release public keys (base64) whose `software` bundles, Satchel releases, this node installs. The config file
    /// is root's, which is why the installer trusts these and not keys the service stored itself.
    public var releaseKeys: [String] = []
    /// Free space that an import must leave on the data disk.
    public var diskReserveBytes: Int64
    /// The most the blob store may hold; 0 means no quota.
    public var storeQuotaBytes: Int64
    /// The largest bundle, in unpacked bytes, that an import accepts.
    public var maxBundleBytes: Int64
    /// The national platform's base URL, empty when the node has none.
    public var platformURL: String
    /// The school's code at the national platform, empty until provisioned.
    public var schoolCode: String
    /// Seconds between sync sessions while the platform is reachable.
    public var syncIntervalSeconds: Int
    /// What this school wants from the platform: bundle ids, or `stage=小学`, `subject=数学`; empty means everything.
    public var subscriptions: [String]
    /// LAN peers (other nodes' base URLs) to pull bundles from when the platform is out of reach.
    public var peers: [String]
    /// An HTTP proxy for sync, empty for none.
    public var syncProxy: String
    /// A CA bundle file for https sync, empty for the system's.
    public var syncCABundle: String
    /// School hours, as `HH:MM-HH:MM` in local time, during which `syncSchoolHoursKbps` applies.
    public var syncSchoolHours: String
    /// The sync bandwidth cap in school hours, in kbit/s; 0 for none.
    public var syncSchoolHoursKbps: Int
    /// The sync bandwidth cap outside school hours, in kbit/s; 0 for none.
    public var syncOtherKbps: Int
    /// Acknowledged usage events older than this many days are folded into daily totals.
    public var eventRetentionDays: Int
    /// Unsynced usage events beyond this many are rolled up into daily totals.
    public var maxPendingUsageEvents: Int
    /// Connections the web server serves at once.
    public var maxConnections: Int
    /// Connections one client address (a phone, or a whole class behind one Wi-Fi router) may hold at once.
    public var maxConnectionsPerAddress: Int
    /// Seconds with nothing arriving on a connection (a request head or body, or an idle keep-alive) before it closes.
    public var idleTimeoutSeconds: Int
    /// The slowest a request body may arrive, in bytes a second, judged over 10 s; 0 turns the check off.
    public var minimumBodyBytesPerSecond: Int
    /// Seconds a usage event (view, download, search, time on a page) may wait in memory so that it shares one
    /// write with others: fewer writes for the SD card, at most this much usage lost in a power cut. 0 writes each
    /// at once.
    public var usageWriteDelaySeconds: Int = 60
    /// Minutes between compactions of the event log, which run whether or not the platform is reachable.
    public var compactionIntervalMinutes: Int = 60

    /// The built-in defaults, with the data directory chosen by the caller.
    public static func defaults(dataDirectory: String) -> Configuration {
        Configuration(
            dataDirectory: dataDirectory,
            listenHost: "0.0.0.0",
            port: 8080,
            logLevel: "info",
            language: .chinese,
            trustedKeys: [],
            diskReserveBytes: 500 * 1024 * 1024,
            storeQuotaBytes: 0,
            maxBundleBytes: 64 * 1024 * 1024 * 1024,
            platformURL: "",
            schoolCode: "",
            syncIntervalSeconds: 900,
            subscriptions: [],
            peers: [],
            syncProxy: "",
            syncCABundle: "",
            syncSchoolHours: "08:00-17:00",
            syncSchoolHoursKbps: 0,
            syncOtherKbps: 0,
            eventRetentionDays: 30,
            maxPendingUsageEvents: 100_000,
            maxConnections: 512,
            maxConnectionsPerAddress: 256,
            idleTimeoutSeconds: 15,
            minimumBodyBytesPerSecond: 512
        )
    }

    /// The log levels that `logLevel` accepts.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
}
