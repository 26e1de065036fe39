import Foundation
import Hummingbird
import SatchelHTTP
import SatchelStore

/// Cookie sessions for teachers and admins. The cookie holds a random token; the database holds its SHA-256, so a
/// copy of the database opens no session. Every form that changes something carries the session's CSRF token.
struct Sessions: Sendable {
    let database: SatchelDatabase
    static let cookieName = "satchel_session"
    static let lifetime: TimeInterval = 30 * 24 * 3600

    /// The logged-in session and teacher of a request, if any.
    func current(_ request: Request) -> (SessionRecord, TeacherRecord)? {
        guard let token = Self.cookie(Self.cookieName, in: request) else { return nil }
        return try? database.session(tokenHash: SecretToken.hash(token))
    }

    /// The teacher of a state-changing form: logged in (else 401), the form carrying the session's CSRF token and
    /// sent from this site (else 403).
    func requireTeacher(_ request: Request, form: QueryString) throws -> TeacherRecord {
        guard let (session, teacher) = current(request) else { throw HTTPError(.unauthorized) }
        guard form["csrf"] == session.csrfToken, Self.isSameOrigin(request) else { throw HTTPError(.forbidden) }
        return teacher
    }

    /// Starts a session for `teacher` and returns the Set-Cookie value.
    func start(for teacher: TeacherRecord, secure: Bool) throws -> String {
        let token = SecretToken.random()
        let now = Date()
        try database.createSession(
            SessionRecord(
                tokenHash: SecretToken.hash(token), teacherId: teacher.id, csrfToken: SecretToken.random(),
                createdAt: now,
                expiresAt: now.addingTimeInterval(Self.lifetime)))
        return "\(Self.cookieName)=\(token); Path=/; Max-Age=\(Int(Self.lifetime)); HttpOnly; SameSite=Lax"
            + (secure ? "; Secure" : "")
    }

    /// Ends the request's session and returns the Set-Cookie value that clears it.
    func end(_ request: Request) -> String {
        if let token = Self.cookie(Self.cookieName, in: request) {
            try? database.deleteSession(tokenHash: SecretToken.hash(token))
        }
        return "\(Self.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
    }

    /// Whether a state-changing request is same-origin: its Origin (or Referer) host, when sent, is the Host.
    /// `Origin: null` (a sandboxed frame, a `data:` page, a file) is not.
    static func isSameOrigin(_ request: Request) -> Bool {
        // Browsers send Origin with every cross-site POST; a request without one comes from the same site or a tool.
        let origin = request.headers[.origin] ?? request.headers[.referer]
        guard let origin else { return true }
        guard origin != "null" else { return false }
        guard let host = request.head.authority ?? request.uri.host else { return false }
        guard let url = URL(string: origin), let originHost = url.host else { return false }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority == host || originHost == host
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        request.headers[.cookie].flatMap { cookie(name, inHeader: $0) }
    }

    /// The value of cookie `name` in a `Cookie` header.
    static func cookie(_ name: String, inHeader header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0] == name { return pair[1] }
        }
        return nil
    }

}
