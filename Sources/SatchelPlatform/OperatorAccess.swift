import Foundation
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import SatchelCore
import SatchelHTTP

/// Who may look at the platform: operators log in on `/login` for the pages (a session cookie, 12 hours) and send
/// `Authorization: Bearer <token>` to the API (a token from `satchel-platform operator token`). The node protocol
/// (enrolment, events, catalog, blobs) and the public certificate check (`/verify`) need neither.
///
/// Only SHA-256 hashes of sessions and tokens are stored, so a copy of the database opens nothing; passwords are kept
/// as bcrypt hashes (hummingbird-auth's `HummingbirdBcrypt`, cost 12), checked one at a time off the request threads.
public struct OperatorAccess: Sendable {
    let storage: any PlatformStorage
    /// Waits after wrong passwords, per client and user name and per client (the node's teachers have the same): a
    /// guesser slows down, the operator on another device does not. Kept by each process.
    let throttle = LoginThrottle()
    /// The session cookie's name.
    static let cookieName = "satchel_operator"
    /// How long a login lasts.
    static let sessionLifetime: TimeInterval = 12 * 3600

    /// Access over `storage`.
    public init(storage: any PlatformStorage) {
        self.storage = storage
    }

    /// The operator a request comes from: its Bearer token, else its session cookie; nil for neither.
    func current(_ request: Request) async throws -> Operator? {
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
            return try await storage.operatorFor(credentialHash: SecretToken.hash(token))
        }
        guard let token = Self.cookie(in: request) else { return nil }
        return try await storage.operatorFor(credentialHash: SecretToken.hash(token))
    }

    /// Adds `/login` and `/logout`.
    func register(on router: Router<BasicRequestContext>) {
        router.get("/login") { request, _ in Self.loginPage(message: nil, username: "") }
        router.post("/login") { request, _ in try await login(request) }
        router.post("/logout") { request, _ in
            if let token = Self.cookie(in: request) {
                try await storage.removeCredential(hash: SecretToken.hash(token))
            }
            var response = Response(status: .seeOther, headers: [.location: "/login"])
            response.headers[.setCookie] = "\(Self.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
            return response
        }
    }

    private func login(_ request: Request) async throws -> Response {
        let fields = QueryString(String(buffer: try await request.body.collect(upTo: 4096)))
        let username = (fields["username"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let password = fields["password"] ?? ""
        let client = request.clientAddress
        if let wait = throttle.wait(client: client, username: username) {
            let seconds = Int(wait.rounded(.up))
            var response = Self.loginPage(
                message: LocalizedText(
                    zh: "这台设备输错密码的次数太多，请 \(seconds) 秒后再试。",
                    en: "Too many wrong passwords from this device. Try again in \(seconds) s."),
                username: username)
            response.status = .tooManyRequests
            response.headers[.retryAfter] = "\(seconds)"
            return response
        }
        let found = try await storage.operatorLogin(username: username)
        // A made-up user name costs the same check as a real one, so the time does not tell which names exist.
        let matches = await Self.verify(password, against: found?.passwordHash ?? Self.decoyHash)
        guard let found, matches, password.count <= 128 else {
            throttle.recordFailure(client: client, username: username)
            var response = Self.loginPage(
                message: LocalizedText(zh: "用户名或密码不正确。", en: "Wrong user name or password."), username: username)
            response.status = .unauthorized
            return response
        }
        throttle.recordSuccess(client: client, username: username)
        let token = SecretToken.random()
        try await storage.storeCredential(
            hash: SecretToken.hash(token), username: found.0.username,
            expiresAt: Date().addingTimeInterval(Self.sessionLifetime))
        var response = Response(status: .seeOther, headers: [.location: "/"])
        response.headers[.setCookie] =
            "\(Self.cookieName)=\(token); Path=/; Max-Age=\(Int(Self.sessionLifetime)); HttpOnly; SameSite=Strict"
        return response
    }

    /// Makes a new API token for `username` and returns it (shown once; only its hash is kept).
    public func createAPIToken(username: String) async throws -> String {
        guard try await storage.operatorLogin(username: username) != nil else {
            throw PlatformError(
                code: .notFound,
                message: LocalizedText(zh: "没有操作员 \(username)。", en: "There is no operator \(username)."))
        }
        let token = SecretToken.random()
        try await storage.storeCredential(hash: SecretToken.hash(token), username: username, expiresAt: nil)
        return token
    }

    /// Adds an operator with `password` (6 to 128 characters).
    public func add(_ operator: Operator, password: String) async throws {
        guard (6...128).contains(password.count) else {
            throw PlatformError(
                code: .badRequest,
                message: LocalizedText(zh: "密码需要 6 到 128 个字符。", en: "The password must have 6 to 128 characters."))
        }
        let hash = await Self.hashPassword(password)
        guard try await storage.addOperator(`operator`, passwordHash: hash) else {
            throw PlatformError(
                code: .badRequest,
                message: LocalizedText(
                    zh: "用户名 \(`operator`.username) 已被使用。", en: "The user name \(`operator`.username) is taken."))
        }
    }

    /// The login page, Chinese first, usable on a phone.
    static func loginPage(message: LocalizedText?, username: String) -> Response {
        let notice = message.map { "<p class=notice>\(HTMLText.escape($0.zh)) · \(HTMLText.escape($0.en))</p>" } ?? ""
        let html = """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>登录 · 国家平台</title>
            \(pageStyle)</head><body><main><h1>国家平台 · 操作员登录</h1><p class=meta>Platform operator login</p>\(notice)
            <form method="post" action="/login">
            <label>用户名 · User name<input name="username" required autocomplete="username" value="\(HTMLText.escape(username))"></label>
            <label>密码 · Password<input name="password" type="password" required autocomplete="current-password"></label>
            <button type="submit">登录 · Log in</button></form></main></body></html>
            """
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The style of the platform's pages: one column, 16 px text, 44 px targets.
    static let pageStyle = """
        <style>*{box-sizing:border-box}body{margin:0;font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",
        sans-serif;font-size:17px;line-height:1.6;background:#f6f7f9;color:#1d2330;overflow-wrap:anywhere}
        main{max-width:60rem;margin:0 auto;padding:.5rem 1rem 2rem}h1{font-size:1.4rem}.meta{color:#5a6270}
        label{display:block;margin:.8rem 0}input{display:block;width:100%;max-width:28rem;min-height:44px;font-size:16px;
        padding:.5rem .7rem;margin-top:.25rem;border:1px solid #aab3bf;border-radius:.4rem}
        button{min-height:44px;font-size:16px;padding:.5rem 1rem;border:0;border-radius:.4rem;background:#1f6f54;
        color:#fff}.notice{background:#fff3cd;padding:.6rem;border-radius:.4rem}
        table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde;padding:.4rem;text-align:left}
        </style>
        """

    /// The session token in the request's cookie, if any.
    private static func cookie(in request: Request) -> String? {
        request.cookies[cookieName].map(\.value).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// bcrypt runs here, one hash at a time, never on the threads that answer requests.
    private static let hashing = DispatchQueue(label: "satchel.platform.bcrypt")

    /// A hash no password matches, checked for unknown user names.
    private static let decoyHash = Bcrypt.hash(SecretToken.random(), cost: 12)

    static func hashPassword(_ password: String) async -> String {
        await withCheckedContinuation { continuation in
            hashing.async { continuation.resume(returning: Bcrypt.hash(password, cost: 12)) }
        }
    }

    static func verify(_ password: String, against hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            hashing.async { continuation.resume(returning: Bcrypt.verify(password, hash: hash)) }
        }
    }
}
