import Foundation
import Hummingbird
import SatchelCore
import SatchelStore

/// The teacher web UI: server-rendered pages, Chinese first with an English switch, usable without JavaScript.
struct WebPages: Sendable {
    let database: SatchelDatabase
    let defaultLanguage: Language

    /// The language for a request: `?lang=` first, then the `lang` cookie, then the node's default.
    func language(for request: Request) -> Language {
        if let tag = request.uri.queryParameters["lang"].flatMap({ Language(tag: String($0)) }) { return tag }
        if let cookie = request.headers[.cookie] {
            for part in cookie.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2, pair[0] == "lang", let language = Language(tag: pair[1]) { return language }
            }
        }
        return defaultLanguage
    }

    func home(_ request: Request) throws -> Response {
        let language = language(for: request)
        let bundles = try database.bundles()
        let recent = try database.recentResources(limit: 20)
        var body = "<h1>\(HTML.escape(Text.title(language)))</h1>"
        if bundles.isEmpty {
            body += "<div class=\"card\">\(HTML.escape(Text.empty(language)))</div>"
        }
        if !recent.isEmpty {
            body += "<h2>\(HTML.escape(Text.recent(language)))</h2>"
            body += recent.map { resourceCard($0, language) }.joined()
        }
        if !bundles.isEmpty {
            body += "<h2>\(HTML.escape(Text.bundles(language)))</h2>"
            for bundle in bundles {
                body += """
                    <div class="card"><a href="/bundles/\(HTML.pathSegment(bundle.id))">\
                    \(HTML.escape(bundle.title(language)))</a>
                    <div class="meta">\(HTML.escape(bundle.id)) · v\(bundle.version) · \
                    \(ByteCount.human(bundle.totalSize))</div></div>
                    """
            }
        }
        return page(request, title: Text.title(language), body: body, language: language)
    }

    func bundle(_ request: Request, id: String) throws -> Response {
        let language = language(for: request)
        guard let bundle = try database.bundle(id: id) else { throw HTTPError(.notFound) }
        let resources = try database.resources(bundleId: id)
        var body = "<h1>\(HTML.escape(bundle.title(language)))</h1>"
        body += "<p class=\"meta\">v\(bundle.version) · \(ByteCount.human(bundle.totalSize))</p>"
        body += resources.map { resourceCard($0, language) }.joined()
        return page(request, title: bundle.title(language), body: body, language: language)
    }

    func resource(_ request: Request, bundleId: String, id: String) throws -> Response {
        let language = language(for: request)
        guard let resource = try database.resource(bundleId: bundleId, id: id),
            let file = try database.file(bundleId: bundleId, path: resource.entry)
        else { throw HTTPError(.notFound) }
        let url = "/content/\(HTML.pathSegment(bundleId))/\(HTML.path(resource.entry))"
        var body = "<h1>\(HTML.escape(resource.title(language)))</h1>"
        body += "<p class=\"meta\">\(HTML.escape(classification(resource)))</p>"
        if let description = language == .english ? resource.descriptionEn : resource.descriptionZh {
            body += "<p>\(HTML.escape(description))</p>"
        }
        switch resource.type {
        case "video":
            body += "<video controls preload=\"metadata\" src=\"\(url)\"></video>"
        case "audio":
            body += "<audio controls preload=\"metadata\" src=\"\(url)\"></audio>"
        case "image":
            body += "<img src=\"\(url)\" alt=\"\(HTML.escape(resource.title(language)))\">"
        case "html", "exercise", "course-module":
            body += "<p><a class=\"button\" href=\"\(url)\">\(HTML.escape(Text.open(language)))</a></p>"
            body += "<iframe src=\"\(url)\" title=\"\(HTML.escape(resource.title(language)))\"></iframe>"
        default:
            if file.mediaType == "application/pdf" {
                body += "<iframe src=\"\(url)\" title=\"\(HTML.escape(resource.title(language)))\"></iframe>"
            }
        }
        body += """
            <p><a class="button" href="\(url)" download>\(HTML.escape(Text.download(language))) \
            (\(ByteCount.human(file.size)))</a></p>
            """
        return page(request, title: resource.title(language), body: body, language: language)
    }

    private func resourceCard(_ resource: ResourceRecord, _ language: Language) -> String {
        """
        <div class="card"><a href="/resources/\(HTML.pathSegment(resource.bundleId))/\(HTML.pathSegment(resource.id))">\
        \(HTML.escape(resource.title(language)))</a>
        <div class="meta">\(HTML.escape(Text.type(resource.type, language))) · \
        \(HTML.escape(classification(resource))) · \(ByteCount.human(resource.entrySize))</div></div>
        """
    }

    private func classification(_ resource: ResourceRecord) -> String {
        [resource.stage, resource.grade, resource.subject, resource.edition, resource.term].compactMap { $0 }
            .filter { !$0.isEmpty }.joined(separator: " · ")
    }

    private func page(_ request: Request, title: String, body: String, language: Language) -> Response {
        let path = request.uri.path
        let other: Language = language == .chinese ? .english : .chinese
        let switchLink =
            "<a href=\"\(HTML.escape(path))?lang=\(other.rawValue)\">\(other == .english ? "English" : "中文")</a>"
        let html = HTML.page(
            title: title + " · Satchel", language: language.rawValue, languageSwitch: switchLink, body: body)
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"]
        if request.uri.queryParameters["lang"] != nil {
            headers[.setCookie] = "lang=\(language.rawValue); Path=/; Max-Age=31536000; SameSite=Lax"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The UI's fixed strings.
    enum Text {
        static let title = LocalizedText(zh: "学习资源", en: "Learning resources")
        static let empty = LocalizedText(
            zh: "还没有安装任何资源包。请技术员用 satchel import 导入。",
            en: "No bundles are installed yet. A technician can add them with satchel import."
        )
        static let recent = LocalizedText(zh: "最新资源", en: "What's new")
        static let bundles = LocalizedText(zh: "资源包", en: "Bundles")
        static let open = LocalizedText(zh: "全屏打开", en: "Open full screen")
        static let download = LocalizedText(zh: "下载", en: "Download")

        static func type(_ type: String, _ language: Language) -> String {
            let names: [String: LocalizedText] = [
                "video": LocalizedText(zh: "视频", en: "Video"),
                "document": LocalizedText(zh: "文档", en: "Document"),
                "html": LocalizedText(zh: "课件", en: "Lesson"),
                "exercise": LocalizedText(zh: "练习", en: "Exercise"),
                "audio": LocalizedText(zh: "音频", en: "Audio"),
                "image": LocalizedText(zh: "图片", en: "Image"),
                "course-module": LocalizedText(zh: "培训单元", en: "Course module"),
            ]
            return names[type]?(language) ?? type
        }
    }
}
