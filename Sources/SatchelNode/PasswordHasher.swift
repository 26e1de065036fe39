import Crypto
import Foundation
import NIOPosix
import _CryptoExtras

/// Hashes PINs and passwords with scrypt (N=2^14, r=8, p=1: about 16 MiB and tens of milliseconds per check), so a
/// copied database does not give away short PINs cheaply. Stored as `scrypt$N$r$p$salt$hash` in base64.
public enum PasswordHasher {
    private static let rounds = 1 << 14
    private static let blockSize = 8
    private static let parallelism = 1

    /// The one thread that runs scrypt for the web UI: hashing never runs on the threads that serve pages, and at
    /// most one core hashes at a time whatever the number of clients logging in or registering.
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// ``hash(_:)`` on the hashing thread.
    public static func hashInBackground(_ password: String) async throws -> String {
        try await pool.runIfActive { try hash(password) }
    }

    /// ``verify(_:against:)`` on the hashing thread.
    public static func verifyInBackground(_ password: String, against stored: String) async -> Bool {
        (try? await pool.runIfActive { verify(password, against: stored) }) ?? false
    }

    /// Hashes `password` with a fresh random salt.
    public static func hash(_ password: String) throws -> String {
        let salt = Data((0..<16).map { _ in UInt8.random(in: 0...255) })
        let key = try derive(password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        return "scrypt$\(rounds)$\(blockSize)$\(parallelism)$\(salt.base64EncodedString())$\(key.base64EncodedString())"
    }

    /// Whether `password` matches `stored`, compared in constant time.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 6, parts[0] == "scrypt", let rounds = Int(parts[1]), let blockSize = Int(parts[2]),
            let parallelism = Int(parts[3]), let salt = Data(base64Encoded: parts[4]),
            let expected = Data(base64Encoded: parts[5]), rounds <= 1 << 20,
            let actual = try? derive(
                password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        else { return false }
        guard actual.count == expected.count else { return false }
        return zip(actual, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func derive(
        _ password: String, salt: Data, rounds: Int, blockSize: Int, parallelism: Int
    ) throws
        -> Data
    {
        let key = try KDF.Scrypt.deriveKey(
            from: Data(password.utf8), salt: salt, outputByteCount: 32, rounds: rounds, blockSize: blockSize,
            parallelism: parallelism)
        return key.withUnsafeBytes { Data($0) }
    }
}
