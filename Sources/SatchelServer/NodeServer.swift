import Foundation
import Hummingbird
import Logging
import NIOCore
import SatchelBundles
import SatchelCore
import SatchelHTTP
import SatchelNode
import SatchelStore
import SatchelSync
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the node's services until SIGTERM or SIGINT: `satchel serve` and `satchel demo` both come here.
public enum NodeServer {
    /// Serves `node` with `configuration`'s address and port, calling `announce` with the bound port once
    /// connections are accepted.
    public static func run(
        configuration: Configuration, node: Node, logger: Logger, announce: @escaping @Sendable (Int) -> Void
    ) async throws {
        let reopened = Node(reopening: node, with: configuration)
        let configuredPort = configuration.port
        // Sync runs beside the server in the same ServiceGroup when there is a platform or a LAN peer to talk to.
        let events = EventLog(
            database: reopened.database, usageDelay: TimeInterval(configuration.usageWriteDelaySeconds))
        var services: [any Service] = [RecordsMaintenance(node: reopened, events: events, logger: logger)]
        if !configuration.platformURL.isEmpty || !configuration.peers.isEmpty
            || (try? Enrolment.load(node.database)) != nil
        {
            services.append(SyncService(node: reopened, logger: logger))
        }
        let app = buildApplication(
            node: reopened, logger: logger, limits: ConnectionLimits(configuration), services: services,
            events: events
        ) { channel in
            let port = channel.localAddress?.port ?? configuredPort
            // status and doctor read where the node really serves, which --port may have set apart from the config.
            try? ServingAddress(host: configuration.listenHost, port: port).save(reopened.database)
            logger.info("serving", metadata: ["satchel.http.port": "\(port)"])
            SystemdNotifier.notify("READY=1")
            announce(port)
        }
        try await app.runService()
        // The server has stopped: write the usage still held in memory.
        await events.flush()
    }

    /// The addresses to print for teachers: the machine's IPv4 LAN addresses when bound to every interface.
    public static func announcedAddresses(host: String) -> [String] {
        guard host == "0.0.0.0" || host == "::" else { return [host] }
        var result: [String] = []
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return ["127.0.0.1"] }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else {
                continue
            }
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard
                getnameinfo(
                    address, socklen_t(MemoryLayout<sockaddr_in>.size), &buffer, socklen_t(buffer.count), nil, 0,
                    NI_NUMERICHOST) == 0
            else { continue }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text != "127.0.0.1" { result.append(text) }
        }
        return result.isEmpty ? ["127.0.0.1"] : ["127.0.0.1"] + result
    }
}

extension Node {
    /// The same node with a changed configuration (a port from the command line).
    init(reopening node: Node, with configuration: Configuration) {
        self.init(configuration: configuration, directory: node.directory, database: node.database)
    }
}
