import Foundation
import SatchelNode
import SatchelServer
import SatchelStore
import SatchelSync
import SatchelTestSupport
import Testing

/// A thief with the box reads its disk: the database and its write-ahead log hold no password and no session token
/// that would let them log in as a teacher (passwords are scrypt hashes, sessions are kept as the token's SHA-256).
@Suite struct StolenBoxTests {
    @Test func theDiskHoldsNoPasswordAndNoSessionToken() async throws {
        let test = try TestNode()
        let password = "li-password-7391"
        try test.node.database.addTeacher(
            TeacherRecord(
                username: "li", name: "李老师", teacherNumber: nil, subjects: "数学", role: .teacher, status: .active,
                passwordHash: try PasswordHasher.hash(password)))
        let token = try await LiveServer.serving(test.node) { server in
            let login = try await CurlTransport().post(
                server.baseURL + "/login", body: Data("username=li&password=\(password)".utf8),
                headers: ["Content-Type": "application/x-www-form-urlencoded"])
            let cookie = login.headers["set-cookie"] ?? ""
            return try #require(
                cookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last.map(String.init),
                "the teacher could not log in: \(login.status)")
        }
        #expect(token.count >= 40)
        var disk = Data()
        for suffix in ["", "-wal"] {
            disk += (try? Data(contentsOf: URL(fileURLWithPath: test.node.directory.databasePath + suffix))) ?? Data()
        }
        #expect(disk.count > 0)
        #expect(disk.range(of: Data(token.utf8)) == nil, "the session token is on the disk as it is")
        #expect(disk.range(of: Data(password.utf8)) == nil, "the password is on the disk as it is")
    }
}
