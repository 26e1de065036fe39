import Foundation
import SatchelCore

/// A PostgreSQL location as given to `--database`: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=MODE]`.
///
/// The text comes from a command line or an environment and is checked whole before anything connects; the password
/// never appears in ``redacted``, which is what messages and logs show.
public struct PostgresURL: Sendable, Equatable {
    /// How the connection is protected.
    public enum TLSMode: String, Sendable {
        /// Plain TCP: a database on loopback or a private network (the default).
        case disable
        /// TLS with the server's certificate checked against the system's trust roots and the host name.
        case require
    }

    /// The longest URL accepted.
    public static let maxLength = 1024

    /// The login role.
    public var user: String
    /// The role's password, if the server asks for one.
    public var password: String?
    /// The server's host name or address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The database name.
    public var database: String
    /// Whether to use TLS.
    public var tls: TLSMode

    /// Parses and checks `text`; the error names the URL (without its password) and says what to fix.
    public init(_ text: String) throws {
        func bad(_ zh: String, _ en: String) -> PlatformError {
            PlatformError(
                code: .badDatabaseURL,
                message: LocalizedText(
                    zh: "--database \(Self.redact(text))：\(zh) 格式：postgres://用户@主机:端口/数据库",
                    en: "--database \(Self.redact(text)): \(en) Give postgres://USER@HOST:PORT/DB."))
        }
        guard text.utf8.count <= Self.maxLength else {
            throw bad("太长（最多 \(Self.maxLength) 字节）。", "is longer than \(Self.maxLength) bytes.")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }),
            let components = URLComponents(string: text)
        else { throw bad("不是有效的 URL。", "is not a valid URL.") }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw bad("只支持 postgres:// 。", "only postgres:// URLs are supported.")
        }
        guard let user = components.user, !user.isEmpty else { throw bad("缺少用户名。", "names no user.") }
        guard let host = components.host, !host.isEmpty else { throw bad("缺少主机。", "names no host.") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw bad("端口无效。", "has a port outside 1-65535.") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/"), database.utf8.count <= 63 else {
            throw bad("缺少数据库名或名称无效。", "names no database, or one longer than 63 bytes.")
        }
        var tls = TLSMode.disable
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode", let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                throw bad(
                    "只接受参数 sslmode=disable 或 sslmode=require。",
                    "the only parameter accepted is sslmode=disable or sslmode=require.")
            }
            tls = mode
        }
        self.user = user
        self.password = components.password
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.database = database
        self.tls = tls
    }

    /// Whether `text` asks for PostgreSQL rather than naming something else.
    public static func isPostgres(_ text: String) -> Bool {
        let lower = text.prefix(13).lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// The URL without its password, for messages and logs.
    public var redacted: String {
        var text = "postgres://\(user)\(password == nil ? "" : ":***")@"
        text += host.contains(":") ? "[\(host)]" : host
        text += ":\(port)/\(database)"
        return tls == .disable ? text : text + "?sslmode=\(tls.rawValue)"
    }

    /// `text` with anything between `://user:` and `@` replaced, for messages about a URL that did not parse.
    static func redact(_ text: String) -> String {
        let clipped = String(text.prefix(200))
        guard let scheme = clipped.range(of: "://"), let at = clipped.range(of: "@", options: .backwards),
            scheme.upperBound < at.lowerBound
        else { return clipped }
        let userInfo = clipped[scheme.upperBound..<at.lowerBound]
        guard let colon = userInfo.firstIndex(of: ":") else { return clipped }
        return String(clipped[..<colon]) + ":***" + String(clipped[at.lowerBound...])
    }
}
