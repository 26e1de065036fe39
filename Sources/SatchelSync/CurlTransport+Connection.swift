import CCurl
import Dispatch
import SatchelCore

extension CurlTransport {
    /// One libcurl easy handle, kept for the life of a transport and its copies. libcurl keeps the connection it last
    /// used in the handle, so the requests of one sync session share one TCP connection instead of each paying a
    /// handshake. libcurl blocks and a handle must never be used by two threads at once, so transfers run one at a
    /// time on the connection's own serial queue, never on Swift's cooperative thread pool.
    final class Connection: @unchecked Sendable {
        // Unchecked: `handle` is touched only on `queue`, and in deinit, when nothing else can.
        private let queue = DispatchQueue(label: "satchel.curl")
        private var handle: UnsafeMutableRawPointer?

        init() {}

        deinit {
            if let handle { curl_easy_cleanup(handle) }
        }

        /// Runs `transfer` on the connection's queue with the handle, its options reset.
        func run<T: Sendable>(_ transfer: @escaping @Sendable (UnsafeMutableRawPointer) throws -> T) async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(with: Result { try self.perform(transfer) })
                }
            }
        }

        private func perform<T>(_ transfer: (UnsafeMutableRawPointer) throws -> T) throws -> T {
            _ = CurlTransport.globalInit
            // A reset clears the options but keeps the open connection, so the next request can reuse it.
            if let handle { curl_easy_reset(handle) } else { handle = curl_easy_init() }
            guard let handle else {
                throw TransportError(
                    code: .local, message: LocalizedText(zh: "libcurl 初始化失败。", en: "libcurl could not start."))
            }
            return try transfer(handle)
        }
    }
}
