import CCurl
import Dispatch
import SatchelCore

extension CurlTransport {
    /// One libcurl easy handle, kept for the life of a transport and its copies. libcurl keeps the connection it last
    /// used in the handle, so the requests of one sync session share one TCP connection instead of each paying a
    /// handshake. libcurl blocks and a handle must never be used by two threads at once, so transfers run one at a
    /// time on the connection's own serial queue, never on Swift's cooperative thread pool.
    final class Connection: @unchecked Sendable {
        // Unchecked: `handle`, `counted` and `meter` are touched only on `queue`, and in deinit, when nothing else can.
        private let queue = DispatchQueue(label: "satchel.curl")
        private var handle: UnsafeMutableRawPointer?
        /// What the kernel had counted on each open socket when it was last read, so that no byte counts twice.
        private var counted: [curl_socket_t: WireMeter.Count] = [:]
        /// Where the transfer in progress counts its bytes.
        private var meter: WireMeter?

        init() {}

        deinit {
            if let handle { curl_easy_cleanup(handle) }
        }

        /// Runs `transfer` on the connection's queue with the handle, its options reset; the bytes the transfer moved
        /// (whether it finished or not) are counted into `meter`.
        func run<T: Sendable>(
            meter: WireMeter?, _ transfer: @escaping @Sendable (UnsafeMutableRawPointer) throws -> T
        ) async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(with: Result { try self.perform(meter: meter, transfer) })
                }
            }
        }

        private func perform<T>(meter: WireMeter?, _ transfer: (UnsafeMutableRawPointer) throws -> T) throws -> T {
            _ = CurlTransport.globalInit
            // A reset clears the options but keeps the open connection, so the next request can reuse it.
            if let handle { curl_easy_reset(handle) } else { handle = curl_easy_init() }
            guard let handle else {
                throw TransportError(
                    code: .local, message: LocalizedText(zh: "libcurl 初始化失败。", en: "libcurl could not start."))
            }
            self.meter = meter
            // libcurl closes a broken connection itself (an aborted download, a reset): its bytes are counted then.
            ccurl_easy_setopt_pointer(handle, CURLOPT_CLOSESOCKETDATA, Unmanaged.passUnretained(self).toOpaque())
            ccurl_easy_setopt_closesocket_callback(handle) { context, socket in
                Unmanaged<Connection>.fromOpaque(context!).takeUnretainedValue().count(socket, closing: true)
                return ccurl_close_socket(socket)
            }
            defer {
                var socket = curl_socket_t(CURL_SOCKET_BAD)
                if ccurl_easy_getinfo_socket(handle, &socket) == CURLE_OK, socket != CURL_SOCKET_BAD {
                    count(socket, closing: false)
                }
                self.meter = nil
            }
            return try transfer(handle)
        }

        private func count(_ socket: curl_socket_t, closing: Bool) {
            var sent: UInt64 = 0
            var received: UInt64 = 0
            if ccurl_socket_bytes(socket, &sent, &received) == 0 {
                let now = WireMeter.Count(sent: Int64(sent), received: Int64(received))
                // A new socket starts at one byte acknowledged: the SYN's sequence number, which carried no data.
                let before = counted[socket] ?? WireMeter.Count(sent: 1)
                meter?.add(WireMeter.Count(sent: now.sent - before.sent, received: now.received - before.received))
                counted[socket] = now
            }
            if closing { counted[socket] = nil }
        }
    }
}
