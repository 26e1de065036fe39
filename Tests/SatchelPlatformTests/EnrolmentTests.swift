import Foundation
import GRDB
import SatchelPlatform
import SatchelTestSupport
import Testing

/// Enrolment survives a lost answer: the node that used a token may use it again and gets the same id, and no other
/// key can.
@Suite struct EnrolmentTests {
    @Test func theSameKeyEnrolsAgainAndAnotherKeyIsRefused() throws {
        let folder = TemporaryDirectory("enrolment")
        let database = try PlatformDatabase(path: folder.file("platform.sqlite"))
        let token = try database.createToken(schoolCode: "S-1")
        let first = try #require(try database.enrol(token: token, schoolCode: "S-1", publicKey: "key-a"))
        #expect(try database.enrol(token: token, schoolCode: "S-1", publicKey: "key-a") == first)
        #expect(try database.enrol(token: token, schoolCode: "S-1", publicKey: "key-b") == nil)
        #expect(try database.enrol(token: token, schoolCode: "S-2", publicKey: "key-a") == nil)
    }

    /// A technician types the token after `--token`; one that started with `-` (1 in 64 of them did) read as an
    /// option, and `satchel provision` answered "Missing value for '--token'".
    @Test func noTokenStartsWithADash() throws {
        let folder = TemporaryDirectory("enrolment")
        let database = try PlatformDatabase(path: folder.file("platform.sqlite"))
        let tokens = try (0..<1000).map { try database.createToken(schoolCode: "S-\($0)") }
        #expect(tokens.allSatisfy { !$0.hasPrefix("-") })
        #expect(Set(tokens).count == tokens.count)
    }

    /// An ingested batch is acknowledged once committed, so each commit must reach the disk: synchronous FULL (2) on
    /// the pool's writer, which GRDB had left at NORMAL after prepareDatabase.
    @Test func writerSyncsEveryCommit() throws {
        let folder = TemporaryDirectory("platform-durable")
        let database = try PlatformDatabase(path: folder.file("platform.sqlite"))
        let level = try database.writer.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(level == 2)
    }

    /// Platform processes starting together on one data folder migrate its database one at a time.
    @Test func databasesOpenedTogetherMigrateOnce() throws {
        let folder = TemporaryDirectory("platform-together")
        let path = folder.file("platform.sqlite")
        #expect(failuresOfOpeningTogether(6) { _ = try PlatformDatabase(path: path) } == [])
    }
}
