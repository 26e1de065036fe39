/// Formats byte counts the way a phone or a Chinese PC shows file sizes: KB, MB and GB.
public enum ByteCount {
    /// `1500` becomes `1.5 KB`, `500_000_000` becomes `500 MB`; values below 1 KB stay in bytes.
    ///
    /// The units are decimal (1 KB = 1000 bytes), as phones and disk labels count them; one decimal place is shown
    /// below 100 of a unit, none above.
    public static func human(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let rounded = abs(value) >= 100 ? value.rounded() : (value * 10).rounded() / 10
        let text = rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
        return "\(text) \(units[unit])"
    }
}
