import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A moment named by the boot it happened in and the seconds since that boot (CLOCK_BOOTTIME, which keeps counting
/// through suspend and is never set). A board without a real-time clock may boot at 1970 or at its last shutdown
/// time, but two instants of the same boot are always exactly as far apart as their monotonic seconds say, so a
/// true time learned once in a boot dates every moment of that boot.
public struct BootInstant: Sendable, Hashable, Codable {
    /// The kernel's random id of the boot (`/proc/sys/kernel/random/boot_id`), lowercased.
    public var bootId: String
    /// Seconds since the boot, by CLOCK_BOOTTIME (CLOCK_MONOTONIC where there is no CLOCK_BOOTTIME).
    public var monotonic: Double

    /// An instant of boot `bootId`, `monotonic` seconds after it started.
    public init(bootId: String, monotonic: Double) {
        self.bootId = bootId
        self.monotonic = monotonic
    }

    /// The current instant, or nil where the system has no boot id (not Linux): then nothing can be corrected.
    public static func now() -> BootInstant? {
        guard let bootId = currentBootId else { return nil }
        return BootInstant(bootId: bootId, monotonic: monotonicSeconds())
    }

    /// The boot id, read once per process: it cannot change while the process runs.
    public static let currentBootId: String? = {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else {
            return nil
        }
        return parseBootId(text)
    }()

    /// A boot id from the text of `/proc/sys/kernel/random/boot_id`, or nil when it is not a UUID.
    public static func parseBootId(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return UUID(uuidString: trimmed) == nil ? nil : trimmed
    }

    /// Seconds since boot. libfaketime leaves this clock alone with `FAKETIME_DONT_FAKE_MONOTONIC=1`.
    public static func monotonicSeconds() -> Double {
        var time = timespec()
        #if os(Linux)
            clock_gettime(CLOCK_BOOTTIME, &time)
        #else
            clock_gettime(CLOCK_MONOTONIC, &time)
        #endif
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1_000_000_000
    }
}
