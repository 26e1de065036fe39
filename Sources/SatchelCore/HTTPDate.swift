import Foundation

/// HTTP dates (RFC 9110 section 5.6.7), formatted and parsed by hand: no DateFormatter, whose ICU tables cost
/// megabytes of memory on first use and microseconds a call. Used by the node's server (Last-Modified, conditional
/// requests) and by sync (the platform's `Date` header).
public enum HTTPDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longWeekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `date` in IMF-fixdate form, `Sun, 06 Nov 1994 08:49:37 GMT`, to the second below.
    public static func format(_ date: Date) -> String {
        format(seconds: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    /// `seconds` since 1970 in IMF-fixdate form.
    public static func format(seconds: Int64) -> String {
        let (days, secondOfDay) = CivilDate.split(seconds: seconds)
        let (year, month, day) = CivilDate.date(days: days)
        let weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday
        return "\(weekdays[weekday]), \(CivilDate.padded(day, 2)) \(months[Int(month) - 1]) \(year) "
            + "\(CivilDate.clock(secondOfDay)) GMT"
    }

    /// Parses the three forms a recipient must accept (RFC 9110 5.6.7): IMF-fixdate, RFC 850 and asctime. Anything
    /// else, including impossible dates such as 31 February, is nil.
    public static func parse(_ text: String) -> Date? {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        var day: Int64?
        var month: Int64?
        var year: Int64?
        var clock: Substring?
        switch words.count {
        case 6:  // Sun, 06 Nov 1994 08:49:37 GMT
            guard words[0].hasSuffix(","), weekdays.contains(String(words[0].dropLast())), words[5] == "GMT",
                words[1].count == 2
            else { return nil }
            day = Int64(words[1])
            month = monthNumber(words[2])
            year = words[3].count == 4 ? Int64(words[3]) : nil
            clock = words[4]
        case 4:  // Sunday, 06-Nov-94 08:49:37 GMT
            guard words[0].hasSuffix(","), longWeekdays.contains(String(words[0].dropLast())), words[3] == "GMT"
            else { return nil }
            let parts = words[1].split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 2, parts[2].count == 2, let twoDigit = Int64(parts[2]) else {
                return nil
            }
            day = Int64(parts[0])
            month = monthNumber(parts[1])
            year = twoDigit < 70 ? 2000 + twoDigit : 1900 + twoDigit
            clock = words[2]
        case 5:  // Sun Nov  6 08:49:37 1994
            guard weekdays.contains(String(words[0])), words[2].count <= 2, words[4].count == 4 else { return nil }
            month = monthNumber(words[1])
            day = Int64(words[2])
            clock = words[3]
            year = Int64(words[4])
        default:
            return nil
        }
        guard let day, let month, let year, let clock, day >= 1, day <= daysIn(month: month, year: year) else {
            return nil
        }
        let fields = clock.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3, fields.allSatisfy({ $0.count == 2 && $0.allSatisfy { ("0"..."9").contains($0) } }),
            let hour = Int64(fields[0]), let minute = Int64(fields[1]), let second = Int64(fields[2]),
            hour < 24, minute < 60, second <= 60
        else { return nil }
        let days = CivilDate.days(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3600 + minute * 60 + min(second, 59)))
    }

    private static func monthNumber(_ name: Substring) -> Int64? {
        months.firstIndex(of: String(name)).map { Int64($0) + 1 }
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
