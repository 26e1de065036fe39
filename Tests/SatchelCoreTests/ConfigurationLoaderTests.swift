import Foundation
import SatchelCore
import SatchelTestSupport
import Testing

@Suite struct ConfigurationLoaderTests {
    let folder = TemporaryDirectory("config")

    func load(_ json: String?, environment: [String: String] = [:], explicit: Bool = true) throws -> Configuration {
        let path = json.map { folder.write("satchel.json", $0) } ?? folder.file("missing.json")
        return try ConfigurationLoader(environment: environment, installed: false).load(
            explicitPath: explicit ? path : nil)
    }

    func configError(_ json: String?, environment: [String: String] = [:]) -> ConfigError? {
        do {
            _ = try load(json, environment: environment)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    @Test func defaultsWithoutAFile() throws {
        let configuration = try ConfigurationLoader(environment: [:], installed: false).load(explicitPath: nil)
        #expect(configuration.port == 8080)
        #expect(configuration.dataDirectory == "satchel-data")
        #expect(configuration.language == .chinese)
        #expect(configuration.diskReserveBytes == 500 * 1024 * 1024)
        let installed = try ConfigurationLoader(environment: [:], installed: true).load(explicitPath: nil)
        #expect(installed.dataDirectory == "/var/lib/satchel")
    }

    @Test func fileValuesApply() throws {
        let configuration = try load(
            #"{"port": 9000, "logLevel": "debug", "language": "en", "dataDirectory": "/srv/s"}"#)
        #expect(configuration.port == 9000)
        #expect(configuration.logLevel == "debug")
        #expect(configuration.language == .english)
        #expect(configuration.dataDirectory == "/srv/s")
    }

    @Test func environmentOverridesTheFile() throws {
        let configuration = try load(
            #"{"port": 9000}"#, environment: ["SATCHEL_PORT": "9100", "SATCHEL_DISK_RESERVE_BYTES": "0"]
        )
        #expect(configuration.port == 9100)
        #expect(configuration.diskReserveBytes == 0)
    }

    @Test func unknownKeyNamesTheKeyAndTheFile() throws {
        let error = try #require(configError(#"{"prot": 9000}"#))
        #expect(error.code == .unknownKey)
        #expect(error.message.en.contains("\"prot\""))
        #expect(error.message.en.contains(folder.file("satchel.json")))
        #expect(error.message.zh.contains("未知的键"))
        #expect(error.exitStatus == .dataError)
    }

    @Test(arguments: [
        (#"{"port": "8080"}"#, "port"),
        (#"{"port": 80.5}"#, "port"),
        (#"{"trustedKeys": "abc"}"#, "trustedKeys"),
        (#"{"trustedKeys": [1]}"#, "trustedKeys"),
        (#"{"logLevel": true}"#, "logLevel"),
    ])
    func wrongTypeNamesTheKeyAndTheExpectedType(json: String, key: String) throws {
        let error = try #require(configError(json))
        #expect(error.code == .wrongType)
        #expect(error.message.en.contains("\"\(key)\""))
        #expect(error.message.en.contains("expected"))
    }

    @Test(arguments: [
        #"{"port": 70000}"#, #"{"port": 0}"#, #"{"logLevel": "loud"}"#, #"{"language": "fr"}"#,
        #"{"diskReserveBytes": -1}"#, #"{"platformURL": "ftp://x"}"#, #"{"trustedKeys": ["bm90IGEga2V5"]}"#,
        #"{"dataDirectory": ""}"#,
    ])
    func impossibleValuesAreRefused(json: String) throws {
        let error = try #require(configError(json))
        #expect(error.code == .invalidValue)
        #expect(error.message.en.contains("Invalid value"))
    }

    @Test func environmentTypeErrorsNameTheVariable() throws {
        do {
            _ = try ConfigurationLoader(environment: ["SATCHEL_PORT": "eighty"], installed: false).load(
                explicitPath: nil)
            Issue.record("SATCHEL_PORT=eighty was accepted")
        } catch let error as ConfigError {
            #expect(error.code == .wrongType)
            #expect(error.message.en.contains("SATCHEL_PORT"))
        }
    }

    @Test func missingExplicitFileIsAnError() throws {
        let error = try #require(configError(nil))
        #expect(error.code == .fileMissing)
        #expect(error.message.en.contains(folder.file("missing.json")))
        #expect(error.exitStatus == .ioError)
    }

    @Test(arguments: ["{", "[1,2]", "", "port = 8080"])
    func malformedFilesAreRefused(json: String) throws {
        let error = try #require(configError(json))
        #expect(error.code == .malformed)
    }
}
