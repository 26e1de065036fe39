import Foundation
import Testing

@testable import SatchelServer

/// The offline page builder on its own: which references it puts inside the page, which it leaves, and its limits.
@Suite struct OfflinePageTests {
    static let files: [String: String] = [
        "lesson/style.css": "h1 { background: url(img/bg.png) } .b { background: url( \"../shared/dot.svg\" ) }",
        "lesson/img/bg.png": "PNG",
        "lesson/img/a b.png": "SPACE",
        "lesson/pic.svg": "<svg/>",
        "lesson/app.js": "var x = 1;",
        "shared/dot.svg": "<svg id=dot/>",
        "shared/print.css": "@import url('style2.css'); p { color: red }",
        "shared/style2.css": "q { color: blue }",
        "big.mp4": String(repeating: "v", count: 5000),
        "top.png": "TOP",
    ]

    /// Builds the page for `lesson/index.html` from `html` over ``files``.
    static func build(
        _ html: String, limits: OfflinePage.Limits = OfflinePage.Limits(),
        remoteBase: String? = "http://node/content/b/"
    ) -> (html: String, page: OfflinePage) {
        var page = OfflinePage(entryPath: "lesson/index.html", remoteBase: remoteBase, limits: limits) { path in
            guard let text = files[path] else { return nil }
            let type =
                path.hasSuffix(".css")
                ? "text/css; charset=utf-8" : path.hasSuffix(".svg") ? "image/svg+xml" : "application/octet-stream"
            return OfflinePage.Asset(size: Int64(text.utf8.count), mediaType: type) { Array(text.utf8) }
        }
        let output = page.build(Array(html.utf8))
        return (String(decoding: output, as: UTF8.self), page)
    }

    static func dataURI(_ text: String, _ type: String) -> String {
        "data:\(type);base64,\(Data(text.utf8).base64EncodedString())"
    }

    struct ResolveCase: Sendable, CustomTestStringConvertible {
        var reference: String
        var path: String?
        var fragment = ""
        var testDescription: String { reference }
    }

    @Test(arguments: [
        ResolveCase(reference: "pic.svg", path: "lesson/pic.svg"),
        ResolveCase(reference: "./img/bg.png", path: "lesson/img/bg.png"),
        ResolveCase(reference: "../shared/dot.svg", path: "shared/dot.svg"),
        ResolveCase(reference: "img/../pic.svg?v=3", path: "lesson/pic.svg"),
        ResolveCase(reference: "pic.svg#layer", path: "lesson/pic.svg", fragment: "#layer"),
        ResolveCase(reference: "pic.svg?v=1#top", path: "lesson/pic.svg", fragment: "#top"),
        ResolveCase(reference: "img/a%20b.png", path: "lesson/img/a b.png"),
        ResolveCase(reference: "  pic.svg ", path: "lesson/pic.svg"),
        ResolveCase(reference: "../../etc/passwd", path: nil),
        ResolveCase(reference: "../../../lesson/pic.svg", path: nil),
        ResolveCase(reference: "/content/b/pic.svg", path: nil),
        ResolveCase(reference: "//cdn.example.com/x.js", path: nil),
        ResolveCase(reference: "https://example.com/x.png", path: nil),
        ResolveCase(reference: "data:image/png;base64,AAAA", path: nil),
        ResolveCase(reference: "javascript:alert(1)", path: nil),
        ResolveCase(reference: "#section", path: nil),
        ResolveCase(reference: "", path: nil),
        ResolveCase(reference: "img/%2e%2e%2f%2e%2e%2fx", path: nil),
        ResolveCase(reference: "img/%00.png", path: nil),
        ResolveCase(reference: "img/", path: nil),
    ])
    func resolvesAgainstTheEntrysFolder(_ item: ResolveCase) {
        let resolved = OfflinePage.resolve(item.reference, against: "lesson/index.html")
        #expect(resolved?.path == item.path)
        if item.path != nil { #expect(resolved?.fragment == item.fragment) }
    }

    @Test func inlinesImagesStylesheetsScriptsAndTheirURLs() {
        let (html, page) = Self.build(
            """
            <!DOCTYPE html><html><head><LINK REL="stylesheet" href='style.css'><link rel=icon href=pic.svg>
            <script src="app.js"></script><style>body { background: url('img/bg.png') }</style></head>
            <body><img alt="a > b" src="pic.svg#x"><video poster=img/bg.png></video>
            <p style="background:url(pic.svg)">text</p></body></html>
            """)
        let css =
            "h1 { background: url(\(Self.dataURI("PNG", "application/octet-stream"))) } .b { background: url( \""
            + Self.dataURI("<svg id=dot/>", "image/svg+xml") + "\" ) }"
        #expect(html.contains("href='\(Self.dataURI(css, "text/css;charset=utf-8"))'"))
        #expect(html.contains("href=\(Self.dataURI("<svg/>", "image/svg+xml"))>"))
        #expect(html.contains("<script src=\"\(Self.dataURI("var x = 1;", "application/octet-stream"))\"></script>"))
        #expect(html.contains("url('\(Self.dataURI("PNG", "application/octet-stream"))')"))
        #expect(html.contains("<img alt=\"a > b\" src=\"\(Self.dataURI("<svg/>", "image/svg+xml"))#x\">"))
        #expect(html.contains("poster=\(Self.dataURI("PNG", "application/octet-stream"))>"))
        #expect(html.contains("style=\"background:url(\(Self.dataURI("<svg/>", "image/svg+xml")))\""))
        #expect(!html.contains("style.css") && !html.contains("app.js") && !html.contains("bg.png"))
        #expect(page.leftOutside.isEmpty)
        #expect(html.hasPrefix("\u{FEFF}<!-- Saved from Satchel"))
    }

    @Test func leavesWhatIsNotABundleFileAsItIs() {
        let source = """
            <a href="other.html">a link is not an asset</a><img src="missing.png"><img src="../../escape.png">
            <img src="https://example.com/x.png"><img src="data:image/gif;base64,R0lGOD"><img src="/content/b/top.png">
            <link rel="alternate" href="pic.svg"><!-- <img src="pic.svg"> --><p>url(pic.svg)</p>
            <script>var s = "<img src='pic.svg'>";</script><style>p { background: url(#frag) }</style>
            """
        let (html, page) = Self.build(source)
        #expect(html.hasSuffix(source))
        #expect(page.inlinedBytes == 0)
    }

    @Test func followsImportedStylesheetsToADepth() {
        let (html, _) = Self.build(#"<link rel="stylesheet" href="../shared/print.css">"#)
        let inner = Self.dataURI("q { color: blue }", "text/css;charset=utf-8")
        let outer = Self.dataURI("@import url('\(inner)'); p { color: red }", "text/css;charset=utf-8")
        #expect(html.contains(#"href=""# + outer + #"""#))
    }

    @Test func filesOverTheSizeCapStayLinksToTheNodeAndTheTopSaysSo() {
        var limits = OfflinePage.Limits()
        limits.maxInlinedBytes = 1000
        let (html, page) = Self.build(#"<video src="../big.mp4"></video><img src="pic.svg">"#, limits: limits)
        #expect(html.contains(#"<video src="http://node/content/b/big.mp4"></video>"#))
        #expect(html.contains(Self.dataURI("<svg/>", "image/svg+xml")))
        #expect(page.leftOutside == ["big.mp4"])
        let top = html.prefix { $0 != "\n" }
        #expect(top.contains("1 file(s) were too large") && top.contains("http://node/content/b/"))
    }

    @Test func referencesPastTheCountCapAreNotLookedUp() {
        var limits = OfflinePage.Limits()
        limits.maxReferences = 3
        let (html, page) = Self.build(String(repeating: #"<img src="pic.svg">"#, count: 5), limits: limits)
        #expect(page.references == 5)
        #expect(page.inlinedBytes == 3 * 6)
        #expect(html.components(separatedBy: #"src="http://node/content/b/lesson/pic.svg""#).count == 3)
    }

    @Test func withoutANodeAddressWhatIsOverTheCapStaysAsItWas() {
        var limits = OfflinePage.Limits()
        limits.maxInlinedBytes = 10
        let (html, page) = Self.build(#"<img src="../big.mp4">"#, limits: limits, remoteBase: nil)
        #expect(html.hasSuffix(#"<img src="../big.mp4">"#))
        #expect(page.leftOutside.isEmpty)
    }

    @Test func aPageNotInUTF8KeepsItsBytesAndGetsNoByteOrderMark() {
        // "<p>" + GBK bytes for 数学 + "</p><img src=pic.svg>"
        let gbk: [UInt8] = Array("<p>".utf8) + [0xCA, 0xFD, 0xD1, 0xA7] + Array("</p><img src=pic.svg>".utf8)
        var page = OfflinePage(entryPath: "lesson/index.html", remoteBase: nil) { path in
            path == "lesson/pic.svg" ? OfflinePage.Asset(size: 1, mediaType: "image/svg+xml") { [0x3C] } : nil
        }
        let output = page.build(gbk)
        #expect(output.first == UInt8(ascii: "<"))
        let body = output.drop { $0 != 0x0A }.dropFirst()
        #expect(Array(body.prefix(7)) == Array(gbk.prefix(7)), "the GBK text is kept byte for byte")
        #expect(String(decoding: output, as: UTF8.self).hasSuffix("<img src=data:image/svg+xml;base64,PA==>"))
    }

    @Test(arguments: [
        (
            "认识分数", "math-fractions", "html",
            #"attachment; filename="math-fractions.html"; filename*=UTF-8''%E8%AE%A4%E8%AF%86%E5%88%86%E6%95%B0.html"#
        ),
        ("a/b\\c:d*e?f\"g<h>i|j\u{7}", "x", "pdf", #"attachment; filename="x.pdf"; filename*=UTF-8''abcdefghij.pdf"#),
        ("...", "视频", "mp4", #"attachment; filename="download.mp4"; filename*=UTF-8''download.mp4"#),
        (
            "Getting to know fractions", "f", "",
            #"attachment; filename="f"; filename*=UTF-8''Getting%20to%20know%20fractions"#
        ),
    ])
    func dispositionNamesTheFileAfterTheTitle(_ title: String, _ id: String, _ ext: String, _ expected: String) {
        #expect(DownloadRoute.disposition(title: title, fallback: id, fileExtension: ext) == expected)
    }

    @Test func fileNamesAreLengthLimitedAndExtensionsPlain() {
        #expect(DownloadRoute.fileName(String(repeating: "长", count: 200)).count == DownloadRoute.maxNameLength)
        #expect(DownloadRoute.fileExtension(of: "video/intro.MP4") == "mp4")
        #expect(DownloadRoute.fileExtension(of: "a.b/README") == "")
        #expect(DownloadRoute.fileExtension(of: ".hidden") == "")
        #expect(DownloadRoute.fileExtension(of: "x.tar;rm") == "")
    }
}
