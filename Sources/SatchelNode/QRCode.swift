import CQRencode

/// A QR code for a short text such as a link, encoded by libqrencode (8-bit mode, error correction level M, case
/// sensitive, the smallest version that fits), with the two drawings Satchel shows: an SVG for the share page and
/// Unicode blocks for `satchel status` and `doctor` in a terminal.
public struct QRCode: Equatable, Sendable {
    /// The QR version libqrencode chose (1 to 40).
    public let version: Int
    /// The number of modules on each side, without the quiet zone (21 for version 1, 4 more for each version).
    public let width: Int
    /// The modules row by row, `true` for a dark one.
    private let modules: [Bool]

    /// The light border, in modules, that every drawing keeps around the code so that a camera finds its edges.
    public static let quietZone = 4

    /// Encodes `text`, or nil when it holds a NUL byte or is too long for a QR code.
    public init?(_ text: String) {
        guard !text.utf8.contains(0),
            let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1)
        else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        version = Int(code.pointee.version)
        self.width = width
        // Bit 0 of each byte is the module's colour; the other bits say what kind of module it is.
        modules = UnsafeBufferPointer(start: code.pointee.data, count: width * width).map { $0 & 1 == 1 }
    }

    /// Whether the module at `row` and `column` (from the top left, without the quiet zone) is dark; outside the code,
    /// in the quiet zone, every module is light.
    public func isDark(row: Int, column: Int) -> Bool {
        guard (0..<width).contains(row), (0..<width).contains(column) else { return false }
        return modules[row * width + column]
    }

    /// The code as an inline SVG: a white square with the quiet zone and one black `<path>` of the dark modules, its
    /// view box counted in modules. It has no width or height of its own: the page sizes it with CSS.
    public var svg: String {
        let side = width + 2 * Self.quietZone
        var path = ""
        for row in 0..<width {
            var column = 0
            while column < width {
                guard isDark(row: row, column: column) else {
                    column += 1
                    continue
                }
                let start = column
                while column < width, isDark(row: row, column: column) { column += 1 }
                let run = column - start
                path += "M\(start + Self.quietZone) \(row + Self.quietZone)h\(run)v1h-\(run)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    /// The code as lines of Unicode half blocks, two module rows to a line, with the quiet zone.
    ///
    /// A block is drawn where a module is light and a space is left where it is dark, so the code reads right on a
    /// terminal with light text on a dark background (the Linux console, most SSH clients): the terminal's text colour
    /// is the code's light and its background the code's dark. On a dark-on-light terminal the drawing is inverted,
    /// which many phone cameras still read but not all; `satchel status` prints the address as text above it.
    public var terminalText: String {
        let range = -Self.quietZone..<(width + Self.quietZone)
        var lines: [String] = []
        for top in stride(from: range.lowerBound, to: range.upperBound, by: 2) {
            var line = ""
            for column in range {
                let upper = !isDark(row: top, column: column)
                let lower = top + 1 < range.upperBound && !isDark(row: top + 1, column: column)
                switch (upper, lower) {
                case (true, true): line += "█"
                case (true, false): line += "▀"
                case (false, true): line += "▄"
                case (false, false): line += " "
                }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
