import SatchelPlatform
import Testing

/// A `--database` URL is checked whole before anything connects, and its password never shows.
@Suite struct PostgresURLTests {
    @Test func aFullURLIsRead() throws {
        let url = try PostgresURL("postgres://satchel:pa%40ss@db.internal:6543/national?sslmode=require")
        #expect(url.user == "satchel" && url.password == "pa@ss" && url.host == "db.internal")
        #expect(url.port == 6543 && url.database == "national" && url.tls == .require)
        #expect(url.redacted == "postgres://satchel:***@db.internal:6543/national?sslmode=require")
    }

    @Test func theDefaultsArePort5432WithoutTLS() throws {
        let url = try PostgresURL("postgresql://satchel@127.0.0.1/platform")
        #expect(url.port == 5432 && url.tls == .disable && url.password == nil)
        #expect(url.redacted == "postgres://satchel@127.0.0.1:5432/platform")
    }

    @Test(arguments: [
        "mysql://satchel@host/db", "postgres://host/db", "postgres://satchel@/db", "postgres://satchel@host",
        "postgres://satchel@host/", "postgres://satchel@host:0/db", "postgres://satchel@host:99999/db",
        "postgres://satchel@host/db?sslmode=prefer", "postgres://satchel@host/db?options=-c", "not a url",
        "postgres://satchel@host/a/b", "postgres://satchel:secret@host/" + String(repeating: "d", count: 64),
        "postgres://satchel@host/" + String(repeating: "x", count: 2000),
    ])
    func aBadURLIsRefusedWithoutItsPassword(text: String) {
        do {
            _ = try PostgresURL(text)
            Issue.record("\(text.prefix(80)) was accepted")
        } catch let error as PlatformError {
            #expect(error.code == .badDatabaseURL)
            #expect(error.message.en.hasPrefix("--database "))
            #expect(!error.message.en.contains("secret") && !error.message.zh.contains("secret"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
