import Foundation
import SatchelCore
import SatchelStore
import SatchelTestSupport
import Testing

@testable import SatchelServer

/// Without the platform, the node takes the median of logged-in teachers' phone clocks; absurd phones are ignored,
/// samples are bounded, and the platform's time always wins.
@Suite struct PhoneClocksTests {
    static let trueTime: Double = 1_790_000_000

    @Test func theMedianOfRecentPhonesDatesTheBootUnlessThePlatformDid() throws {
        let test = try TestNode()
        let database = test.node.database
        let bootId = UUID().uuidString.lowercased()
        let clocks = PhoneClocks(database: database)
        let at = { (monotonic: Double) in BootInstant(bootId: bootId, monotonic: monotonic) }
        // A phone of year 9999 and one of 1970 are not samples at all.
        clocks.record(clientTimeMilliseconds: 253_402_300_799_000, teacherId: UUID(), at: at(10))
        clocks.record(clientTimeMilliseconds: 0, teacherId: UUID(), at: at(10))
        #expect(try database.clockAnchors().anchors.isEmpty)

        // Three teachers, one of whose phones is an hour fast; the first sample dates the boot at once, the next
        // ones only after a minute, by the median.
        let teachers = [UUID(), UUID(), UUID()]
        clocks.record(clientTimeMilliseconds: (Self.trueTime + 3600) * 1000, teacherId: teachers[0], at: at(100))
        #expect(try database.clockAnchors().anchor(boot: bootId)?.trueTime == Self.trueTime + 3600)
        clocks.record(clientTimeMilliseconds: (Self.trueTime + 10) * 1000, teacherId: teachers[1], at: at(110))
        clocks.record(clientTimeMilliseconds: (Self.trueTime + 170) * 1000, teacherId: teachers[2], at: at(170))
        let anchor = try #require(try database.clockAnchors().anchor(boot: bootId))
        #expect(anchor.source == .phones)
        #expect(abs(anchor.trueTime(of: at(170))! - (Self.trueTime + 170)) < 0.001, "the median is the honest phones")

        // The platform's time is not replaced by phones.
        try database.learnClock(ClockAnchor(at: at(200), trueTime: Self.trueTime + 205, source: .platform))
        clocks.record(clientTimeMilliseconds: (Self.trueTime + 9000) * 1000, teacherId: teachers[0], at: at(300))
        #expect(try database.clockAnchors().anchor(boot: bootId)?.source == .platform)
        #expect(PhoneClocks.median([3, 1, 2]) == 2)
        #expect(PhoneClocks.median([4, 1, 3, 2]) == 2.5)
    }
}
