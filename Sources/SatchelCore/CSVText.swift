/// CSV for spreadsheets on Chinese PCs: the UTF-8 byte order mark that makes Excel read UTF-8, and lines whose fields
/// are quoted where needed and cannot run as formulas. The node's school report and the platform's monitoring exports
/// write their files with it.
public enum CSVText {
    /// The byte order mark that tells Excel the file is UTF-8; without it Excel on a Chinese PC reads GBK and shows
    /// 数学 as 鏁板.
    public static let byteOrderMark = "\u{FEFF}"

    /// One CSV line; fields with commas, quotes or line breaks are quoted, and a leading =, +, - or @ is neutralised
    /// so that spreadsheets do not run it as a formula.
    public static func row(_ fields: [String]) -> String {
        fields.map { field in
            var value = field
            if let first = value.first, "=+-@".contains(first) { value = "'" + value }
            if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return value
        }.joined(separator: ",")
    }

    /// A whole file: the byte order mark, a header line, then one line per row, each ending in a line break.
    public static func document(header: [String], rows: [[String]]) -> String {
        byteOrderMark + ([row(header)] + rows.map(row)).map { $0 + "\n" }.joined()
    }
}
