import Foundation

/// Reads QR codes from images with `zbarimg` (Debian zbar-tools, which CI installs): a real decoder, so that a test
/// proves a phone could read what Satchel draws.
public enum BarcodeReader {
    /// `zbarimg` is not installed.
    public struct Missing: Error, CustomStringConvertible {
        public var description: String { "zbarimg is not installed: run sudo apt-get install zbar-tools" }
    }

    /// The texts of the QR codes `zbarimg` finds in the image at `path`, one per code; none when it finds none.
    public static func decode(_ path: String) throws -> [String] {
        let program = ["/usr/bin/zbarimg", "/usr/local/bin/zbarimg"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard let program else { throw Missing() }
        // zbarimg exits 4 when it finds no code; the empty answer says so.
        let run = try ProcessRunner.run(binary: program, ["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", path])
        return run.stdout.split(separator: "\n").map(String.init)
    }

    /// Writes `rows` (`true` for dark) as a greyscale PGM image with each cell `scale` pixels square and a light
    /// border of `border` cells, and returns `path`.
    @discardableResult
    public static func writeImage(_ rows: [[Bool]], scale: Int = 8, border: Int = 0, to path: String) throws -> String {
        let columns = (rows.map(\.count).max() ?? 0) + 2 * border
        let padded =
            Array(repeating: [Bool](repeating: false, count: columns), count: border)
            + rows.map { [Bool](repeating: false, count: border) + $0 + [Bool](repeating: false, count: border) }
            + Array(repeating: [Bool](repeating: false, count: columns), count: border)
        var bytes = [UInt8]("P5\n\(columns * scale) \(padded.count * scale)\n255\n".utf8)
        for row in padded {
            let line = row.flatMap { [UInt8](repeating: $0 ? 0 : 255, count: scale) }
            for _ in 0..<scale { bytes += line }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The modules (`true` for dark) of a QR code printed in half blocks by `satchel status` for a terminal with light
    /// text on a dark background: a glyph's upper and lower halves are two module rows, a drawn half is light and a
    /// blank half dark. A last row past an odd number of module rows is dropped.
    public static func modules(ofTerminalText text: String) -> [[Bool]] {
        let lines = text.split(separator: "\n").map(Array.init)
        var rows: [[Bool]] = []
        for line in lines {
            rows.append(line.map { $0 == " " || $0 == "▄" })
            rows.append(line.map { $0 == " " || $0 == "▀" })
        }
        // The quiet zone is as wide as it is tall: the rows past the width are the last glyphs' unused halves.
        return Array(rows.prefix(lines.first?.count ?? 0))
    }
}
