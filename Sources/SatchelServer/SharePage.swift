import Hummingbird
import SatchelCore
import SatchelHTTP
import SatchelNode
import SatchelStore

/// The page a teacher shows students to hand them a resource: its link, absolute with the address the teacher used to
/// reach the node, and the same link as a QR code large enough to scan from the back of a projected classroom. It
/// works without JavaScript, fits a 360 px phone and holds nothing about the teacher.
struct SharePage: Sendable {
    let pages: WebPages
    /// The addresses teachers open (see ``TeacherAddresses``), read when a teacher reached the node by a loopback
    /// address that students' phones cannot open.
    let teacherAddresses: @Sendable () -> [String]

    func respond(_ request: Request, bundleId: String, id: String) throws -> Response {
        guard let resource = try pages.database.resource(bundleId: bundleId, id: id) else {
            return try pages.notFound(request)
        }
        let path = "/resources/\(HTMLText.segment(bundleId))/\(HTMLText.segment(resource.id))"
        let link = origin(authority: request.head.authority) + path
        guard let code = QRCode(link) else { return try pages.notFound(request) }
        let context: [String: Any] = [
            "resourceTitle": resource.title(pages.language(for: request)), "resourcePath": path, "link": link,
            "qrSVG": code.svg,
        ]
        let title = LocalizedText(
            zh: "\(UIText.shareWithStudents.zh) · \(resource.title(.chinese))",
            en: "\(UIText.shareWithStudents.en) · \(resource.title(.english))")
        return pages.renderPage("share", title: title, context: context, request: request)
    }

    /// `http://` and the authority the request named (its Host), unless that is missing, malformed or a loopback
    /// address: then the node's first LAN address, so that the link works on a student's phone.
    func origin(authority: String?) -> String {
        let usable = authority.flatMap { Self.isWellFormed($0) ? $0 : nil }
        if let usable, !Self.isLoopback(usable) { return "http://" + usable }
        let addresses = teacherAddresses()
        let fallback = TeacherAddresses.firstLAN(addresses) ?? usable.map { "http://\($0)/" } ?? addresses.first
        return String((fallback ?? "http://127.0.0.1/").dropLast())
    }

    /// Whether `authority` is a host name or address with an optional port, and nothing else to put in a link.
    static func isWellFormed(_ authority: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:[]")
        return (1...261).contains(authority.count) && authority.allSatisfy(allowed.contains)
            && !authority.hasPrefix(":")
    }

    /// Whether `authority` names this machine only: `localhost`, `127.x.x.x` or `[::1]`, with any port.
    static func isLoopback(_ authority: String) -> Bool {
        let host: Substring
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            host = authority[...end]
        } else {
            host = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        }
        return host.lowercased() == "localhost" || host.hasPrefix("127.") || host == "[::1]"
    }
}
