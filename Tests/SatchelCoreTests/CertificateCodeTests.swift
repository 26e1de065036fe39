import Foundation
import SatchelCore
import Testing

/// The certificate statement's canonical bytes and the code's text: one encoding per statement, forgiving of the slips
/// of a person copying by hand, and strict about everything else.
@Suite struct CertificateCodeTests {
    static let statement = CertificateStatement(
        nodeId: "node-0123456789ab", teacherName: "李老师", teacherNumber: "T-7", schoolCode: "S-042",
        bundleId: "ict", courseTitle: "信息技术应用能力培训", creditedTenths: 35, modulesCompleted: 2,
        modulesTotal: 5, enrolledDay: 20_600, completedDay: 20_610, issuedDay: 20_611)
    static let signature = Data((0..<64).map { UInt8($0 * 3 % 256) })

    @Test func aStatementAndItsCodeReadBackExactly() throws {
        let payload = try Self.statement.encoded()
        #expect(try CertificateStatement(encoded: payload) == Self.statement)
        let code = CertificateCode.text(payload: payload, signature: Self.signature)
        #expect(code.split(separator: " ").allSatisfy { $0.count <= 5 })
        let parsed = try CertificateCode.parse(code)
        #expect(parsed.payload == payload && parsed.signature == Self.signature)
        let length = CertificateCode.compact(code).count
        #expect(length < 260, "a typical code stays short enough to type: \(length) characters")
        #expect(Self.statement.hoursText == "3.5")
        #expect(CertificateStatement.dateText(day: 20_611) == "2026-06-07")
    }

    @Test func slipsOfHandCopyingReadTheSame() throws {
        let code = CertificateCode.compact(
            CertificateCode.text(payload: try Self.statement.encoded(), signature: Self.signature))
        let sloppy = code.lowercased().replacingOccurrences(of: "0", with: "o").replacingOccurrences(of: "1", with: "l")
        let grouped = stride(from: 0, to: sloppy.count, by: 4).map { start in
            String(sloppy.dropFirst(start).prefix(4))
        }.joined(separator: "-\n")
        #expect(try CertificateCode.parse(grouped).payload == CertificateCode.parse(code).payload)
    }

    static func code(_ payload: [UInt8]) -> String {
        CertificateCode.text(payload: Data(payload), signature: signature)
    }

    static let hostile: [(String, String)] = {
        let valid = Array(try! statement.encoded())
        var wrongVersion = valid
        wrongVersion[0] = 2
        var badUTF8 = valid
        badUTF8[2] = 0xFF
        let control = Array(
            try! CertificateStatement(
                nodeId: "n", teacherName: "ok", teacherNumber: "", schoolCode: "", bundleId: "", courseTitle: "",
                creditedTenths: 0, modulesCompleted: 0, modulesTotal: 0, enrolledDay: 0, completedDay: 0, issuedDay: 0
            ).encoded())
        var withControl = control
        withControl[4] = 0x07
        // An overlong number: 0 written as two bytes.
        let overlong = Array(valid.dropLast()) + [0x80, 0x00]
        let compact = CertificateCode.compact(code(valid))
        return [
            ("empty", ""),
            ("not the alphabet", "HELLO WORLD!"),
            ("U is not in the alphabet", String(compact.dropLast()) + "U"),
            ("too long", String(repeating: "A", count: CertificateCode.maxTextLength + 1)),
            ("a character missing", String(compact.dropLast())),
            ("signature only", CertificateCode.text(payload: Data(), signature: signature)),
            ("a byte after the last field", code(valid + [0])),
            ("a field cut short", code(Array(valid.prefix(10)))),
            ("another version", code(wrongVersion)),
            ("invalid UTF-8", code(badUTF8)),
            ("a control character", code(withControl)),
            ("an overlong number", code(overlong)),
        ]
    }()

    @Test(arguments: hostile) func hostileTextIsRefusedAsNotACode(_ item: (String, String)) {
        #expect(throws: CertificateError.self, "\(item.0)") {
            let (payload, _) = try CertificateCode.parse(item.1)
            _ = try CertificateStatement(encoded: payload)
        }
    }

    @Test func unusedBitsMustBeZeroSoThatOneCodeHasOneText() throws {
        // 151 bytes fill 242 characters with 2 bits to spare.
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        let clean = CertificateCode.compact(
            CertificateCode.text(payload: Data(repeating: 7, count: 87), signature: Self.signature))
        #expect(clean.count == 242)
        _ = try CertificateCode.parse(clean)
        var dirty = clean
        let last = try #require(alphabet.firstIndex(of: dirty.removeLast()))
        dirty.append(alphabet[last | 1])
        #expect(throws: CertificateError.self) { try CertificateCode.parse(dirty) }
    }

    @Test func fieldsThatCannotBeShownAsTheyAreAreNotEncoded() {
        var statement = Self.statement
        statement.teacherName = "李\u{202E}师"
        #expect(throws: CertificateError.self) { try statement.encoded() }
        statement.teacherName = String(repeating: "长", count: 100)
        #expect(throws: CertificateError.self) { try statement.encoded() }
        statement.teacherName = "李老师"
        statement.creditedTenths = -1
        #expect(throws: CertificateError.self) { try statement.encoded() }
        let fitted = CertificateStatement.fitted(String(repeating: "课", count: 100))
        #expect(fitted.utf8.count <= CertificateStatement.maxFieldBytes && fitted.hasSuffix("…"))
        #expect(CertificateStatement.tenths(ofHours: 1.25) == 13 && CertificateStatement.tenths(ofHours: .nan) == 0)
    }
}
