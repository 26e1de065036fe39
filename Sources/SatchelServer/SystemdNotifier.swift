import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Tells systemd the service is ready (`Type=notify`), by a datagram to `$NOTIFY_SOCKET`. Does nothing outside
/// systemd.
enum SystemdNotifier {
    /// Sends `READY=1` (or another state line).
    static func notify(_ state: String = "READY=1") {
        guard var path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty else { return }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        // An address starting with @ is in the abstract namespace: its first byte is NUL.
        let abstract = path.hasPrefix("@")
        if abstract { path.removeFirst() }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count + (abstract ? 1 : 0) < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            let offset = abstract ? 1 : 0
            for (index, byte) in bytes.enumerated() { buffer[index + offset] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 1 : 0))
        _ = state.withCString { message in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, message, strlen(message), 0, $0, length)
                }
            }
        }
    }
}
