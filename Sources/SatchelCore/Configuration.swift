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
            schoolCode: ""
        )
    }

    /// The log levels that `logLevel` accepts.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
}
