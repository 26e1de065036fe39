import Foundation
import SatchelTestSupport
import Testing

/// The web UI in a real browser: headless Chromium opens the pages of a running `satchel demo` node as a teacher's
/// phone would, browses from the home page to a lesson, seeks the sample H.264 video over HTTP byte ranges, and takes
/// a phone-width screenshot. Chromium and fonts-noto-cjk must be installed (CI installs them): without Chromium every
/// test fails and says how to install it.
@Suite(.serialized) struct BrowserTests {
    @Test func homePageRendersInChineseAndInEnglish() async throws {
        let chromium = try Chromium.find()
        try await withDemoNode { base in
            let home = try await chromium.dumpDOM(url: base + "/")
            #expect(home.contains(#"<html lang="zh-CN""#))
            #expect(home.contains("学习资源"))
            #expect(links(in: home).contains { $0.hasPrefix("/resources/") }, "no resource links on the home page")

            let english = try await chromium.dumpDOM(url: base + "/?lang=en")
            #expect(english.contains(#"<html lang="en""#))
            #expect(english.contains("Learning resources"))
        }
    }

    @Test func aTeacherBrowsesFromTheHomePageToTheVideoAndTheLesson() async throws {
        let chromium = try Chromium.find()
        try await withDemoNode { base in
            let home = try await chromium.dumpDOM(url: base + "/")
            let bundle = try #require(
                links(in: home).first { $0 == "/bundles/demo-primary-g3" },
                "no link to the sample curriculum on the home page:\n\(home)")
            let bundlePage = try await chromium.dumpDOM(url: base + bundle)
            let found = links(in: bundlePage)
            var resources: [String] = []
            var videoLink: String?
            var lessonLink: String?
            for link in found where link.starts(with: "/resources/") {
                resources.append(link)
                if link.hasSuffix("/intro-video") { videoLink = link }
                if link.hasSuffix("/math-fractions") { lessonLink = link }
            }
            let video = try #require(videoLink, "no video link on \(bundle): \(found)")
            let lesson = try #require(
                lessonLink, "no lesson link on \(bundle): \(resources)")

            let videoPage = try await chromium.dumpDOM(url: base + video)
            #expect(videoPage.contains(#"src="/content/demo-primary-g3/video/intro.mp4""#))
            #expect(videoPage.contains("<video"))

            // The lesson page frames the lesson, and the lesson itself opens and shows its Chinese text.
            let lessonPage = try await chromium.dumpDOM(url: base + lesson)
            let frame = try #require(
                attribute("src", ofFirst: "iframe", in: lessonPage), "no <iframe> on \(lesson):\n\(lessonPage)")
            #expect(frame == "/content/demo-primary-g3/math-fractions/index.html")
            let lessonContent = try await chromium.dumpDOM(url: base + frame)
            #expect(lessonContent.contains("分数"))
        }
    }

    /// A local page plays the demo video from the node, seeks to 3 s once the metadata is in, and reports what the
    /// browser saw in its title. Chromium counts a video as seekable over its whole length only when the server
    /// answered its `Range` request with 206; from a server without byte ranges the seekable range ends at 0 and the
    /// seek lands back at 0.0. The net log shows the request and the answer themselves.
    @Test func theVideoSeeksOverHTTPByteRangesInARealBrowser() async throws {
        let chromium = try Chromium.find()
        try await withDemoNode { base in
            let folder = TemporaryDirectory("browser-seek")
            let listener = try await ReportListener()
            let probe = folder.write(
                "seek.html",
                seekProbe(video: base + "/content/demo-primary-g3/video/intro.mp4", report: listener.reportURL))
            let netLog = folder.file("net-log.json")
            // The probe reports once the video has seeked (or failed): the test waits for that event.
            let report = try await chromium.report(
                from: URL(fileURLWithPath: probe).absoluteString, to: listener,
                extraArguments: [
                    "--autoplay-policy=no-user-gesture-required", "--allow-file-access-from-files",
                    "--log-net-log=" + netLog,
                ])
            await listener.stop()
            if let code = report["error"] {
                Issue.record(
                    "Chromium could not play the H.264 MP4: MediaError code \(code) (4: format not supported)")
                return
            }
            #expect(report["seeked"] == "3.0", "the video did not seek to 3 s; the probe says \(report)")
            let duration = Double(report["duration"] ?? "") ?? 0
            #expect(abs(duration - 4) < 0.1, "the sample video should last about 4 s; the probe says \(report)")
            let seekableEnd = Double(report["seekable"] ?? "") ?? 0
            #expect(
                abs(seekableEnd - duration) < 0.1,
                "Chromium does not count the whole video seekable: the server's byte ranges did not work: \(report)")
            #expect((Int(report["state"] ?? "") ?? 0) >= 2, "no frame was ready after the seek: \(report)")
            #expect((Int(report["frames"] ?? "") ?? 0) > 0, "Chromium decoded no H.264 frame: \(report)")

            let log = (try? String(contentsOfFile: netLog, encoding: .utf8)) ?? ""
            #expect(log.contains("Range: bytes="), "Chromium's net log shows no Range request for the video")
            #expect(log.contains("206 Partial Content"), "Chromium's net log shows no 206 answer for the video")
            withExtendedLifetime(folder) {}
        }
    }

    @Test func aPhoneScreenshotOfTheHomePageAndNoSidewaysScrolling() async throws {
        let chromium = try Chromium.find()
        try await withDemoNode { base in
            let folder = TemporaryDirectory("browser-shot")
            let png = folder.file("home-zh-phone.png")
            try await chromium.screenshot(url: base + "/", width: 360, height: 740, to: png)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: png)))
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG file")
            #expect(bytes.count > 10_000, "a \(bytes.count)-byte screenshot is too small to show the page")
            if bytes.count >= 24 {
                // The IHDR chunk comes first: width and height as big-endian 32-bit numbers at bytes 16 and 20.
                let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
                let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
                #expect(width == 360 && height == 740, "the screenshot is \(width)x\(height)")
            }

            // Each main page, laid out in a 360 px wide frame, fits its width: nothing makes a phone scroll sideways.
            let pages = [
                "/", "/?lang=en", "/bundles/demo-primary-g3", "/resources/demo-primary-g3/intro-video",
                "/resources/demo-primary-g3/math-fractions", "/resources/demo-primary-g3/fractions-worksheet",
                "/share/demo-primary-g3/math-fractions", "/share/demo-primary-g3/math-fractions?lang=en",
                // Browsing down to the units (single-choice levels redirect deeper), a teacher's search, the courses.
                "/browse", "/browse?stage=小学&grade=三年级&subject=数学&edition=人教版&term=上册", "/search?q=三上数学",
                "/training",
            ]
            for page in pages {
                expectFitsPhone(try await chromium.phoneLayout(of: base + page, width: 360, in: folder), page: page)
            }
            withExtendedLifetime(folder) {}
        }
    }
}

/// Issue 17: a lesson saved with the 下载 button opens on a phone with no network, pictures and styles included.
@Suite struct OfflineDownloadTests {
    @Test func aSavedLessonOpensWithItsPicturesAndStyleOnceTheNodeIsGone() async throws {
        let chromium = try Chromium.find()
        let folder = TemporaryDirectory("browser-offline")
        try await withDemoNode { base in
            let lessonPage = try await chromium.dumpDOM(url: base + "/resources/demo-primary-g3/math-fractions")
            let link = try #require(
                links(in: lessonPage).first { $0.hasPrefix("/download/") }, "no download link:\n\(lessonPage)")
            #expect(link == "/download/demo-primary-g3/math-fractions")
            let answer = await CurlClient(baseURL: base).request(link)
            #expect(answer.status == 200)
            folder.write("saved-lesson.html", answer.body)
        }
        // The node has stopped: whatever the page still needed from it would not load now.
        let report = try await chromium.report(
            onFramed: "saved-lesson.html", width: 360, in: folder,
            report: """
                var images = Array.from(f.contentDocument.images);
                var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
                var h1 = f.contentDocument.querySelector("h1");
                document.title = "offline images=" + images.length + " broken=" + broken.length + " h1="
                    + (h1 ? f.contentWindow.getComputedStyle(h1).color.replace(/ /g, "") : "none");
                """)
        let measured = fields(of: report)
        #expect((Int(measured["images"] ?? "") ?? 0) >= 1, "the saved lesson shows no picture: \(report)")
        #expect(measured["broken"] == "0", "a picture of the saved lesson did not load offline: \(report)")
        // The demo lesson's stylesheet colours its heading #b85c00.
        #expect(measured["h1"] == "rgb(184,92,0)", "the saved lesson's stylesheet did not apply: \(report)")
        withExtendedLifetime(folder) {}
    }
}

/// Issue 17: a teacher shares a resource with students as a link and a QR code.
@Suite struct ShareInBrowserTests {
    @Test func aPhoneScreenshotOfTheSharePageDecodesToTheResourceLink() async throws {
        let chromium = try Chromium.find()
        try await withDemoNode { base in
            let folder = TemporaryDirectory("browser-share")
            let resource = base + "/resources/demo-primary-g3/math-fractions"
            let page = try await chromium.dumpDOM(url: resource)
            #expect(links(in: page).contains("/share/demo-primary-g3/math-fractions"), "no share link on \(resource)")
            // The node listens on the loopback only, so the link keeps the address the browser used.
            let png = folder.file("share-phone.png")
            try await chromium.screenshot(
                url: base + "/share/demo-primary-g3/math-fractions", width: 360, height: 740, to: png)
            #expect(try BarcodeReader.decode(png) == [resource])
            withExtendedLifetime(folder) {}
        }
    }
}

/// Issue 17: the login and register forms are phone-sized: 16 px text (no zoom on focus), 44 px tall targets.
@Suite struct PhoneFormTests {
    @Test func loginAndRegisterFieldsAreAtLeast44PxTallWith16PxText() async throws {
        let chromium = try Chromium.find()
        try await withDemoNode { base in
            let folder = TemporaryDirectory("browser-forms")
            for page in ["/login", "/register", "/login?lang=en"] {
                let report = try await chromium.formTargets(of: base + page, width: 360, in: folder)
                expectPhoneSizedTargets(report, page: page, atLeast: 3)
            }
            withExtendedLifetime(folder) {}
        }
    }
}

/// Checks a ``Chromium/phoneLayout(of:html:width:in:)`` report of `page`: it was measured, and nothing reaches past
/// the phone's width (the page does not scroll sideways).
func expectFitsPhone(_ layout: String, page: String) {
    let report = fields(of: layout)
    let scrollWidth = Int(report["scroll"] ?? "") ?? -1
    let clientWidth = Int(report["client"] ?? "") ?? -1
    #expect(clientWidth > 0, "could not measure \(page): \(layout)")
    #expect(
        scrollWidth <= clientWidth,
        "\(page) is \(scrollWidth) px wide on a \(clientWidth) px phone; too wide: \(report["wide"] ?? "")")
}

/// Checks a ``Chromium/formTargets(of:html:width:in:)`` report of `page`: at least `count` targets, each at least 44 px
/// tall with at least 16 px text.
func expectPhoneSizedTargets(_ report: String, page: String, atLeast count: Int) {
    let targets = report.split(separator: " ").dropFirst().map { $0.split(separator: ":") }
    #expect(targets.count >= count, "\(page): \(report)")
    for target in targets where target.count == 3 {
        let (name, height, size) = (target[0], Double(target[1]) ?? 0, Double(target[2]) ?? 0)
        #expect(height >= 44, "\(page): \(name) is \(height) px tall")
        #expect(size >= 16, "\(page): \(name) has \(size) px text")
    }
}

/// Starts `satchel demo` on a free port with fresh data, runs `body` with the node's base URL, and stops the node.
private func withDemoNode(_ body: (String) async throws -> Void) async throws {
    try await withDemoNode { base, _ in try await body(base) }
}

/// Starts `satchel demo` on a free port with fresh data, runs `body` with the node's base URL and data folder, and
/// stops the node.
func withDemoNode(_ body: (_ base: String, _ data: String) async throws -> Void) async throws {
    let folder = TemporaryDirectory("browser")
    let data = folder.file("demo-data")
    let node = try BackgroundProcess(["demo", "--data", data, "--port", "0", "--host", "127.0.0.1"])
    do {
        let port = try await node.waitFor(#"http://127\.0\.0\.1:(\d+)/"#)
        try await body("http://127.0.0.1:\(port)", data)
    } catch {
        await node.stop()
        throw error
    }
    #expect(await node.stop() == 0)
    withExtendedLifetime(folder) {}
}

/// The `href` values of the links in `html`, in order.
private func links(in html: String) -> [String] {
    // A plain scan of `<a ... href="...">` (NSRegularExpression ranges were unreliable on Chromium's DOM dumps here).
    var result: [String] = []
    var rest = html[...]
    while let anchor = rest.range(of: "<a ") {
        rest = rest[anchor.upperBound...]
        guard let close = rest.firstIndex(of: ">") else { break }
        let tag = rest[..<close]
        if let href = tag.range(of: "href=\"") {
            let value = tag[href.upperBound...].prefix { $0 != "\"" }
            result.append(String(value))
        }
        rest = rest[close...]
    }
    return result
}

/// The value of `name` on the first `tag` element in `html`.
private func attribute(_ name: String, ofFirst tag: String, in html: String) -> String? {
    let regex = try! NSRegularExpression(pattern: #"<"# + tag + #"\b[^>]*\b"# + name + #"="([^"]*)""#)
    guard let match = regex.firstMatch(in: html, range: NSRange(html.startIndex..., in: html)) else { return nil }
    return String(html[Range(match.range(at: 1), in: html)!])
}

/// The `key=value` words of a probe's report, such as `seeked:3.0 state=4 duration=4.00`.
func fields(of report: String) -> [String: String] {
    var result: [String: String] = [:]
    for word in report.split(separator: " ") {
        let parts = word.split(separator: "=", maxSplits: 1)
        if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
    }
    return result
}

/// A page that loads `video` muted, seeks to 3 s once the metadata is in, and reports to `report` either
/// `seeked=TIME&state=…&duration=…&seekable=…&size=WxH&frames=…` or `error=CODE`.
private func seekProbe(video: String, report: String) -> String {
    """
    <!DOCTYPE html>
    <html><head><meta charset="utf-8"><title>seek</title></head><body>
    <video id="v" muted preload="auto" src="\(video)"></video>
    <script>
    var v = document.getElementById("v");
    function send(fields) {
        var query = Object.keys(fields).map(function (k) { return k + "=" + encodeURIComponent(fields[k]); });
        new Image().src = "\(report)?" + query.join("&");
    }
    v.addEventListener("loadedmetadata", function () { v.currentTime = 3; });
    v.addEventListener("seeked", function () {
        send({
            seeked: v.currentTime.toFixed(1), state: v.readyState, duration: v.duration.toFixed(2),
            seekable: v.seekable.length ? v.seekable.end(v.seekable.length - 1).toFixed(2) : "none",
            size: v.videoWidth + "x" + v.videoHeight,
            frames: v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : -1
        });
    });
    v.addEventListener("error", function () { send({error: v.error ? v.error.code : "?"}); });
    </script>
    </body></html>
    """
}

/// Headless Chromium run as a command, one page a run, each run with a fresh profile (so no cookie, such as the
/// chosen language, carries over from one run to the next).
struct Chromium: Sendable {
    let executable: String
    let scratch: TemporaryDirectory

    /// Finds `chromium` or `chromium-browser` (or the program the `CHROMIUM` environment variable names), or fails
    /// saying how to install it.
    static func find() throws -> Chromium {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let named = environment["CHROMIUM"], !named.isEmpty { candidates.append(named) }
        let folders = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/bin"]
        for name in ["chromium", "chromium-browser"] {
            candidates += folders.map { $0 + "/" + name }
        }
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ChromiumMissing()
        }
        return Chromium(executable: executable, scratch: TemporaryDirectory("chromium"))
    }

    /// The page at `url` as the browser's DOM after it loaded and ran its scripts, serialized as HTML.
    func dumpDOM(url: String, extraArguments: [String] = [], virtualTime: Int = 10_000) async throws -> String {
        try await run(["--virtual-time-budget=\(virtualTime)"] + extraArguments + ["--dump-dom", url])
    }

    /// Takes a PNG screenshot of the page at `url` in a `width` x `height` window and writes it to `path`.
    func screenshot(url: String, width: Int, height: Int, to path: String) async throws {
        try? FileManager.default.removeItem(atPath: path)
        _ = try await run([
            "--virtual-time-budget=5000", "--window-size=\(width),\(height)", "--screenshot=\(path)", url,
        ])
        guard FileManager.default.fileExists(atPath: path) else {
            throw ChromiumFailure(description: "Chromium wrote no screenshot of \(url) to \(path)")
        }
    }

    /// Lays out the page at `url` in a frame `width` px wide (a headless window is never narrower than 500 px) and
    /// returns `layout scroll=… client=… wide=TAGS`: the page's scroll width, its visible width, and the elements
    /// that reach past the visible width. The page's DOM is copied to a local file with a `<base>` pointing at its
    /// address, so that a local page may measure it.
    func phoneLayout(
        of url: String, html: String? = nil, width: Int, in folder: TemporaryDirectory
    ) async throws -> String {
        try await measure(
            url, html: html, width: width, in: folder,
            report: """
                var wide = Array.from(f.contentDocument.querySelectorAll("body *")).filter(function (e) {
                    return e.getBoundingClientRect().right > d.clientWidth + 0.5;
                }).map(function (e) { return e.tagName.toLowerCase(); });
                document.title = "layout scroll=" + d.scrollWidth + " client=" + d.clientWidth
                    + " wide=" + wide.join(",");
                """)
    }

    /// The size of every text field and button of the forms in `url`'s main part laid out `width` px wide, one
    /// `name:height:fontSize` entry each, space-separated.
    func formTargets(
        of url: String, html: String? = nil, width: Int, in folder: TemporaryDirectory
    ) async throws -> String {
        try await measure(
            url, html: html, width: width, in: folder,
            report: """
                var targets = Array.from(f.contentDocument.querySelectorAll(
                    "main input:not([type=hidden]), main button, main select")).map(function (e) {
                    var box = e.getBoundingClientRect();
                    return (e.name || e.tagName.toLowerCase()) + ":" + Math.round(box.height) + ":"
                        + parseFloat(f.contentWindow.getComputedStyle(e).fontSize);
                });
                document.title = "targets " + targets.join(" ");
                """)
    }

    /// Lays out `url`'s page in a `width` px frame and returns the title that `report` (JavaScript that sees the
    /// frame as `f` and its root element as `d`) sets. The page is `html` when given (a page fetched with a logged-in
    /// teacher's cookie, which a fresh browser profile does not have), else the DOM Chromium made of `url`.
    private func measure(
        _ url: String, html: String? = nil, width: Int, in folder: TemporaryDirectory, report: String
    ) async throws
        -> String
    {
        var page: String
        if let html { page = html } else { page = try await dumpDOM(url: url) }
        let base = #"<base href="\#(url)">"#
        if let head = page.range(of: "<head>") {
            page.insert(contentsOf: base, at: head.upperBound)
        } else {
            page = base + page
        }
        if !page.lowercased().hasPrefix("<!doctype") { page = "<!DOCTYPE html>\n" + page }
        let framedName = "page-\(UUID().uuidString.prefix(8)).html"
        folder.write(framedName, page)
        return try await self.report(onFramed: framedName, width: width, in: folder, report: report)
    }

    /// Opens the local page `framedName` (a file in `folder`) in a `width` px frame and returns the title that
    /// `report` (JavaScript that sees the frame as `f` and its root element as `d`) sets once the frame has loaded.
    func report(
        onFramed framedName: String, width: Int, in folder: TemporaryDirectory, report: String
    ) async throws
        -> String
    {
        let frame = folder.write(
            "frame-\(UUID().uuidString.prefix(8)).html",
            """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>pending</title></head><body style="margin:0">
            <iframe id="f" width="\(width)" height="740" style="border:0" src="\(framedName)"></iframe>
            <script>
            var f = document.getElementById("f");
            f.addEventListener("load", function () {
                var d = f.contentDocument.documentElement;
            \(report)
            });
            </script>
            </body></html>
            """)
        let dom = try await dumpDOM(
            url: URL(fileURLWithPath: frame).absoluteString, extraArguments: ["--allow-file-access-from-files"])
        return Chromium.title(in: dom) ?? dom
    }

    /// The text of the first `<title>` in `html`.
    static func title(in html: String) -> String? {
        guard let start = html.range(of: "<title>"),
            let end = html.range(of: "</title>", range: start.upperBound..<html.endIndex)
        else { return nil }
        return String(html[start.upperBound..<end.lowerBound])
    }

    /// Runs Chromium headless with `arguments` and returns what it printed on standard output. Kills it after
    /// `timeout` seconds, so that a hung browser fails the test instead of hanging the suite.
    func run(_ arguments: [String], timeout: Double = 60) async throws -> String {
        let run = try Run(self, arguments)
        let deadline = Date().addingTimeInterval(timeout)
        while run.process.isRunning && Date() < deadline {
            do { try await Task.sleep(for: .milliseconds(50)) } catch { break }
        }
        let hung = run.process.isRunning
        let (output, errors) = run.finish()
        let command = ([executable] + arguments).joined(separator: " ")
        if hung {
            throw ChromiumFailure(description: "Chromium was killed after \(Int(timeout)) s: \(command)\n\(errors)")
        }
        guard run.process.terminationStatus == 0 else {
            throw ChromiumFailure(
                description: "Chromium exited with status \(run.process.terminationStatus): \(command)\n\(errors)")
        }
        return output
    }

    /// Opens `url` and keeps the browser running until the page reports to `listener` (the page's own event), then
    /// closes it and returns the report. Fails if no report comes within two minutes (a first start on a new
    /// machine takes seconds, not minutes).
    func report(
        from url: String, to listener: ReportListener, extraArguments: [String] = []
    ) async throws
        -> [String: String]
    {
        let run = try Run(self, extraArguments + [url])
        let report = await listener.next()
        let (_, errors) = run.finish()
        guard let report else {
            throw ChromiumFailure(description: "the page at \(url) sent no report within two minutes\n\(errors)")
        }
        return report
    }

    /// One Chromium process with a fresh profile and its output in files.
    final class Run {
        let process = Process()
        private let outPath: String
        private let errPath: String
        private let profile: String
        private let out: FileHandle
        private let err: FileHandle

        init(_ chromium: Chromium, _ arguments: [String]) throws {
            let id = UUID().uuidString.prefix(8)
            outPath = chromium.scratch.file("out-\(id).txt")
            errPath = chromium.scratch.file("err-\(id).txt")
            profile = chromium.scratch.file("profile-\(id)")
            _ = FileManager.default.createFile(atPath: outPath, contents: nil)
            _ = FileManager.default.createFile(atPath: errPath, contents: nil)
            out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
            err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
            var flags = [
                "--headless=new", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--no-default-browser-check",
                "--user-data-dir=" + profile,
            ]
            // Chromium refuses to run as root unless its sandbox is turned off.
            if geteuid() == 0 { flags.append("--no-sandbox") }
            process.executableURL = URL(fileURLWithPath: chromium.executable)
            process.arguments = flags + arguments
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }

        /// What the browser has written to standard error so far.
        func errorText() -> String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

        /// Stops the browser if it still runs (asked to quit, so that it writes out its net log; killed if it has
        /// not quit within 10 s; its helper processes exit with it), and returns what it printed and the last lines
        /// of its errors.
        func finish() -> (output: String, errors: String) {
            if process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                let deadline = Date().addingTimeInterval(10)
                while process.isRunning && Date() < deadline { usleep(20_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            process.waitUntilExit()
            try? out.close()
            try? err.close()
            defer { try? FileManager.default.removeItem(atPath: profile) }
            let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            // Chromium logs much D-Bus noise on a machine without a session bus: keep the last other lines.
            let errors = errorText().split(separator: "\n")
                .filter { !$0.contains("dbus") }.suffix(20).joined(separator: "\n")
            return (output, errors)
        }
    }
}

/// Chromium is not installed.
struct ChromiumMissing: Error, CustomStringConvertible {
    var description: String {
        "Chromium is not installed, so the browser tests cannot run: install it with "
            + "`apt-get install chromium fonts-noto-cjk` (CI installs them)"
    }
}

/// A Chromium run went wrong.
struct ChromiumFailure: Error, CustomStringConvertible {
    var description: String
}
