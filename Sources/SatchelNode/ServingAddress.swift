import SatchelCore
import SatchelStore

/// Where the node's web server last started listening: the host and port it bound, which a `--port` on the command
/// line or a systemd drop-in may have set apart from the config file. `status` and `doctor` read it to print the
/// addresses teachers open and to check the port the node really serves on.
public struct ServingAddress: Equatable, Sendable {
    /// The address bound, such as `0.0.0.0`.
    public var host: String
    /// The TCP port bound.
    public var port: Int

    /// An address.
    public init(host: String, port: Int) {
        (self.host, self.port) = (host, port)
    }

    private static let key = "servingAddress"

    /// Records the address once the server listens.
    public func save(_ database: SatchelDatabase) throws {
        try database.setSyncValue(Self.key, "\(port) \(host)")
    }

    /// The address the server last listened on, or nil when it never ran.
    public static func load(_ database: SatchelDatabase) -> ServingAddress? {
        guard let value = try? database.syncValue(key) else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, let port = Int(parts[0]), (1...65535).contains(port) else { return nil }
        return ServingAddress(host: parts[1], port: port)
    }

    /// Where the node serves: the address it last listened on, else the one `configuration` asks for.
    public static func current(_ database: SatchelDatabase?, configuration: Configuration) -> ServingAddress {
        database.flatMap(load) ?? ServingAddress(host: configuration.listenHost, port: configuration.port)
    }
}
