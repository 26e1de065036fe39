import Foundation

/// Calendar arithmetic on the proleptic Gregorian calendar in UTC, without Foundation's Calendar (which costs
/// microseconds a call and loads ICU): Howard Hinnant's `days_from_civil` and `civil_from_days`.
public enum CivilDate {
    /// Days since 1970-01-01 of a date.
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01.
    public static func date(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `YYYY-MM-DD` for the UTC day `seconds` after 1970-01-01T00:00:00Z falls in.
    public static func dayKey(secondsSince1970 seconds: Double) -> String {
        let (year, month, day) = date(days: Int64((seconds / 86_400).rounded(.down)))
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    /// The day (since 1970-01-01) and the second within it of a count of seconds since 1970, before 1970 too.
    public static func split(seconds: Int64) -> (days: Int64, secondOfDay: Int64) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return (days, seconds - days * 86_400)
    }

    /// `HH:MM:SS` for a second of the day.
    public static func clock(_ secondOfDay: Int64) -> String {
        "\(padded(secondOfDay / 3600, 2)):\(padded(secondOfDay / 60 % 60, 2)):\(padded(secondOfDay % 60, 2))"
    }

    /// `value` in decimal with leading zeros up to `width` digits.
    public static func padded(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    /// `YYYY-MM-DD HH:MM:SS.SSS` in UTC, to the nearest millisecond: the text GRDB stores a `Date` as, made without a
    /// DateFormatter (which costs microseconds a call on the event log's hot path).
    public static func databaseText(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let (days, secondOfDay) = split(seconds: seconds)
        let (year, month, day) = CivilDate.date(days: days)
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2)) \(clock(secondOfDay))."
            + padded(milliseconds - seconds * 1000, 3)
    }
}
