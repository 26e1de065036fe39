import Foundation
import GRDB
import SatchelCore
import Testing

/// Event ids and timestamps as the event log writes them: time-ordered ids, and timestamps in exactly the text GRDB
/// itself stores a Date as, so that queries comparing them with bound dates keep working.
@Suite struct EventIdentityTests {
    @Test func timeOrderedIdsAreVersion7AndSortByTime() {
        var previous = ""
        for step in 0..<200 {
            let date = Date(timeIntervalSince1970: 1_764_000_000 + Double(step) * 0.0137)
            let id = UUID.timeOrdered(at: date)
            let text = id.uuidString.lowercased()
            let characters = Array(text)
            #expect(characters[14] == "7", "version nibble of \(text)")
            #expect("89ab".contains(characters[19]), "variant of \(text)")
            let milliseconds = UInt64(text.prefix(13).replacingOccurrences(of: "-", with: ""), radix: 16)
            #expect(milliseconds == UInt64((date.timeIntervalSince1970 * 1000).rounded(.down)))
            if Int(date.timeIntervalSince1970 * 1000) != Int((date.timeIntervalSince1970 - 0.0137) * 1000) {
                #expect(text > previous, "ids made later sort later")
            }
            previous = text
        }
        #expect(Set((0..<1000).map { _ in UUID.timeOrdered() }).count == 1000)
    }

    @Test func databaseTextIsWhatGRDBStoresForADate() {
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400.999)]
        for step in 0..<500 { dates.append(Date(timeIntervalSince1970: Double(step) * 7_654_321.123_4)) }
        for date in dates {
            let grdb = String.fromDatabaseValue(date.databaseValue)
            #expect(CivilDate.databaseText(date) == grdb, "\(date.timeIntervalSince1970)")
        }
    }
}
