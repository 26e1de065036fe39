import Foundation

/// What a training certificate states: that a teacher of a school was credited hours in one course on one node.
///
/// The node signs the statement's canonical bytes with its Ed25519 key and prints them with the signature as a
/// ``CertificateCode``; the platform reads the same bytes back and checks the signature with the key the node
/// registered at enrolment. Version 1 bytes, in this order, with no gaps and nothing after:
///
/// | field | encoding |
/// |---|---|
/// | version | one byte, `1` |
/// | nodeId, teacherName, teacherNumber, schoolCode, bundleId, courseTitle | each a length (varint) and that many bytes of UTF-8 |
/// | creditedTenths, modulesCompleted, modulesTotal | varints |
/// | enrolledDay, completedDay, issuedDay | varints: days since 1970-01-01 on the school's calendar |
///
/// A varint is unsigned LEB128 in its shortest form. Reading is strict, so one statement has exactly one encoding
/// and a signature covers exactly what is shown.
public struct CertificateStatement: Sendable, Hashable {
    /// The format version this code writes and reads.
    public static let formatVersion: UInt8 = 1
    /// The most UTF-8 bytes any text field may hold.
    public static let maxFieldBytes = 200
    /// The largest number any count field may hold: hours in tenths, modules, days.
    public static let maxNumber: Int64 = 1_000_000

    /// The node that signs the statement, as the platform named it at enrolment.
    public var nodeId: String
    /// The teacher's name as registered on the node.
    public var teacherName: String
    /// The teacher's number, or "" when the teacher has none.
    public var teacherNumber: String
    /// The school's code at the platform.
    public var schoolCode: String
    /// The training bundle's id.
    public var bundleId: String
    /// The course's title as the node knew it (Chinese, or English when the course has no Chinese title).
    public var courseTitle: String
    /// The hours credited, in tenths of an hour.
    public var creditedTenths: Int64
    /// The modules completed.
    public var modulesCompleted: Int64
    /// The modules the course has.
    public var modulesTotal: Int64
    /// The day the teacher enrolled (days since 1970-01-01).
    public var enrolledDay: Int64
    /// The day of the latest completed module.
    public var completedDay: Int64
    /// The day the certificate was printed.
    public var issuedDay: Int64

    /// A statement from its fields.
    public init(
        nodeId: String, teacherName: String, teacherNumber: String, schoolCode: String, bundleId: String,
        courseTitle: String, creditedTenths: Int64, modulesCompleted: Int64, modulesTotal: Int64,
        enrolledDay: Int64, completedDay: Int64, issuedDay: Int64
    ) {
        self.nodeId = nodeId
        self.teacherName = teacherName
        self.teacherNumber = teacherNumber
        self.schoolCode = schoolCode
        self.bundleId = bundleId
        self.courseTitle = courseTitle
        self.creditedTenths = creditedTenths
        self.modulesCompleted = modulesCompleted
        self.modulesTotal = modulesTotal
        self.enrolledDay = enrolledDay
        self.completedDay = completedDay
        self.issuedDay = issuedDay
    }

    /// The hours credited as people write them: `2`, `1.5`.
    public var hoursText: String {
        creditedTenths % 10 == 0 ? String(creditedTenths / 10) : "\(creditedTenths / 10).\(creditedTenths % 10)"
    }

    /// The statement as labelled lines a person reads, in the order a certificate shows them: what a verifier prints.
    public var lines: [(label: LocalizedText, value: String)] {
        [
            (
                LocalizedText(zh: "教师", en: "Teacher"),
                teacherNumber.isEmpty ? teacherName : "\(teacherName) (\(teacherNumber))"
            ),
            (LocalizedText(zh: "学校代码", en: "School code"), schoolCode),
            (LocalizedText(zh: "培训课程", en: "Course"), "\(courseTitle) [\(bundleId)]"),
            (LocalizedText(zh: "认定学时", en: "Hours credited"), hoursText),
            (LocalizedText(zh: "完成单元", en: "Modules completed"), "\(modulesCompleted) / \(modulesTotal)"),
            (LocalizedText(zh: "参加日期", en: "Enrolled"), Self.dateText(day: enrolledDay)),
            (LocalizedText(zh: "完成日期", en: "Completed"), Self.dateText(day: completedDay)),
            (LocalizedText(zh: "签发日期", en: "Issued"), Self.dateText(day: issuedDay)),
            (LocalizedText(zh: "签发的学校服务器", en: "Signed by the school's server"), nodeId),
        ]
    }

    /// Hours rounded to the tenth a statement holds (half away from zero).
    public static func tenths(ofHours hours: Double) -> Int64 {
        guard hours.isFinite, hours > 0 else { return 0 }
        return Int64(min((hours * 10).rounded(.toNearestOrAwayFromZero), Double(maxNumber)))
    }

    /// The day (since 1970-01-01) that `date` falls on in `timeZone`.
    public static func day(of date: Date, in timeZone: TimeZone) -> Int64 {
        let local = date.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: date))
        return Int64((local / 86_400).rounded(.down))
    }

    /// `YYYY-MM-DD` for a day since 1970-01-01.
    public static func dateText(day: Int64) -> String {
        let (year, month, dayOfMonth) = CivilDate.date(days: day)
        return "\(CivilDate.padded(year, 4))-\(CivilDate.padded(month, 2))-\(CivilDate.padded(dayOfMonth, 2))"
    }

    /// The canonical bytes, which are what is signed. Throws when a field is too long, holds a control character, or
    /// a number is out of range.
    public func encoded() throws -> Data {
        var bytes = Data([Self.formatVersion])
        for (name, text) in textFields {
            guard let problem = Self.problem(text) else {
                Self.appendVarint(Int64(text.utf8.count), to: &bytes)
                bytes.append(contentsOf: text.utf8)
                continue
            }
            throw CertificateError(
                code: .unencodable,
                message: LocalizedText(
                    zh: "证书的“\(name)”无法写入验证码：\(problem.zh)",
                    en: "The certificate's \(name) cannot be coded: \(problem.en)"))
        }
        for (name, number) in numberFields {
            guard (0...Self.maxNumber).contains(number) else {
                throw CertificateError(
                    code: .unencodable,
                    message: LocalizedText(
                        zh: "证书的“\(name)”超出范围。",
                        en: "The certificate's \(name) is out of range (0 to \(Self.maxNumber))."))
            }
            Self.appendVarint(number, to: &bytes)
        }
        return bytes
    }

    /// Reads canonical bytes; anything else (another version, a field too long, a short or overlong number, invalid
    /// UTF-8, a control character, bytes left over) is refused as malformed.
    public init(encoded bytes: Data) throws {
        var reader = Reader(bytes: [UInt8](bytes))
        guard let version = reader.byte() else { throw CertificateError.malformed("it is empty") }
        guard version == Self.formatVersion else {
            throw CertificateError(
                code: .unsupportedVersion,
                message: LocalizedText(
                    zh: "验证码的格式版本（\(version)）无法识别，请升级平台软件。",
                    en: "The code has format version \(version), which this software does not know; upgrade it."))
        }
        var texts: [String] = []
        for _ in 0..<6 {
            guard let length = reader.varint(), length <= Self.maxFieldBytes,
                let raw = reader.bytes(Int(length)), case let text = String(decoding: raw, as: UTF8.self),
                text.utf8.elementsEqual(raw), Self.problem(text) == nil
            else { throw CertificateError.malformed("a text field is damaged") }
            texts.append(text)
        }
        var numbers: [Int64] = []
        for _ in 0..<6 {
            guard let number = reader.varint(), number <= Self.maxNumber else {
                throw CertificateError.malformed("a number is damaged")
            }
            numbers.append(number)
        }
        guard reader.isAtEnd else { throw CertificateError.malformed("bytes follow its last field") }
        self.init(
            nodeId: texts[0], teacherName: texts[1], teacherNumber: texts[2], schoolCode: texts[3],
            bundleId: texts[4], courseTitle: texts[5], creditedTenths: numbers[0], modulesCompleted: numbers[1],
            modulesTotal: numbers[2], enrolledDay: numbers[3], completedDay: numbers[4], issuedDay: numbers[5])
    }

    /// `text` cut at a character boundary so that it fits ``maxFieldBytes``, ending in `…` when it was cut.
    public static func fitted(_ text: String) -> String {
        guard text.utf8.count > maxFieldBytes else { return text }
        var result = ""
        for character in text {
            guard result.utf8.count + character.utf8.count + "…".utf8.count <= maxFieldBytes else { break }
            result.append(character)
        }
        return result + "…"
    }

    private var textFields: [(String, String)] {
        [
            ("nodeId", nodeId), ("teacherName", teacherName), ("teacherNumber", teacherNumber),
            ("schoolCode", schoolCode), ("bundleId", bundleId), ("courseTitle", courseTitle),
        ]
    }

    private var numberFields: [(String, Int64)] {
        [
            ("creditedTenths", creditedTenths), ("modulesCompleted", modulesCompleted), ("modulesTotal", modulesTotal),
            ("enrolledDay", enrolledDay), ("completedDay", completedDay), ("issuedDay", issuedDay),
        ]
    }

    /// Why `text` cannot be a field, or nil when it can: too long, or holding a control, format (such as a direction
    /// override), separator or private-use character, which would let a code print differently from what it
    /// says.
    private static func problem(_ text: String) -> LocalizedText? {
        if text.utf8.count > maxFieldBytes {
            return LocalizedText(zh: "超过 \(maxFieldBytes) 字节。", en: "it is longer than \(maxFieldBytes) bytes.")
        }
        let hidden = text.unicodeScalars.contains { scalar in
            [.control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse].contains(
                scalar.properties.generalCategory)
        }
        return hidden ? LocalizedText(zh: "含有控制字符。", en: "it holds a control character.") : nil
    }

    private static func appendVarint(_ value: Int64, to bytes: inout Data) {
        var rest = UInt64(value)
        while rest >= 0x80 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Reads bytes front to back, refusing anything short.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func bytes(_ count: Int) -> ArraySlice<UInt8>? {
            guard count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        /// A varint of at most 3 bytes (enough for ``CertificateStatement/maxNumber``) in its shortest form.
        mutating func varint() -> Int64? {
            var value: Int64 = 0
            for index in 0..<3 {
                guard let byte = byte() else { return nil }
                value |= Int64(byte & 0x7F) << (7 * index)
                if byte & 0x80 == 0 {
                    // A last byte of 0 after others is an overlong form.
                    return index > 0 && byte == 0 ? nil : value
                }
            }
            return nil
        }
    }
}
