import Foundation
import SatchelCore
import Testing

/// Dating events by the boot they happened in: a true time learned once in a boot dates its instants before and
/// after, the platform wins over phones, and absurd times are ignored.
@Suite struct ClockAnchorTests {
    static let boot = "9145a5b3-5ead-4b77-8cf9-120202e96b56"
    static let trueTime: Double = 1_790_000_000

    @Test func anInstantIsDatedByItsBootsAnchorBeforeAndAfterItWasLearned() {
        var anchors = ClockAnchors()
        #expect(anchors.corrected(BootInstant(bootId: Self.boot, monotonic: 100)) == nil)
        let learned = anchors.learn(
            ClockAnchor(at: .init(bootId: Self.boot, monotonic: 500), trueTime: Self.trueTime, source: .platform))
        #expect(learned)
        let before = anchors.corrected(BootInstant(bootId: Self.boot, monotonic: 100))
        #expect(before?.time == Self.trueTime - 400)
        #expect(before?.source == .platform)
        #expect(anchors.corrected(BootInstant(bootId: Self.boot, monotonic: 560))?.time == Self.trueTime + 60)
        #expect(anchors.corrected(BootInstant(bootId: UUID().uuidString.lowercased(), monotonic: 100)) == nil)
        #expect(anchors.corrected(nil) == nil)
        let now = anchors.now(wallClock: Date(timeIntervalSince1970: 0), at: .init(bootId: Self.boot, monotonic: 510))
        #expect(now.timeIntervalSince1970 == Self.trueTime + 10)
    }

    @Test func thePlatformWinsOverPhones() {
        var anchors = ClockAnchors()
        let phones = ClockAnchor(at: .init(bootId: Self.boot, monotonic: 10), trueTime: Self.trueTime, source: .phones)
        let platform = ClockAnchor(
            at: .init(bootId: Self.boot, monotonic: 20), trueTime: Self.trueTime + 100, source: .platform)
        let learned = [anchors.learn(phones), anchors.learn(platform), anchors.learn(phones)]
        #expect(learned == [true, true, false], "phones replaced the platform's time")
        #expect(anchors.anchor(boot: Self.boot) == platform)
        // A platform time the kept anchor already predicts (to within a second) changes nothing and is not written.
        let same = ClockAnchor(
            at: .init(bootId: Self.boot, monotonic: 30), trueTime: Self.trueTime + 110.5, source: .platform)
        let learnedSame = anchors.learn(same)
        #expect(!learnedSame)
        // One that disagrees (the platform's clock was stepped) replaces it.
        let newer = ClockAnchor(
            at: .init(bootId: Self.boot, monotonic: 30), trueTime: Self.trueTime + 115, source: .platform)
        let replaced = anchors.learn(newer)
        #expect(replaced)
        #expect(anchors.anchors.count == 1)
    }

    @Test(arguments: [0, -1, 1_000_000, 253_402_300_799, Double.nan, Double.infinity, 1e300])
    func anAbsurdTimeIsIgnored(time: Double) {
        var anchors = ClockAnchors()
        let learned = anchors.learn(
            ClockAnchor(at: .init(bootId: Self.boot, monotonic: 1), trueTime: time, source: .platform))
        #expect(!learned)
        #expect(anchors.anchors.isEmpty)
    }

    @Test func onlyTheNewestBootsAreKept() throws {
        var anchors = ClockAnchors()
        for index in 0..<40 {
            anchors.learn(
                ClockAnchor(
                    at: .init(bootId: UUID().uuidString.lowercased(), monotonic: 1),
                    trueTime: Self.trueTime + Double(index),
                    source: .platform))
        }
        #expect(anchors.anchors.count == ClockAnchors.maxBoots)
        #expect(anchors.anchors.last?.trueTime == Self.trueTime + 39)
        let decoded = try JSONDecoder().decode(ClockAnchors.self, from: JSONEncoder().encode(anchors))
        #expect(decoded == anchors)
    }

    @Test func theBootIdAndTheMonotonicClockAreRead() throws {
        let first = try #require(BootInstant.now(), "no /proc/sys/kernel/random/boot_id")
        let second = try #require(BootInstant.now())
        #expect(first.bootId == second.bootId)
        #expect(second.monotonic >= first.monotonic)
        #expect(BootInstant.parseBootId("9145A5B3-5EAD-4B77-8CF9-120202E96B56\n") == Self.boot)
        #expect(BootInstant.parseBootId("not a boot id") == nil)
    }
}
