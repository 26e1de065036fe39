import SatchelBundles
import SatchelCore
import SatchelNode

/// The web addresses teachers type into a browser, from where the node serves: `satchel status` and `doctor` print
/// them, and the share page links students to the node by the first LAN one when a teacher opened it on the node
/// itself.
public enum TeacherAddresses {
    /// `http://ADDRESS:PORT/` for each LAN address of the interface the node listens on, the loopback first.
    public static func urls(node: Node?, configuration: Configuration) -> [String] {
        let serving = ServingAddress.current(node?.database, configuration: configuration)
        return NodeServer.announcedAddresses(host: serving.host).map { address in
            let host = address.contains(":") ? "[\(address)]" : address
            return serving.port == 80 ? "http://\(host)/" : "http://\(host):\(serving.port)/"
        }
    }

    /// The first of `urls` that another device on the LAN can open: not a loopback address.
    public static func firstLAN(_ urls: [String]) -> String? {
        urls.first { url in
            !["http://127.", "http://localhost", "http://[::1]"].contains { url.hasPrefix($0) }
        }
    }
}
