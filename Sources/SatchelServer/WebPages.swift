import Foundation
import Hummingbird
import Mustache
import NIOCore
import SatchelBundles
import SatchelCore
import SatchelHTTP
import SatchelStore

/// The teacher web UI: server-rendered Mustache pages, Chinese first with an English switch, usable without
/// JavaScript on a 360 px phone.
struct WebPages: Sendable {
    let database: SatchelDatabase
    let defaultLanguage: Language
    /// Where searches are recorded (their result counts are the platform's demand signal); nil records nothing.
    var events: EventLog?
    /// Who searched for what lately: a search counts once per client and query a minute.
    var recentUses = RecentUses()
    /// When each client opened each resource page, for crediting the time the page reports.
    var visits = VisitClock()

    /// The language for a request: `?lang=` first, then the `lang` cookie, then the node's default.
    func language(for request: Request) -> Language {
        if let tag = request.uri.queryParameters["lang"].flatMap({ Language(tag: String($0)) }) { return tag }
        if let language = Sessions.cookie("lang", in: request).flatMap(Language.init(tag:)) { return language }
        return defaultLanguage
    }

    func home(_ request: Request) throws -> Response {
        let language = language(for: request)
        // A Satchel release is for the installer, not for teachers.
        let bundles = try database.bundles().filter { $0.kind != Manifest.BundleKind.software.rawValue }
        let recent = try database.recentResources(limit: 12)
        let stages = try database.facet("stage", filter: Classification())
        var context: [String: Any] = [
            "bundles": bundles.map { bundle in
                [
                    "id": bundle.id, "idSegment": HTMLText.segment(bundle.id), "title": bundle.title(language),
                    "version": bundle.version, "size": ByteCount.human(bundle.totalSize),
                ] as [String: Any]
            },
            "hasBundles": !bundles.isEmpty,
            "recent": recent.map { card($0, language, terms: []) },
            "hasRecent": !recent.isEmpty,
            "stages": stages.map {
                ["value": $0.value, "count": $0.count, "url": "/browse?stage=\(HTMLText.segment($0.value))"]
            },
            "hasStages": !stages.isEmpty,
        ]
        // One session lookup serves the teacher's part of the page and the header.
        let session = Sessions(database: database).current(request)
        context.merge(try TeacherTools(database: database, pages: self).homeContext(request, session: session)) {
            _, mine in mine
        }
        return render(
            "home", title: UIText.title(language), context: context, request: request, language: language,
            user: .some(session?.1))
    }

    func bundle(_ request: Request, id: String) throws -> Response {
        let language = language(for: request)
        guard let bundle = try database.bundle(id: id) else { return try notFound(request) }
        let resources = try database.resources(bundleId: id)
        let context: [String: Any] = [
            "bundleTitle": bundle.title(language), "version": bundle.version,
            "size": ByteCount.human(bundle.totalSize), "count": resources.count,
            "resources": resources.map { card($0, language, terms: []) },
        ]
        return render("bundle", title: bundle.title(language), context: context, request: request, language: language)
    }

    func resource(_ request: Request, bundleId: String, id: String) throws -> Response {
        let language = language(for: request)
        guard let resource = try database.resource(bundleId: bundleId, id: id),
            let file = try database.file(bundleId: bundleId, path: resource.entry),
            let bundle = try database.bundle(id: bundleId)
        else { return try notFound(request) }
        let isPage = DownloadRoute.isPage(resource.type)
        let isTraining = bundle.kind == Manifest.BundleKind.training.rawValue
        // The page's beacon reports time from now: the node starts its own clock for this visit here.
        visits.opened(
            client: RecentUses.client(of: request, userAgent: request.headers[.userAgent]), bundleId: bundleId,
            resourceId: resource.id)
        let session = Sessions(database: database).current(request)
        let tools = try TeacherTools(database: database, pages: self).resourceContext(
            request, session: session, bundleId: bundleId, resourceId: resource.id)
        let context: [String: Any] = [
            "tools": tools.merging(["bundleId": bundleId, "resourceId": resource.id]) { first, _ in first },
            "bundleId": bundleId, "resourceId": resource.id, "isTraining": isTraining,
            "resourceTitle": resource.title(language), "bundleTitle": bundle.title(language),
            "bundleSegment": HTMLText.segment(bundleId), "idSegment": HTMLText.segment(resource.id),
            "meta": HTMLText.fields([UIText.typeName(resource.type, language), classification(resource)]),
            "description": (language == .english ? resource.descriptionEn : resource.descriptionZh) ?? "",
            "url": "/content/\(HTMLText.segment(bundleId))/\(HTMLText.path(resource.entry))",
            "downloadURL": "/download/\(HTMLText.segment(bundleId))/\(HTMLText.segment(resource.id))",
            "size": ByteCount.human(file.size),
            "isVideo": resource.type == "video", "isAudio": resource.type == "audio",
            "isImage": resource.type == "image",
            "isPage": isPage, "isPDF": !isPage && file.mediaType == "application/pdf",
            "isEmbedded": isPage || file.mediaType == "application/pdf",
        ]
        return render(
            "resource", title: resource.title(language), context: context, request: request,
            language: language, user: .some(session?.1))
    }

    func search(_ request: Request) throws -> Response {
        let language = language(for: request)
        let parameters = QueryString(request.uri.query)
        let query = (parameters["q"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let page = Int(parameters["page"] ?? "1") ?? 1
        let results = try database.search(query, page: page, pageSize: 20)
        if !query.isEmpty, page == 1, let events,
            recentUses.isNewSearch(
                client: RecentUses.client(of: request, userAgent: request.headers[.userAgent]), query: query)
        {
            let event = NodeEvent(.search(.init(query: query, results: results.total)))
            events.record(event)
        }
        let terms = SearchText.highlightTerms(query)
        var summary =
            language == .english
            ? "\(results.total) results for “\(query)”" : "“\(query)” 共找到 \(results.total) 个资源"
        if Self.isPastTheEnd(results) {
            summary +=
                language == .english
                ? "; page \(results.page) is past the last page." : "，第 \(results.page) 页已超出最后一页。"
        }
        let filterLabel = Classification.levels.compactMap { results.filter.value(at: $0) }.joined(separator: " · ")
        // A facet offers its values as refinements: the value added to the query is understood as a filter.
        let facets = ["subject", "grade"].compactMap { level -> [String: Any]? in
            guard let values = results.facets[level], values.count > 1 else { return nil }
            return [
                "name": UIText.levelName(level, language),
                "values": values.prefix(8).map { facet in
                    [
                        "value": facet.value, "count": facet.count,
                        "url": "/search?q=" + HTMLText.segment(query + " " + facet.value),
                    ] as [String: Any]
                },
            ]
        }
        let nearest = Classification.levels.compactMap { level in
            results.nearest.value(at: level).map { (level, $0) }
        }
        let nearestURL =
            "/browse" + (nearest.isEmpty ? "" : "?")
            + nearest.map { "\($0.0)=\(HTMLText.segment($0.1))" }.joined(separator: "&")
        let context: [String: Any] = [
            "hasQuery": !query.isEmpty, "summary": summary,
            "hasFilter": !filterLabel.isEmpty, "filterLabel": filterLabel, "facets": facets,
            "resources": results.resources.map { card($0, language, terms: terms) },
            "noResults": results.total == 0,
            "suggestions": results.suggestions.map { ["word": $0, "url": "/search?q=" + HTMLText.segment($0)] },
            "hasSuggestions": !results.suggestions.isEmpty,
            "nearestURL": nearestURL,
            "nearestLabel": UIText.browse(language)
                + (nearest.isEmpty ? "" : "：" + nearest.map(\.1).joined(separator: " › ")),
            "pager": pager(results, language: language) { "/search?q=\(HTMLText.segment(query))&page=\($0)" } as Any,
        ]
        return render(
            "search", title: UIText.searchResults(language), context: context, request: request,
            language: language, query: query)
    }

    func browse(_ request: Request) throws -> Response {
        let language = language(for: request)
        var filter = Classification()
        var crumbs: [[String: String]] = []
        var queryParts: [String] = []
        let parameters = QueryString(request.uri.query)
        for level in Classification.levels {
            guard let value = parameters[level], !value.isEmpty else { break }
            filter.set(level, value)
            queryParts.append("\(level)=\(HTMLText.segment(value))")
            crumbs.append(["value": value, "url": "/browse?" + queryParts.joined(separator: "&")])
        }
        if let deeper = try skippingSingleChoices(filter) {
            return Self.browseRedirect(to: deeper, keeping: parameters)
        }
        let base = queryParts.isEmpty ? "/browse?" : "/browse?" + queryParts.joined(separator: "&") + "&"
        let next = filter.nextLevel
        let choices = try next.map { try database.facet($0, filter: filter) } ?? []
        let page = Int(parameters["page"] ?? "1") ?? 1
        let results = try database.browse(filter, page: page, pageSize: 30)
        let heading = crumbs.last?["value"] ?? UIText.browse(language)
        let context: [String: Any] = [
            "heading": heading, "crumbs": crumbs,
            "levelName": next.map { UIText.levelName($0, language) } ?? "",
            "choices": choices.map { choice in
                [
                    "value": choice.value, "count": choice.count,
                    "url": base + "\(next ?? "term")=\(HTMLText.segment(choice.value))",
                ] as [String: Any]
            },
            "hasChoices": !choices.isEmpty, "total": results.total,
            "resources": results.resources.map { card($0, language, terms: []) },
            "pager": pager(results, language: language) { base + "page=\($0)" } as Any,
        ]
        return render("browse", title: heading, context: context, request: request, language: language)
    }

    func notFound(_ request: Request) throws -> Response {
        let language = language(for: request)
        var response = render(
            "error", title: UIText.notFound(language),
            context: ["heading": UIText.notFound(language), "message": UIText.notFoundMessage(language)],
            request: request, language: language)
        response.status = .notFound
        return response
    }

    /// A resource's card in a list, with `terms` highlighted.
    func card(_ resource: ResourceRecord, _ language: Language, terms: [String] = []) -> [String: Any] {
        let description = (language == .english ? resource.descriptionEn : resource.descriptionZh) ?? ""
        return [
            "bundleSegment": HTMLText.segment(resource.bundleId), "idSegment": HTMLText.segment(resource.id),
            "titleHTML": HTMLText.highlight(resource.title(language), terms: terms),
            "metaHTML": HTMLText.fieldsHTML([
                UIText.typeName(resource.type, language), resource.stage, resource.grade, resource.subject,
                resource.edition, resource.term, resource.unit, ByteCount.human(resource.entrySize),
            ]),
            "snippetHTML": terms.isEmpty || description.isEmpty
                ? "" : HTMLText.highlight(snippet(description, terms: terms), terms: terms),
        ]
    }

    /// Whether `results` is a page after the last one of results that exist (a page number typed or kept from an
    /// older list).
    static func isPastTheEnd(_ results: SearchPage) -> Bool {
        results.total > 0 && results.page > 1 && results.resources.isEmpty
    }

    /// 120 characters of `description` around the first of `terms` it holds (from its start when none): a long
    /// description often names the lesson's own words last.
    private func snippet(_ description: String, terms: [String]) -> String {
        let characters = Array(description)
        let lowered = description.lowercased()
        let first =
            terms.compactMap { term -> Int? in
                lowered.range(of: term.lowercased()).map {
                    lowered.distance(from: lowered.startIndex, to: $0.lowerBound)
                }
            }.min() ?? 0
        guard characters.count > 120, first > 60, lowered.count == characters.count else {
            return String(description.prefix(120))
        }
        let start = min(first - 30, characters.count - 120)
        return "…" + String(characters[start..<start + 120])
    }

    private func pager(_ results: SearchPage, language: Language, url: (Int) -> String) -> [String: Any]? {
        let pages = max(1, (results.total + results.pageSize - 1) / results.pageSize)
        if Self.isPastTheEnd(results) {
            return ["label": "", "first": url(1), "firstLabel": UIText.backToFirstPage(language)]
        }
        guard pages > 1 else { return nil }
        var pager: [String: Any] = [
            "label": language == .english ? "Page \(results.page) of \(pages)" : "第 \(results.page) / \(pages) 页"
        ]
        if results.page > 1 { pager["previous"] = url(results.page - 1) }
        if results.page < pages { pager["next"] = url(results.page + 1) }
        return pager
    }

    private func classification(_ resource: ResourceRecord) -> String {
        HTMLText.fields([
            resource.stage, resource.grade, resource.subject, resource.edition, resource.term, resource.unit,
        ])
    }

    /// Renders `template` inside the page layout, with the title in the request's language.
    func renderPage(_ template: String, title: LocalizedText, context: [String: Any], request: Request) -> Response {
        let language = language(for: request)
        return render(template, title: title(language), context: context, request: request, language: language)
    }

    /// The page the language switch reloads, with its query: the page itself for a GET; for the answer to a form
    /// (an import's result), which has no address of its own, the same-site page the form was on, else home.
    static func pageToSwitch(_ request: Request) -> (path: String, query: String?) {
        if request.method == .get || request.method == .head { return (request.uri.path, request.uri.query) }
        if let referer = request.headers[.referer], Sessions.isSameOrigin(request),
            let url = URLComponents(string: referer), url.percentEncodedPath.hasPrefix("/")
        {
            return (url.percentEncodedPath, url.percentEncodedQuery)
        }
        return ("/", nil)
    }

    private func render(
        _ template: String, title: String, context: [String: Any], request: Request, language: Language,
        query: String = "", user known: TeacherRecord?? = nil
    ) -> Response {
        var context = context
        let strings = UIText.strings(language)
        context["t"] = strings
        let body = Templates.library.render(context, withTemplate: template) ?? ""
        let other: Language = language == .chinese ? .english : .chinese
        // The logged-in teacher for the header: as the page already looked it up, else from the session cookie.
        let user = known ?? Sessions(database: database).current(request)?.1
        let (switchPath, currentQuery) = Self.pageToSwitch(request)
        var switchQuery =
            currentQuery.map { query in
                query.split(separator: "&").filter { !$0.hasPrefix("lang=") }.joined(separator: "&")
            } ?? ""
        switchQuery += (switchQuery.isEmpty ? "" : "&") + "lang=\(other.rawValue)"
        let page: [String: Any] = [
            "lang": language.rawValue, "title": title, "body": body, "t": strings, "query": query,
            "switchURL": switchPath + "?" + switchQuery, "switchLang": other.rawValue,
            "switchLabel": other == .english ? "English" : "中文",
            "user": user?.name ?? "", "hasUser": user != nil, "isAdmin": user?.role == .admin,
        ]
        let html = Templates.library.render(page, withTemplate: "layout") ?? ""
        return Self.page(html, request: request, language: language)
    }

    /// A whole HTML page as the answer to `request`: not cached without asking, in `language`, which a `?lang=` in
    /// the request also keeps in a cookie.
    static func page(_ html: String, request: Request, language: Language) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"]
        headers[.init("Content-Language")!] = language.rawValue
        if request.uri.queryParameters["lang"].flatMap({ Language(tag: String($0)) }) != nil {
            headers[.setCookie] = "lang=\(language.rawValue); Path=/; Max-Age=31536000; SameSite=Lax"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
