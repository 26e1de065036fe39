import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A raw TCP connection to a loopback server, for requests no HTTP client would send: a head that announces a body
/// and never sends it, a body far over a limit.
public final class LoopbackSocket: @unchecked Sendable {
    private let descriptor: Int32

    /// Connects to `127.0.0.1:port`; reads give up after `receiveTimeout` seconds.
    public init(port: Int, receiveTimeout: Int = 10) throws {
        descriptor = try Self.connect(port: port, receiveTimeout: receiveTimeout)
    }

    /// Opens a TCP connection to `127.0.0.1:port` from the loopback address `source` (so that a server's limits per
    /// address can tell clients apart) and returns its descriptor; reads give up after `receiveTimeout` seconds.
    public static func connect(port: Int, from source: String = "127.0.0.1", receiveTimeout: Int = 10) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(descriptor)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw POSIXError(.ECONNREFUSED)
        }
        var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return descriptor
    }

    deinit { close(descriptor) }

    /// Sends all of `bytes`; false when the server closed the connection first.
    @discardableResult
    public func send(_ bytes: some Collection<UInt8>) -> Bool {
        let array = Array(bytes)
        var sent = 0
        while sent < array.count {
            let count = array.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + sent, array.count - sent, Int32(MSG_NOSIGNAL))
            }
            if count <= 0 { return false }
            sent += count
        }
        return true
    }

    /// Sends `text` as UTF-8; false when the server closed the connection first.
    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until the server closes the connection or the receive timeout passes: what arrived, and whether the
    /// server closed.
    public func readToEnd() -> (text: String, closed: Bool) {
        Self.readToEnd(descriptor)
    }

    /// ``readToEnd()`` on a descriptor from ``connect(port:from:receiveTimeout:)``. A server that closes with input
    /// unread resets the connection: that counts as closed too.
    public static func readToEnd(_ descriptor: Int32) -> (text: String, closed: Bool) {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return (String(decoding: data, as: UTF8.self), true) }
            if count < 0 { return (String(decoding: data, as: UTF8.self), errno == ECONNRESET) }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    /// Reads until the answer's head has arrived (or the connection ends) and returns its status line.
    public func readStatusLine() -> String {
        var data = [UInt8]()
        var byte: UInt8 = 0
        while data.last != UInt8(ascii: "\n"), recv(descriptor, &byte, 1, 0) == 1 { data.append(byte) }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
