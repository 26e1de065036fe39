import Foundation
import SatchelBundles
import SatchelCore
import SatchelHTTP
import SatchelStore
import SatchelSync

/// The certificates a teacher prints from `/me/certificate`: one per course with hours credited, each with a
/// verification code (a ``CertificateStatement`` signed with the node's key) that the platform checks.
///
/// A node that is not enrolled yet (no node id) prints the certificate without a code and says that the code comes
/// once the node is enrolled: a code the platform could not check would be worse than none.
struct TrainingCertificates {
    /// The node whose records and key make the certificates.
    let node: Node
    /// The node's database.
    var database: SatchelDatabase { node.database }

    /// One course's certificate.
    struct Certificate {
        /// What is certified; `nodeId` is "" while the node is not enrolled.
        var statement: CertificateStatement
        /// The course title in both languages, for the page.
        var title: LocalizedText
        /// The verification code, or nil with the reason in ``missingCode``.
        var code: String?
        /// Why there is no code.
        var missingCode: LocalizedText?
    }

    /// Where codes are checked: the platform's `/verify` page, or nil when the node knows no platform.
    func verifyURL() throws -> String? {
        guard let url = try Enrolment.load(database)?.platformURL, !url.isEmpty else { return nil }
        return (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/verify"
    }

    /// The certificates of `teacher`, for every course with at least one completed module (only `bundleId`'s when
    /// given), issued on the day `now` falls on in `timeZone`.
    func certificates(
        for teacher: TeacherRecord, bundleId: String? = nil, now: Date = Date(), timeZone: TimeZone = .current
    ) throws -> [Certificate] {
        let enrolment = try Enrolment.load(database)
        let identity = try NodeIdentity.load(from: node.directory)
        let schoolCode = enrolment.map(\.schoolCode).flatMap { $0.isEmpty ? nil : $0 } ?? node.configuration.schoolCode
        let progress = try database.progress(teacherId: teacher.id)
        var result: [Certificate] = []
        for enrolled in try database.enrolments(teacherId: teacher.id)
        where (bundleId ?? enrolled.bundleId) == enrolled.bundleId {
            let done = progress.filter { $0.bundleId == enrolled.bundleId && $0.completedAt != nil }
            guard let lastCompleted = done.compactMap(\.completedAt).max() else { continue }
            let title =
                try database.bundle(id: enrolled.bundleId)?.title
                ?? LocalizedText(zh: enrolled.bundleId, en: enrolled.bundleId)
            let statement = CertificateStatement(
                nodeId: enrolment?.nodeId ?? "", teacherName: teacher.name, teacherNumber: teacher.teacherNumber ?? "",
                schoolCode: schoolCode, bundleId: enrolled.bundleId,
                courseTitle: CertificateStatement.fitted(title(.chinese)),
                creditedTenths: CertificateStatement.tenths(ofHours: done.reduce(0) { $0 + $1.creditedHours }),
                modulesCompleted: Int64(done.count),
                modulesTotal: Int64(try database.resources(bundleId: enrolled.bundleId).count),
                enrolledDay: CertificateStatement.day(of: enrolled.enrolledAt, in: timeZone),
                completedDay: CertificateStatement.day(of: lastCompleted, in: timeZone),
                issuedDay: CertificateStatement.day(of: now, in: timeZone))
            var certificate = Certificate(statement: statement, title: title)
            if let identity, enrolment?.nodeId?.isEmpty == false {
                do {
                    certificate.code = try statement.code(signedWith: identity.key)
                } catch let error as CertificateError {
                    certificate.missingCode = error.message
                }
            } else {
                certificate.missingCode = CertificateText.notEnrolled
            }
            result.append(certificate)
        }
        return result
    }
}

extension TrainingCertificates.Certificate {
    /// The template context of this certificate in `language`; `verifyURL` is the platform's check page.
    func context(_ language: Language, verifyURL: String?) -> [String: Any] {
        let statement = statement
        var context: [String: Any] = [
            "name": statement.teacherName, "teacherNumber": statement.teacherNumber,
            "school": statement.schoolCode, "title": title(language), "hours": statement.hoursText,
            "completed": statement.modulesCompleted, "total": statement.modulesTotal,
            "enrolled": CertificateStatement.dateText(day: statement.enrolledDay),
            "completedOn": CertificateStatement.dateText(day: statement.completedDay),
            "issued": CertificateStatement.dateText(day: statement.issuedDay),
            "nodeId": statement.nodeId, "hasCode": code != nil, "code": code ?? "",
            "missingCode": missingCode?(language) ?? "",
            "downloadURL": "/me/certificate?course=\(HTMLText.segment(statement.bundleId))&download=1",
            "hasVerifyURL": false,
        ]
        if let code, let verifyURL {
            context["hasVerifyURL"] = true
            context["verifyURL"] = verifyURL
            context["verifyLink"] = verifyURL + "?code=" + CertificateCode.compact(code)
        }
        return context
    }
}

/// The certificate page's fixed strings in both languages, used as `{{c.name}}` by its template.
enum CertificateText {
    /// Why a node that is not enrolled prints no code.
    static let notEnrolled = LocalizedText(
        zh: "本校资源服务器尚未在国家平台注册，暂无验证码。注册后重新打印即可获得可核验的验证码。",
        en: "This school's server is not enrolled with the national platform yet, so there is no code. Print again "
            + "once it is enrolled to get a code that can be checked.")

    /// Every string in `language`.
    static func strings(_ language: Language) -> [String: String] {
        let table: [String: LocalizedText] = [
            "certifies": LocalizedText(
                zh: "兹证明以下教师参加本校教师培训，经学习认定学时如下。",
                en: "This certifies that the teacher below took part in training at this school and was credited:"),
            "teacher": LocalizedText(zh: "教师", en: "Teacher"),
            "school": LocalizedText(zh: "学校代码", en: "School code"),
            "course": LocalizedText(zh: "培训课程", en: "Course"),
            "hours": LocalizedText(zh: "认定学时", en: "Hours credited"),
            "modules": LocalizedText(zh: "完成单元", en: "Modules completed"),
            "enrolled": LocalizedText(zh: "参加日期", en: "Enrolled"),
            "completed": LocalizedText(zh: "完成日期", en: "Completed"),
            "issued": LocalizedText(zh: "签发日期", en: "Issued"),
            "code": LocalizedText(zh: "验证码", en: "Verification code"),
            "howToVerify": LocalizedText(
                zh: "验证码由本校资源服务器的密钥签名。任何人可在国家平台核验：",
                en: "The code is signed by this school's server. Anyone can check it at "),
            "howToVerifyOffline": LocalizedText(
                zh: "验证码由本校资源服务器的密钥签名，可在国家平台的“证书核验”页面核验。",
                en: "The code is signed by this school's server; check it on the national platform's certificate page."),
            "print": LocalizedText(zh: "打印或另存为 PDF", en: "Print or save as PDF"),
            "save": LocalizedText(zh: "下载此证书", en: "Download this certificate"),
            "none": LocalizedText(
                zh: "还没有已认定学时的培训课程。完成课程单元后即可打印证书。",
                en: "No course has credited hours yet. Complete a module to print a certificate."),
        ]
        return table.mapValues { $0(language) }
    }
}
