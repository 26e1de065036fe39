import Foundation
import SatchelBundles
import SatchelCore
import SatchelTestSupport
import Testing

/// Archives that hang or crash the C library or the importer end as a clear rejection (exit 65) of `satchel import`,
/// and the data directory stays usable: the archive is read in a child process with memory and time limits.
@Suite struct ImportIsolationTests {
    /// libarchive's own test file `test_read_filter_gzip_recursive.gz` (293 bytes, from libarchive's
    /// `libarchive/test/test_read_filter_gzip_recursive.gz.uu`, BSD-2-Clause): a gzip that expands to a gzip whose
    /// header's file name grows without end. libarchive 3.6.2 (Debian 12) spins on it with memory growing.
    static let recursiveGzip = Data(
        base64Encoded: """
            H4sIAVAt7/c8AHD/AAD/H4sICQBkQAnr/3MJGwBw/wAA/x+LCAgIAFEACQkcAHD/AAD/H4sIEf8H/+/3PABw/wAA/x+LCAkAZEAJ\
            6/9z7hsAcP8AAP8fiwgICABRAAkJHABw/wAA/x+LCBH/B///6wEJdxH/B///cwkbAHD/AAD/H4sICAgAUQAJCRwAcP8AAP8fiwgR\
            /wf/7/c8AHD/AAD/H4sICQBkQAnr/zwAcP8AAP8fiwgJAGRACev/c+5jaGEBCXcR/wf//3MJGwBw/wAA/x+LCAgIAFEACQkcAHD/\
            AAD/H4sIEf8H/+/3PABw/wAA/x+LCAkAZEAJ6/88gcPCw8PDw8PDw8PBw8PDw8PDw8PDw8Plw8PDiAEAw0OfCAtdw8M=
            """)!

    @Test func aRecursiveGzipThatHangsLibarchiveIsRejectedWithExit65() async throws {
        let folder = TemporaryDirectory("isolation")
        let data = folder.directory("data")
        let archive = folder.file("recursive.tar.gz")
        try Self.recursiveGzip.write(to: URL(fileURLWithPath: archive))
        #expect(Self.recursiveGzip.count == 293)
        let started = Date()
        let run = try BackgroundProcess(["import", "--data", data, archive])
        guard let status = await run.waitForExit(timeout: 90) else {
            let rss =
                (try? String(contentsOfFile: "/proc/\(run.pid)/status", encoding: .utf8))?
                .split(separator: "\n").first { $0.hasPrefix("VmRSS") } ?? "?"
            run.terminate(signal: SIGKILL)
            Issue.record("satchel import still ran after 90 s (\(rss))")
            return
        }
        let seconds = Date().timeIntervalSince(started)
        #expect(status == 65, "\(run.printed)")
        #expect(run.printed.contains("could not be read within"), "\(run.printed)")
        #expect(seconds < 60, "took \(seconds) s")
        print("recursive gzip: exit \(status) after \(String(format: "%.1f", seconds)) s")
        // The import lock was released and staging emptied: the next import runs at once.
        let key = folder.file("publisher.key")
        #expect(try ProcessRunner.run(["keygen", "--output", key]).status == 0)
        folder.write("lesson/index.html", "<h1>第一课</h1>")
        let bundle = folder.file("lesson.tar.zst")
        let packed = try ProcessRunner.run([
            "pack", folder.file("lesson"), "--id", "lesson", "--version", "1", "--key", key, "--output", bundle,
        ])
        #expect(packed.status == 0, "\(packed.stderr)")
        #expect(try ProcessRunner.run(["trust", "add", "--data", data, key + ".pub"]).status == 0)
        let imported = try ProcessRunner.run(["import", "--data", data, bundle])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: data + "/staging"))?.isEmpty ?? true)
    }

    @Test func aTrustedManifestWhoseSizesOverflowIsABadManifestNotACrash() throws {
        let folder = TemporaryDirectory("isolation")
        let data = folder.directory("data")
        let key = SigningKey()
        try key.write(to: folder.file("publisher.key"))
        #expect(try ProcessRunner.run(["trust", "add", "--data", data, folder.file("publisher.key.pub")]).status == 0)
        let sha = String(repeating: "a", count: 64)
        let manifest = Data(
            """
            {"created":"2026-01-01T00:00:00Z","files":[\
            {"mediaType":"application/octet-stream","path":"a.bin","sha256":"\(sha)","size":\(Int64.max)},\
            {"mediaType":"application/octet-stream","path":"b.bin","sha256":"\(sha)","size":\(Int64.max)}],\
            "format":1,"id":"overflow","kind":"curriculum","publisherKey":"\(key.publicKey.id)","resources":[],\
            "title":{"en":"Overflow","zh":"溢出"},"version":1}
            """.utf8)
        let signature = Data(try key.signature(for: manifest).base64EncodedString().utf8)
        let archive = folder.file("overflow.tar")
        RawArchive.write([.file("manifest.sig", signature), .file("manifest.json", manifest)], to: archive)
        let result = try ProcessRunner.run(["import", "--data", data, archive])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("files[1].size"), "\(result.stderr)")
    }
}
