import Foundation
import Hummingbird
import SatchelHTTP

/// Delays after wrong passwords, kept per account and client and per client, instead of a lock on the account that
/// anyone could set: a stranger's wrong guesses slow that stranger down, never the account's owner on another device.
///
/// After ``freeFailures`` wrong passwords for one account from one client address, that client must wait 1 s before
/// its next try on that account, then 2 s, 4 s and so on up to ``maxDelay``. A client that fails on many accounts
/// waits the same way once it has ``freeClientFailures`` failures in all. A success clears the client's count for
/// that account; counts are forgotten after ``memory`` without a failure. Registrations are limited per client to
/// ``registrationsPerWindow`` in ``registrationWindow``. Held in memory: a restart forgets it, which only the node's
/// own operator can cause. The node's teacher logins and the platform's operator logins use it.
public final class LoginThrottle: @unchecked Sendable {
    /// Wrong passwords one client may make for one account before it has to wait.
    public static let freeFailures = 3
    /// Wrong passwords one client may make across all accounts before it has to wait.
    public static let freeClientFailures = 10
    /// The longest wait.
    public static let maxDelay: TimeInterval = 15 * 60
    /// How long a count is kept after its last failure.
    public static let memory: TimeInterval = 60 * 60
    /// Registrations one client may make per ``registrationWindow``; a class behind one NAT address still gets in.
    public static let registrationsPerWindow = 10
    /// The window of ``registrationsPerWindow``.
    public static let registrationWindow: TimeInterval = 10 * 60
    /// The client name used when the request context does not know the address.
    public static let unknownClient = Request.unknownClient
    /// The most clients and pairs remembered; beyond it the oldest are dropped.
    public static let maxRecords = 20_000

    private struct Record {
        var failures: Int
        var lastFailure: Date
        var waitUntil: Date
    }

    /// An empty throttle.
    public init() {}

    private let lock = NSLock()
    private var pairs: [String: Record] = [:]
    private var clients: [String: Record] = [:]
    private var registrations: [String: [Date]] = [:]

    /// How long `client` must still wait before it may try a password for `username`; nil when it may try now.
    public func wait(client: String, username: String, now: Date = Date()) -> TimeInterval? {
        lock.withLock {
            let until = max(
                pairs[Self.key(client, username)]?.waitUntil ?? .distantPast, clients[client]?.waitUntil ?? .distantPast
            )
            return until > now ? until.timeIntervalSince(now) : nil
        }
    }

    /// Counts a wrong password from `client` for `username`.
    public func recordFailure(client: String, username: String, now: Date = Date()) {
        lock.withLock {
            if pairs.count + clients.count > Self.maxRecords { forgetOld(now: now) }
            Self.count(&pairs[Self.key(client, username)], free: Self.freeFailures, now: now)
            // Without an address every client is one, and a tally for all of them would let one slow down all.
            if client != Self.unknownClient {
                Self.count(&clients[client], free: Self.freeClientFailures, now: now)
            }
        }
    }

    /// Forgets `client`'s wrong passwords for `username` after it logged in.
    public func recordSuccess(client: String, username: String) {
        lock.withLock { pairs[Self.key(client, username)] = nil }
    }

    /// Forgets every client's wrong passwords for `username`, after an admin set a new password.
    public func forget(username: String) {
        lock.withLock { pairs = pairs.filter { !$0.key.hasSuffix("\u{0}" + username) } }
    }

    /// Whether `client` may register another account now; counts the registration when it may.
    public func allowRegistration(client: String, now: Date = Date()) -> Bool {
        lock.withLock {
            if registrations.count > Self.maxRecords { registrations.removeAll() }
            let recent = (registrations[client] ?? []).filter { now.timeIntervalSince($0) < Self.registrationWindow }
            guard recent.count < Self.registrationsPerWindow else {
                registrations[client] = recent
                return false
            }
            registrations[client] = recent + [now]
            return true
        }
    }

    private static func count(_ record: inout Record?, free: Int, now: Date) {
        var current = record ?? Record(failures: 0, lastFailure: now, waitUntil: .distantPast)
        if now.timeIntervalSince(current.lastFailure) > memory { current.failures = 0 }
        current.failures += 1
        current.lastFailure = now
        if current.failures >= free {
            let exponent = min(current.failures - free, 20)
            current.waitUntil = now.addingTimeInterval(min(Double(1 << exponent), maxDelay))
        }
        record = current
    }

    private func forgetOld(now: Date) {
        pairs = pairs.filter { now.timeIntervalSince($0.value.lastFailure) < Self.memory }
        clients = clients.filter { now.timeIntervalSince($0.value.lastFailure) < Self.memory }
        if pairs.count + clients.count > Self.maxRecords {
            pairs.removeAll()
            clients.removeAll()
        }
    }

    private static func key(_ client: String, _ username: String) -> String { client + "\u{0}" + username }
}
