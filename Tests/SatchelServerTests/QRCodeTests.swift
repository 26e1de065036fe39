import Foundation
import SatchelNode
import SatchelTestSupport
import Testing

/// The QR codes of the share page and of `satchel status`: encoded by libqrencode, drawn as SVG and as terminal
/// blocks, and read back by a real decoder (zbarimg).
@Suite struct QRCodeTests {
    static let link = "http://192.168.1.20:8080/resources/demo/lesson-1"

    @Test func aLinkEncodesAtTheSizeLibqrencodeGivesWithFinderPatternsAndAQuietZone() throws {
        let code = try #require(QRCode(Self.link))
        // 48 bytes at level M need version 4 (version 3 holds 42 in 8-bit mode): 33 modules a side.
        #expect(code.version == 4)
        #expect(code.width == 33)
        #expect(code.width == 17 + 4 * code.version)
        // The three finder patterns: a dark 7x7 ring, a light ring inside it, a dark 3x3 centre.
        for (top, left) in [(0, 0), (0, code.width - 7), (code.width - 7, 0)] {
            for row in 0..<7 {
                for column in 0..<7 {
                    let ring = max(abs(row - 3), abs(column - 3))
                    #expect(
                        code.isDark(row: top + row, column: left + column) == (ring != 2),
                        "finder at (\(top), \(left)): module (\(row), \(column))")
                }
            }
        }
        // No finder at the fourth corner, and every module of the quiet zone is light.
        #expect(!(0..<7).allSatisfy { code.isDark(row: code.width - 1, column: code.width - 1 - $0) })
        for index in -QRCode.quietZone..<(code.width + QRCode.quietZone) {
            for outside in [-1, -QRCode.quietZone, code.width, code.width + QRCode.quietZone - 1] {
                #expect(!code.isDark(row: outside, column: index) && !code.isDark(row: index, column: outside))
            }
        }
        #expect(QRCode("a\u{0}b") == nil)
        #expect(QRCode(String(repeating: "x", count: 4000)) == nil)
    }

    @Test func theSVGPathCoversExactlyTheDarkModulesAndDecodesToTheLink() throws {
        let code = try #require(QRCode(Self.link))
        let svg = code.svg
        let side = code.width + 2 * QRCode.quietZone
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.contains("shape-rendering=\"crispEdges\""))
        #expect(!svg.contains("width=\"\(side * 2)") && !svg.contains(" height=\"1"))
        #expect(svg.components(separatedBy: "<path").count == 2, "one path")
        let data = try #require(svg.split(separator: "d=\"").last?.split(separator: "\"").first)
        // Each run is `Mx yhNv1h-Nz`: N dark modules from (x, y) on one row.
        var painted = Set<[Int]>()
        for run in data.split(separator: "z") {
            let numbers = run.split { !"0123456789".contains($0) }.compactMap { Int($0) }
            try #require(numbers.count == 5, "run \(run)")
            let (x, y, length) = (numbers[0], numbers[1], numbers[2])
            #expect(numbers[3] == 1 && numbers[4] == length)
            for column in x..<(x + length) { #expect(painted.insert([y, column]).inserted, "painted twice") }
        }
        var dark = Set<[Int]>()
        for row in 0..<code.width {
            for column in 0..<code.width where code.isDark(row: row, column: column) {
                dark.insert([row + QRCode.quietZone, column + QRCode.quietZone])
            }
        }
        #expect(painted == dark)
        let rows = (0..<side).map { row in (0..<side).map { painted.contains([row, $0]) } }
        let folder = TemporaryDirectory("qr")
        let image = try BarcodeReader.writeImage(rows, to: folder.file("svg.pgm"))
        #expect(try BarcodeReader.decode(image) == [Self.link])
    }

    @Test func theTerminalBlocksReadAsLightModulesOnADarkTerminalAndDecodeToTheLink() throws {
        let code = try #require(QRCode(Self.link))
        let lines = code.terminalText.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init)
        let side = code.width + 2 * QRCode.quietZone
        #expect(lines.count == (side + 1) / 2)
        #expect(lines.allSatisfy { $0.count == side })
        #expect(lines.joined().allSatisfy { "█▀▄ ".contains($0) })
        // The quiet zone's top two rows are light: full blocks on a dark terminal.
        #expect(lines[0].allSatisfy { $0 == "█" })
        let rows = BarcodeReader.modules(ofTerminalText: code.terminalText)
        try #require(rows.count == side)
        for row in 0..<code.width {
            for column in 0..<code.width {
                let cell = rows[row + QRCode.quietZone][column + QRCode.quietZone]
                #expect(cell == code.isDark(row: row, column: column), "module (\(row), \(column))")
            }
        }
        // Drawn as a phone's camera sees that screen (blank halves dark, blocks light), the code reads as the link.
        let folder = TemporaryDirectory("qr")
        let image = try BarcodeReader.writeImage(rows, to: folder.file("terminal.pgm"))
        #expect(try BarcodeReader.decode(image) == [Self.link])
    }
}
