import Foundation
import Hummingbird
import NIOCore
import SatchelCore
import SatchelHTTP
import SatchelStore

/// What a logged-in teacher uses every day: 收藏 (favourites), 最近浏览 (recently opened) and 备课篮 (lesson plans:
/// resources put together for one class, shown full-screen in order on the classroom PC, and printed as a list).
///
/// The lists are the teacher's own and stay on the node; none of them is an event sent to the platform. Every change
/// is a same-origin form POST carrying the session's CSRF token, answered with a redirect, so the pages work without
/// JavaScript.
struct TeacherTools: Sendable {
    let database: SatchelDatabase
    let pages: WebPages
    var sessions: Sessions { Sessions(database: database) }

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/me/favourites") { request, _ in try favourites(request) }
        router.post("/me/favourites/:bundle/:id") { request, context in
            try await setFavourite(
                request, context, bundleId: try context.parameters.require("bundle"),
                resourceId: try context.parameters.require("id"))
        }
        router.get("/me/recent") { request, _ in try recent(request) }
        router.get("/me/lessons") { request, _ in try lessonPlans(request) }
        router.post("/me/lessons") { request, context in try await createLessonPlan(request, context) }
        router.get("/me/lessons/:plan") { request, context in
            try lessonPlan(request, id: try context.parameters.require("plan", as: Int64.self))
        }
        router.post("/me/lessons/add") { request, context in try await addItem(request, context) }
        router.post("/me/lessons/:plan/items/:position") { request, context in
            try await changeItem(
                request, context, id: try context.parameters.require("plan", as: Int64.self),
                position: try context.parameters.require("position", as: Int.self))
        }
        router.get("/me/lessons/:plan/delete") { request, context in
            try confirmDelete(request, id: try context.parameters.require("plan", as: Int64.self))
        }
        router.post("/me/lessons/:plan/delete") { request, context in
            try await deleteLessonPlan(request, context, id: try context.parameters.require("plan", as: Int64.self))
        }
        router.get("/training") { request, _ in try trainingCourses(request) }
        router.get("/me/lessons/:plan/present/:position") { request, context in
            try present(
                request, id: try context.parameters.require("plan", as: Int64.self),
                position: try context.parameters.require("position", as: Int.self))
        }
    }

    // MARK: Favourites and recently opened

    private func favourites(_ request: Request) throws -> Response {
        try resourceList(request, heading: TeacherToolsText.favourites, empty: TeacherToolsText.noFavourites) {
            try database.favourites(teacherId: $0)
        }
    }

    private func recent(_ request: Request) throws -> Response {
        try resourceList(request, heading: TeacherToolsText.recent, empty: TeacherToolsText.noRecent) {
            try database.recentViews(teacherId: $0).map(\.0)
        }
    }

    /// One of the logged-in teacher's lists of resources, or the way to log in.
    private func resourceList(
        _ request: Request, heading: LocalizedText, empty: LocalizedText,
        resources: (UUID) throws -> [ResourceRecord]
    ) throws -> Response {
        guard let (_, teacher) = sessions.current(request) else { return RecordsRoutes.redirect("/login") }
        let language = pages.language(for: request)
        return pages.renderPage(
            "resourceList", title: heading,
            context: [
                "heading": heading(language), "resources": try resources(teacher.id).map { pages.card($0, language) },
                "empty": empty(language),
            ], request: request)
    }

    /// `POST /me/favourites/:bundle/:id` with `favourite=1` (add) or `0` (remove); back to the resource page.
    private func setFavourite(
        _ request: Request, _ context: some RequestContext, bundleId: String, resourceId: String
    ) async throws -> Response {
        let form = try await RecordsRoutes.form(request, context)
        let teacher = try sessions.requireTeacher(request, form: form)
        guard try database.resource(bundleId: bundleId, id: resourceId) != nil else { throw HTTPError(.notFound) }
        let added = try database.setFavourite(
            form["favourite"] != "0", teacherId: teacher.id, bundleId: bundleId, resourceId: resourceId)
        guard added else {
            return message(request, status: .conflict, TeacherToolsText.tooManyFavourites, back: "/me/favourites")
        }
        return RecordsRoutes.redirect(Self.returnPath(form["return"], or: Self.resourcePath(bundleId, resourceId)))
    }

    // MARK: Lesson plans

    private func lessonPlans(_ request: Request) throws -> Response {
        guard let (session, teacher) = sessions.current(request) else { return RecordsRoutes.redirect("/login") }
        let language = pages.language(for: request)
        let plans = try database.lessonPlans(teacherId: teacher.id)
        return pages.renderPage(
            "lessonPlans", title: TeacherToolsText.lessonPlans,
            context: [
                "plans": plans.map { plan in
                    [
                        "url": "/me/lessons/\(plan.id)", "title": plan.title, "className": plan.className ?? "",
                        "count": plan.itemCount,
                        "updated": CivilDate.dayKey(secondsSince1970: plan.updatedAt.timeIntervalSince1970),
                    ] as [String: Any]
                },
                "csrf": session.csrfToken, "suggestedTitle": TeacherToolsText.suggestedTitle(Date(), language),
            ], request: request)
    }

    /// `POST /me/lessons` with `title`, `className` and, from a resource page, the resource to put in it first.
    private func createLessonPlan(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let form = try await RecordsRoutes.form(request, context)
        let teacher = try sessions.requireTeacher(request, form: form)
        let language = pages.language(for: request)
        var title = (form["title"] ?? "").trimmingCharacters(in: .whitespaces)
        if title.isEmpty { title = TeacherToolsText.suggestedTitle(Date(), language) }
        let className = (form["className"] ?? "").trimmingCharacters(in: .whitespaces)
        guard title.count <= 50, className.count <= 30 else {
            return message(request, status: .badRequest, TeacherToolsText.nameTooLong, back: "/me/lessons")
        }
        guard
            let plan = try database.createLessonPlan(
                teacherId: teacher.id, title: title, className: className.isEmpty ? nil : className)
        else {
            return message(request, status: .conflict, TeacherToolsText.tooManyPlans, back: "/me/lessons")
        }
        if let bundleId = form["bundle"], let resourceId = form["resource"],
            try database.resource(bundleId: bundleId, id: resourceId) != nil
        {
            _ = try database.addToLessonPlan(
                id: plan.id, teacherId: teacher.id, bundleId: bundleId, resourceId: resourceId)
        }
        return RecordsRoutes.redirect("/me/lessons/\(plan.id)")
    }

    private func lessonPlan(_ request: Request, id: Int64) throws -> Response {
        guard let (session, teacher) = sessions.current(request) else { return RecordsRoutes.redirect("/login") }
        guard let (plan, items) = try database.lessonPlan(id: id, teacherId: teacher.id) else {
            return try pages.notFound(request)
        }
        let language = pages.language(for: request)
        let context: [String: Any] = [
            "id": plan.id, "title": plan.title, "className": plan.className ?? "", "csrf": session.csrfToken,
            "count": items.count, "hasItems": !items.isEmpty,
            "presentURL": "/me/lessons/\(plan.id)/present/1",
            "items": items.enumerated().map { index, item -> [String: Any] in
                var entry: [String: Any] = [
                    "number": index + 1, "position": item.position, "isFirst": index == 0,
                    "isLast": index == items.count - 1,
                ]
                if let resource = item.resource {
                    entry["title"] = resource.title(language)
                    entry["url"] = Self.resourcePath(resource.bundleId, resource.id)
                    entry["meta"] = HTMLText.fields([
                        UIText.typeName(resource.type, language), resource.grade, resource.subject, resource.term,
                    ])
                } else {
                    entry["title"] = TeacherToolsText.gone(language)
                    entry["gone"] = true
                }
                return entry
            },
        ]
        return pages.renderPage(
            "lessonPlan", title: LocalizedText(zh: plan.title, en: plan.title), context: context, request: request)
    }

    /// `POST /me/lessons/add` with `plan`, `bundle` and `resource`: the resource goes last in the plan.
    private func addItem(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let form = try await RecordsRoutes.form(request, context)
        let teacher = try sessions.requireTeacher(request, form: form)
        guard let id = form["plan"].flatMap({ Int64($0) }), let bundleId = form["bundle"],
            let resourceId = form["resource"],
            try database.resource(bundleId: bundleId, id: resourceId) != nil
        else { throw HTTPError(.notFound) }
        switch try database.addToLessonPlan(id: id, teacherId: teacher.id, bundleId: bundleId, resourceId: resourceId) {
        case .changed: return RecordsRoutes.redirect("/me/lessons/\(id)")
        case .notFound: throw HTTPError(.notFound)
        case .full:
            return message(request, status: .conflict, TeacherToolsText.planFull, back: "/me/lessons/\(id)")
        }
    }

    /// `POST /me/lessons/:plan/items/:position` with `action` `up`, `down` or `remove`.
    private func changeItem(
        _ request: Request, _ context: some RequestContext, id: Int64, position: Int
    ) async throws -> Response {
        let form = try await RecordsRoutes.form(request, context)
        let teacher = try sessions.requireTeacher(request, form: form)
        let offset: Int?
        switch form["action"] {
        case "up": offset = -1
        case "down": offset = 1
        case "remove": offset = nil
        default: throw HTTPError(.badRequest)
        }
        let change = try database.changeLessonPlanItem(
            id: id, teacherId: teacher.id, position: position, moveBy: offset)
        guard change == .changed else { throw HTTPError(.notFound) }
        return RecordsRoutes.redirect("/me/lessons/\(id)")
    }

    private func confirmDelete(_ request: Request, id: Int64) throws -> Response {
        guard let (session, teacher) = sessions.current(request) else { return RecordsRoutes.redirect("/login") }
        guard let (plan, _) = try database.lessonPlan(id: id, teacherId: teacher.id) else {
            return try pages.notFound(request)
        }
        return pages.renderPage(
            "lessonPlanDelete", title: TeacherToolsText.deletePlan,
            context: ["id": plan.id, "title": plan.title, "count": plan.itemCount, "csrf": session.csrfToken],
            request: request)
    }

    private func deleteLessonPlan(
        _ request: Request, _ context: some RequestContext, id: Int64
    ) async throws
        -> Response
    {
        let form = try await RecordsRoutes.form(request, context)
        let teacher = try sessions.requireTeacher(request, form: form)
        guard try database.deleteLessonPlan(id: id, teacherId: teacher.id) else { throw HTTPError(.notFound) }
        return RecordsRoutes.redirect("/me/lessons")
    }

    /// `GET /me/lessons/:plan/present/:position`: one resource of the plan filling the screen, with the way to the
    /// previous and next. Links work without JavaScript; with it, the arrow keys and a 全屏 button work, and moving
    /// on keeps the browser in full screen.
    private func present(_ request: Request, id: Int64, position: Int) throws -> Response {
        guard let (_, teacher) = sessions.current(request) else { return RecordsRoutes.redirect("/login") }
        guard let (plan, items) = try database.lessonPlan(id: id, teacherId: teacher.id),
            (1...max(1, items.count)).contains(position), !items.isEmpty
        else { return try pages.notFound(request) }
        let language = pages.language(for: request)
        let item = items[position - 1]
        var context: [String: Any] = [
            "lang": language.rawValue, "planTitle": plan.title, "number": position, "count": items.count,
            "exitURL": "/me/lessons/\(plan.id)", "exit": TeacherToolsText.exit(language),
            "previousLabel": TeacherToolsText.previous(language), "nextLabel": TeacherToolsText.next(language),
            "fullScreen": TeacherToolsText.fullScreen(language),
        ]
        if position > 1 { context["previous"] = "/me/lessons/\(plan.id)/present/\(position - 1)" }
        if position < items.count { context["next"] = "/me/lessons/\(plan.id)/present/\(position + 1)" }
        if let resource = item.resource {
            context["title"] = resource.title(language)
            context["url"] = "/content/\(HTMLText.segment(resource.bundleId))/\(HTMLText.path(resource.entry))"
            context["isVideo"] = resource.type == "video"
            context["isAudio"] = resource.type == "audio"
            context["isImage"] = resource.type == "image"
            context["isFrame"] = !["video", "audio", "image"].contains(resource.type)
        } else {
            context["title"] = TeacherToolsText.gone(language)
        }
        let html = Templates.library.render(context, withTemplate: "present") ?? ""
        return WebPages.page(html, request: request, language: language)
    }

    // MARK: Training

    /// `GET /training`: the training courses on the node, the way in from the home page (教师研修).
    private func trainingCourses(_ request: Request) throws -> Response {
        let language = pages.language(for: request)
        let enrolled = try sessions.current(request).map { try database.enrolments(teacherId: $0.1.id) } ?? []
        let courses = try database.bundles().filter { $0.kind == Manifest.BundleKind.training.rawValue }.map {
            bundle -> [String: Any] in
            let modules = try database.resources(bundleId: bundle.id)
            return [
                "url": "/training/\(HTMLText.segment(bundle.id))", "title": bundle.title(language),
                "modules": modules.count,
                "hours": RecordsRoutes.hours(modules.reduce(0) { $0 + ($1.creditHours ?? 0) }),
                "enrolled": enrolled.contains { $0.bundleId == bundle.id },
            ]
        }
        return pages.renderPage(
            "trainingCourses", title: TeacherToolsText.training, context: ["courses": courses], request: request)
    }

    // MARK: Shared

    /// What the resource page shows a teacher: the favourite switch and the lesson plans to put the resource in.
    /// Opening the page also puts the resource first in the teacher's 最近浏览.
    func resourceContext(
        _ request: Request, session current: (SessionRecord, TeacherRecord)?, bundleId: String, resourceId: String
    ) throws -> [String: Any] {
        guard let (session, teacher) = current else { return ["loggedIn": false] }
        database.noteRecentView(teacherId: teacher.id, bundleId: bundleId, resourceId: resourceId)
        let language = pages.language(for: request)
        let plans = try database.lessonPlans(teacherId: teacher.id)
        return [
            "loggedIn": true, "csrf": session.csrfToken,
            "isFavourite": try database.isFavourite(teacherId: teacher.id, bundleId: bundleId, resourceId: resourceId),
            "favouriteURL": "/me/favourites/\(HTMLText.segment(bundleId))/\(HTMLText.segment(resourceId))",
            "plans": plans.map { ["id": $0.id, "title": $0.title, "count": $0.itemCount] as [String: Any] },
            "hasPlans": !plans.isEmpty, "suggestedTitle": TeacherToolsText.suggestedTitle(Date(), language),
        ]
    }

    /// The home page's part for a logged-in teacher: a few favourites and recently opened resources.
    func homeContext(_ request: Request, session: (SessionRecord, TeacherRecord)?) throws -> [String: Any] {
        guard let (_, teacher) = session else { return [:] }
        let language = pages.language(for: request)
        let favourites = try database.favourites(teacherId: teacher.id, limit: 4)
        let recent = try database.recentViews(teacherId: teacher.id, limit: 4)
        return [
            "mine": true, "favourites": favourites.map { pages.card($0, language) },
            "hasFavourites": !favourites.isEmpty, "recentViews": recent.map { pages.card($0.0, language) },
            "hasRecentViews": !recent.isEmpty,
        ]
    }

    private func message(
        _ request: Request, status: HTTPResponse.Status, _ text: LocalizedText, back: String
    ) -> Response {
        let language = pages.language(for: request)
        var response = pages.renderPage(
            "message", title: TeacherToolsText.lessonPlans,
            context: [
                "heading": TeacherToolsText.notDone(language), "message": text(language), "link": back,
                "linkText": UIText.back(language),
            ], request: request)
        response.status = status
        return response
    }

    /// The resource page's address.
    static func resourcePath(_ bundleId: String, _ resourceId: String) -> String {
        "/resources/\(HTMLText.segment(bundleId))/\(HTMLText.segment(resourceId))"
    }

    /// `path` when it is a path on this site (`/…`, not `//host`), else `fallback`.
    static func returnPath(_ path: String?, or fallback: String) -> String {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("\\"), path.count <= 512 else {
            return fallback
        }
        return path
    }
}
