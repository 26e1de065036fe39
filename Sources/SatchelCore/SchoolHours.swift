import Foundation

/// A daily time window such as `08:00-17:00`, in local time, for bandwidth caps that differ by time of day.
public struct SchoolHours: Sendable, Equatable {
    /// Minutes after midnight.
    public var start: Int
    /// Minutes after midnight; before `start` when the window spans midnight.
    public var end: Int

    /// Parses `HH:MM-HH:MM`.
    public init?(text: String) {
        let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let start = Self.minutes(parts[0]), let end = Self.minutes(parts[1]) else { return nil }
        self.start = start
        self.end = end
    }

    /// Whether `date` falls inside the window.
    public func contains(_ date: Date, calendar: Calendar = .current) -> Bool {
        let components = calendar.dateComponents([.hour, .minute], from: date)
        let minute = (components.hour ?? 0) * 60 + (components.minute ?? 0)
        return start <= end ? (start <= minute && minute < end) : (minute >= start || minute < end)
    }

    private static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour),
            (0..<60).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }
}
