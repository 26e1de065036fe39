import Foundation
import Hummingbird
import NIOCore
import SatchelBundles
import SatchelCore
import SatchelHTTP
import SatchelNode
import SatchelStore

/// Teacher accounts, training progress, usage beacons and the admin area: the pages and API that write records.
///
/// Every state-changing request must be same-origin and, once logged in, carry the session's CSRF token. Records
/// that an API answers 2xx for are in the event log on disk before the answer goes out.
struct RecordsRoutes: Sendable {
    let node: Node
    let events: EventLog
    let pages: WebPages
    var database: SatchelDatabase { node.database }
    var sessions: Sessions { Sessions(database: node.database) }

    /// Usage beacons, shared with the fast path.
    let beacons: BeaconRecorder
    /// Wrong-password delays and registration limits, per client.
    let throttle = LoginThrottle()

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/login") { request, _ in
            pages.renderPage("login", title: UIText.login, context: [:], request: request)
        }
        router.post("/login") { request, context in try await login(request, context) }
        router.post("/logout") { request, context in
            let form = try await Self.form(request, context)
            guard let (session, _) = sessions.current(request), form["csrf"] == session.csrfToken else {
                return Self.redirect("/")
            }
            var response = Self.redirect("/")
            response.headers[.setCookie] = sessions.end(request)
            return response
        }
        router.get("/register") { request, _ in
            pages.renderPage("register", title: UIText.register, context: [:], request: request)
        }
        router.post("/register") { request, context in try await registerTeacher(request, context) }
        router.get("/me") { request, _ in try me(request) }
        router.get("/me/certificate") { request, _ in try certificate(request) }
        router.get("/me/export") { request, _ in try export(request) }
        router.get("/training/:bundle") { request, context in
            try course(request, bundleId: try context.parameters.require("bundle"))
        }
        router.post("/training/:bundle/enrol") { request, context in
            try await enrol(request, context, bundleId: try context.parameters.require("bundle"))
        }
        router.post("/training/:bundle/:module/complete") { request, context in
            try await complete(
                request, context, bundleId: try context.parameters.require("bundle"),
                moduleId: try context.parameters.require("module"))
        }
        router.get("/training/:bundle/:module/quiz") { request, context in
            try quiz(
                request, bundleId: try context.parameters.require("bundle"),
                moduleId: try context.parameters.require("module"))
        }
        router.post("/training/:bundle/:module/quiz") { request, context in
            try await answerQuiz(
                request, context, bundleId: try context.parameters.require("bundle"),
                moduleId: try context.parameters.require("module"))
        }
        router.get("/admin/teachers") { request, _ in try adminTeachers(request) }
        router.post("/admin/teachers/:id/approve") { request, context in
            try await approve(request, context, id: try context.parameters.require("id"))
        }
        router.post("/admin/teachers/:id/password") { request, context in
            try await resetPassword(request, context, id: try context.parameters.require("id"))
        }
        router.get("/admin/report") { request, _ in try adminReport(request) }
        router.get("/admin/report.csv") { request, _ in try adminReportCSV(request) }
        router.post("/api/v1/beacon") { request, context in try await beacon(request, context) }
        router.get("/api/v1/me") { request, _ in try meJSON(request) }
    }

    // MARK: Accounts

    private func login(_ request: Request, _ context: some RequestContext) async throws -> Response {
        guard Sessions.isSameOrigin(request) else { throw HTTPError(.forbidden) }
        let form = try await Self.form(request, context)
        let username = (form["username"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let password = form["password"] ?? ""
        let language = pages.language(for: request)
        func refuse(_ text: LocalizedText) -> Response {
            var response = pages.renderPage(
                "login", title: UIText.login, context: ["message": text(language), "username": username],
                request: request)
            response.status = .unauthorized
            return response
        }
        let client = request.clientAddress
        if let wait = throttle.wait(client: client, username: username) {
            let seconds = Int(wait.rounded(.up))
            var response = refuse(
                LocalizedText(
                    zh: "这台设备输错密码的次数太多，请 \(seconds) 秒后再试。",
                    en: "Too many wrong passwords from this device. Try again in \(seconds) s."))
            response.status = .tooManyRequests
            response.headers[.retryAfter] = "\(seconds)"
            return response
        }
        let found = try database.teacher(username)
        let matches = await PasswordHasher.verifyInBackground(password, against: found?.passwordHash ?? "")
        guard let teacher = found, teacher.username == username, matches else {
            throttle.recordFailure(client: client, username: username)
            return refuse(LocalizedText(zh: "用户名或密码不正确。", en: "Wrong user name or password."))
        }
        guard teacher.status == .active else {
            return refuse(
                LocalizedText(
                    zh: "账号还在等待管理员批准。", en: "Your account is waiting for an administrator's approval."))
        }
        throttle.recordSuccess(client: client, username: username)
        var response = Self.redirect("/me")
        response.headers[.setCookie] = try sessions.start(for: teacher, secure: request.uri.scheme == .https)
        return response
    }

    private func registerTeacher(_ request: Request, _ context: some RequestContext) async throws -> Response {
        guard Sessions.isSameOrigin(request) else { throw HTTPError(.forbidden) }
        let form = try await Self.form(request, context)
        let language = pages.language(for: request)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        let username = (form["username"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let number = (form["teacherNumber"] ?? "").trimmingCharacters(in: .whitespaces)
        let subjects = (form["subjects"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = form["password"] ?? ""
        var problem: LocalizedText?
        if name.isEmpty || name.count > 50 {
            problem = LocalizedText(zh: "请填写姓名（最多 50 个字）。", en: "Enter your name (at most 50 characters).")
        } else if !RecordsValidation.isValidUsername(username) {
            problem = LocalizedText(
                zh: "用户名只能用 3 到 32 个字母、数字、点、下划线或减号。",
                en: "The user name must be 3 to 32 letters, digits, dots, underscores or hyphens.")
        } else if password.count < 6 || password.count > 128 {
            problem = LocalizedText(zh: "密码至少 6 位。", en: "The password must have at least 6 characters.")
        } else if number.count > 32 || subjects.count > 100 {
            problem = LocalizedText(zh: "教师编号或学科太长。", en: "The teacher number or subjects are too long.")
        } else if try database.teacher(username) != nil {
            problem = LocalizedText(
                zh: "用户名 \(username) 已被使用，请换一个。", en: "The user name \(username) is taken; choose another.")
        }
        var status = HTTPResponse.Status.badRequest
        if problem == nil, !throttle.allowRegistration(client: request.clientAddress) {
            status = .tooManyRequests
            problem = LocalizedText(
                zh: "这台设备注册的账号太多，请 10 分钟后再试。", en: "Too many registrations from this device. Try again in 10 minutes.")
        }
        if problem == nil {
            do {
                let hash = try await PasswordHasher.hashInBackground(password)
                try database.addTeacher(
                    TeacherRecord(
                        username: username, name: name, teacherNumber: number.isEmpty ? nil : number,
                        subjects: subjects, role: .teacher, status: .pending, passwordHash: hash))
            } catch let error as StoreError {
                problem = error.message
            }
        }
        if let problem {
            var response = pages.renderPage(
                "register", title: UIText.register,
                context: [
                    "message": problem(language), "name": name, "username": username, "teacherNumber": number,
                    "subjects": subjects,
                ],
                request: request)
            response.status = status
            return response
        }
        return pages.renderPage(
            "message", title: UIText.register,
            context: [
                "heading": UIText.register(language),
                "message": LocalizedText(
                    zh: "注册成功。管理员批准后即可登录。", en: "Registered. You can log in once an administrator approves you.")(
                        language),
                "link": "/login", "linkText": UIText.login(language),
            ], request: request)
    }

    private func me(_ request: Request) throws -> Response {
        guard let (session, teacher) = sessions.current(request) else { return Self.redirect("/login") }
        let courses = try transcript(teacher)
        let language = pages.language(for: request)
        return pages.renderPage(
            "me", title: LocalizedText(zh: teacher.name, en: teacher.name),
            context: [
                "name": teacher.name, "csrf": session.csrfToken, "isAdmin": teacher.role == .admin,
                "totalHours": Self.hours(courses.reduce(0) { $0 + $1.hours }),
                "courses": courses.map { $0.context(language) },
            ], request: request)
    }

    /// `GET /me/certificate[?course=BUNDLE][&download=1]`: the teacher's certificates, one A4 page per course with
    /// credited hours, each with a verification code; `download=1` sends the same page as a file to keep.
    private func certificate(_ request: Request) throws -> Response {
        guard let (_, teacher) = sessions.current(request) else { return Self.redirect("/login") }
        let parameters = QueryString(request.uri.query)
        let course = parameters["course"].flatMap { $0.isEmpty ? nil : $0 }
        let issuer = TrainingCertificates(node: node)
        let certificates = try issuer.certificates(for: teacher, bundleId: course)
        let language = pages.language(for: request)
        let verifyURL = try issuer.verifyURL()
        var response = pages.renderPage(
            "certificate", title: UIText.certificateTitle,
            context: [
                "certificates": certificates.map { $0.context(language, verifyURL: verifyURL) },
                "c": CertificateText.strings(language),
            ], request: request)
        if parameters["download"] == "1" {
            response.headers[.contentDisposition] = "attachment; filename=\"satchel-certificate.html\""
        }
        return response
    }

    /// A teacher's own data as JSON: the account (without the password hash) and training records.
    /// Without a session it sends the browser to the login page instead of a bare 401.
    private func export(_ request: Request) throws -> Response {
        guard let (_, teacher) = sessions.current(request) else { return Self.redirect("/login") }
        var response = try meJSON(request)
        response.headers[.contentDisposition] = "attachment; filename=\"satchel-\(teacher.username).json\""
        return response
    }

    private func meJSON(_ request: Request) throws -> Response {
        guard let (_, teacher) = sessions.current(request) else {
            throw APIError(status: .unauthorized, code: "not_logged_in", message: "Log in first.")
        }
        return try CatalogAPI(database: database).json(try TeacherExport(database: database).document(for: teacher))
    }

    // MARK: Training

    struct CourseSummary {
        var bundleId: String
        var title: LocalizedText
        var completed: Int
        var total: Int
        var hours: Double

        func context(_ language: Language) -> [String: Any] {
            [
                "bundleSegment": HTMLText.segment(bundleId), "title": title(language), "completed": completed,
                "total": total, "hours": RecordsRoutes.hours(hours),
            ]
        }
    }

    private func transcript(_ teacher: TeacherRecord) throws -> [CourseSummary] {
        let progress = try database.progress(teacherId: teacher.id)
        return try database.enrolments(teacherId: teacher.id).map { enrolment in
            let modules = try database.resources(bundleId: enrolment.bundleId)
            let done = progress.filter { $0.bundleId == enrolment.bundleId && $0.completedAt != nil }
            return CourseSummary(
                bundleId: enrolment.bundleId,
                title: try database.bundle(id: enrolment.bundleId)?.title
                    ?? LocalizedText(zh: enrolment.bundleId, en: enrolment.bundleId),
                completed: done.count, total: modules.count, hours: done.reduce(0) { $0 + $1.creditedHours })
        }
    }

    private func course(_ request: Request, bundleId: String) throws -> Response {
        guard let bundle = try database.bundle(id: bundleId), bundle.kind == Manifest.BundleKind.training.rawValue
        else {
            return try pages.notFound(request)
        }
        let language = pages.language(for: request)
        let current = sessions.current(request)
        let enrolled =
            try current.map { try database.enrolments(teacherId: $0.1.id).contains { $0.bundleId == bundleId } }
            ?? false
        let progress = try current.map { try database.progress(teacherId: $0.1.id) } ?? []
        let modules = try database.resources(bundleId: bundleId).map { module -> [String: Any] in
            let record = progress.first { $0.bundleId == bundleId && $0.resourceId == module.id }
            return [
                "bundleSegment": HTMLText.segment(bundleId), "idSegment": HTMLText.segment(module.id),
                "title": module.title(language), "creditHours": Self.hours(module.creditHours ?? 0),
                "done": record?.completedAt != nil, "minutes": (record?.secondsSpent ?? 0) / 60,
                "requiredMinutes": (module.minimumSeconds + 59) / 60,
                "score": record?.completedAt != nil ? record?.score.map { Self.hours($0) } ?? "" : "",
                "canComplete": enrolled && record?.completedAt == nil, "hasQuiz": module.quiz != nil,
                "csrf": current?.0.csrfToken ?? "",
            ]
        }
        return pages.renderPage(
            "course", title: bundle.title,
            context: [
                "title": bundle.title(language), "bundleSegment": HTMLText.segment(bundleId), "modules": modules,
                "loggedIn": current != nil, "enrolled": enrolled, "csrf": current?.0.csrfToken ?? "",
            ], request: request)
    }

    private func enrol(_ request: Request, _ context: some RequestContext, bundleId: String) async throws -> Response {
        let teacher = try await requireSession(request, context)
        guard let bundle = try database.bundle(id: bundleId), bundle.kind == Manifest.BundleKind.training.rawValue
        else {
            throw HTTPError(.notFound)
        }
        try await events.append(NodeEvent(.enrol(.init(teacherId: teacher.id, bundleId: bundleId))))
        return Self.redirect("/training/\(HTMLText.segment(bundleId))")
    }

    private func complete(
        _ request: Request, _ context: some RequestContext, bundleId: String, moduleId: String
    )
        async throws -> Response
    {
        let form = try await Self.form(request, context)
        let teacher = try requireSession(request, form: form)
        let module = try enrolledModule(teacher, bundleId: bundleId, moduleId: moduleId)
        if module.quiz != nil {
            // A score is never taken from the client: a module with a quiz is completed by passing it.
            return trainingMessage(
                request, bundleId: bundleId, status: .conflict,
                LocalizedText(
                    zh: "这个模块需要通过测验才能完成。", en: "This module is completed by passing its quiz."),
                link: "/training/\(HTMLText.segment(bundleId))/\(HTMLText.segment(moduleId))/quiz")
        }
        if let problem = try await missingEvidence(teacher, module) {
            return trainingMessage(request, bundleId: bundleId, status: .conflict, problem)
        }
        try await events.append(
            NodeEvent(
                .moduleCompleted(
                    .init(
                        teacherId: teacher.id, bundleId: bundleId, resourceId: moduleId,
                        creditHours: module.creditHours ?? 0))))
        return Self.redirect("/training/\(HTMLText.segment(bundleId))")
    }

    /// `GET /training/:bundle/:module/quiz`: the module's questions and choices, never its answers.
    private func quiz(_ request: Request, bundleId: String, moduleId: String) throws -> Response {
        guard let (session, teacher) = sessions.current(request) else { return Self.redirect("/login") }
        let module = try enrolledModule(teacher, bundleId: bundleId, moduleId: moduleId)
        guard let quiz = module.decodedQuiz else { throw HTTPError(.notFound) }
        let language = pages.language(for: request)
        let questions = quiz.questions.enumerated().map { index, question -> [String: Any] in
            [
                "number": index + 1, "prompt": question.prompt(language),
                "choices": question.choices.enumerated().map { choice, text -> [String: Any] in
                    ["name": "q\(index)", "value": choice, "text": text(language)]
                },
            ]
        }
        return pages.renderPage(
            "quiz", title: module.title,
            context: [
                "title": module.title(language), "bundleSegment": HTMLText.segment(bundleId),
                "idSegment": HTMLText.segment(moduleId), "csrf": session.csrfToken, "passMark": quiz.passMark,
                "courseTitle": try database.bundle(id: bundleId)?.title(language) ?? bundleId, "questions": questions,
            ], request: request)
    }

    /// `POST /training/:bundle/:module/quiz` with `q0`, `q1`, … the chosen choice indexes: the node scores the answers
    /// against the manifest it holds. A pass with the module's time spent completes it with that score; any `score`
    /// field in the form is ignored.
    private func answerQuiz(
        _ request: Request, _ context: some RequestContext, bundleId: String, moduleId: String
    ) async throws -> Response {
        let form = try await Self.form(request, context)
        let teacher = try requireSession(request, form: form)
        let module = try enrolledModule(teacher, bundleId: bundleId, moduleId: moduleId)
        guard let quiz = module.decodedQuiz else { throw HTTPError(.notFound) }
        var chosen: [Int?] = []
        for (index, question) in quiz.questions.enumerated() {
            guard let text = form["q\(index)"], !text.isEmpty else {
                chosen.append(nil)
                continue
            }
            guard let choice = Int(text), question.choices.indices.contains(choice) else {
                return trainingMessage(
                    request, bundleId: bundleId, status: .badRequest,
                    LocalizedText(
                        zh: "第 \(index + 1) 题的答案无效，请在页面上重新选择。",
                        en: "The answer to question \(index + 1) is not one of its choices; choose again on the page."))
            }
            chosen.append(choice)
        }
        if let problem = try await missingEvidence(teacher, module) {
            return trainingMessage(request, bundleId: bundleId, status: .conflict, problem)
        }
        let score = quiz.score(chosen)
        guard score >= quiz.passMark else {
            return trainingMessage(
                request, bundleId: bundleId, status: .ok,
                LocalizedText(
                    zh: "得分 \(score)，及格分 \(quiz.passMark)，未通过。请复习本模块后再试。",
                    en: "You scored \(score); the pass mark is \(quiz.passMark). Review the module and try again."))
        }
        try await events.append(
            NodeEvent(
                .moduleCompleted(
                    .init(
                        teacherId: teacher.id, bundleId: bundleId, resourceId: moduleId,
                        creditHours: module.creditHours ?? 0, score: Double(score)))))
        let hours = Self.hours(module.creditHours ?? 0)
        return trainingMessage(
            request, bundleId: bundleId, status: .ok,
            LocalizedText(
                zh: "得分 \(score)，通过！本模块已完成，计 \(hours) 学时。",
                en: "You scored \(score) and passed. The module is completed: \(hours) credit hours."))
    }

    /// The module of a course `teacher` is enrolled in; 404 otherwise.
    private func enrolledModule(_ teacher: TeacherRecord, bundleId: String, moduleId: String) throws -> ResourceRecord {
        guard try database.enrolments(teacherId: teacher.id).contains(where: { $0.bundleId == bundleId }),
            let module = try database.resource(bundleId: bundleId, id: moduleId)
        else { throw HTTPError(.notFound) }
        return module
    }

    /// What keeps `teacher` from completing `module`, or nil: they must have opened its content, and spent its minimum
    /// time in it as the node counted it (see ``VisitClock``).
    private func missingEvidence(_ teacher: TeacherRecord, _ module: ResourceRecord) async throws -> LocalizedText? {
        // The views and time held in memory to share a write are counted too.
        await events.flush()
        let record = try database.progress(teacherId: teacher.id).first {
            $0.bundleId == module.bundleId && $0.resourceId == module.id
        }
        guard record?.openedAt != nil else {
            return LocalizedText(
                zh: "请先打开本模块的内容学习，再完成它。", en: "Open the module's content and study it before completing it.")
        }
        let spent = record?.secondsSpent ?? 0
        guard spent >= module.minimumSeconds else {
            let left = (module.minimumSeconds - spent + 59) / 60
            let required = (module.minimumSeconds + 59) / 60
            return LocalizedText(
                zh: "本模块要求学习 \(required) 分钟，已学习 \(spent / 60) 分钟，还需 \(left) 分钟。",
                en: "This module asks for \(required) minutes of study; you have \(spent / 60). \(left) minutes to go.")
        }
        return nil
    }

    /// A message page about a module, with a link back to its course (or to `link`).
    private func trainingMessage(
        _ request: Request, bundleId: String, status: HTTPResponse.Status, _ text: LocalizedText, link: String? = nil
    ) -> Response {
        let language = pages.language(for: request)
        let message = text(language)
        var response = pages.renderPage(
            "message", title: UIText.training,
            context: [
                "heading": UIText.training(language), "message": message,
                "link": link ?? "/training/\(HTMLText.segment(bundleId))",
                "linkText": UIText.back(language),
            ], request: request)
        response.status = status
        return response
    }

    // MARK: Usage

    /// `POST /api/v1/beacon` with JSON `{"bundleId", "resourceId", "seconds"}`: time a resource page was visible.
    /// Answers 204 once the beacon is accepted; its time is written with the next minute's usage.
    private func beacon(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: BeaconRecorder.maxBytes)
        try await beacons.record(
            body, client: RecentUses.client(of: request, userAgent: request.headers[.userAgent]),
            teacherId: sessions.current(request)?.1.id)
        return Response(status: .noContent)
    }

    // MARK: Admin

    private func requireAdmin(_ request: Request) throws -> (SessionRecord, TeacherRecord) {
        guard let current = sessions.current(request) else { throw HTTPError(.unauthorized) }
        guard current.1.role == .admin else { throw HTTPError(.forbidden) }
        return current
    }

    private func adminTeachers(_ request: Request) throws -> Response {
        guard let (session, _) = try? requireAdmin(request) else { return Self.redirect("/login") }
        let language = pages.language(for: request)
        let teachers = try database.teachers().map { teacher -> [String: Any] in
            [
                "id": teacher.id.uuidString, "name": teacher.name,
                "pending": teacher.status == .pending, "csrf": session.csrfToken,
                "canReset": teacher.role == .teacher,
                "meta": HTMLText.fields([
                    teacher.username, teacher.teacherNumber, teacher.subjects,
                    teacher.status == .pending
                        ? LocalizedText(zh: "待批准", en: "pending")(language)
                        : (teacher.role == .admin
                            ? LocalizedText(zh: "管理员", en: "admin")(language)
                            : LocalizedText(zh: "已批准", en: "active")(language)),
                ]),
            ]
        }
        return pages.renderPage(
            "adminTeachers", title: LocalizedText(zh: "教师账号审核", en: "Teacher approvals"),
            context: ["teachers": teachers], request: request)
    }

    private func approve(_ request: Request, _ context: some RequestContext, id: String) async throws -> Response {
        let form = try await Self.form(request, context)
        guard let (session, _) = try? requireAdmin(request), form["csrf"] == session.csrfToken,
            Sessions.isSameOrigin(request)
        else { throw HTTPError(.forbidden) }
        guard let teacherId = UUID(uuidString: id) else { throw HTTPError(.notFound) }
        try database.approveTeacher(id: teacherId)
        return Self.redirect("/admin/teachers")
    }

    /// `POST /admin/teachers/:id/password`: an admin sets a teacher's new password. The teacher's sessions end and
    /// every client's wrong-password delays for the account are forgotten.
    private func resetPassword(_ request: Request, _ context: some RequestContext, id: String) async throws -> Response
    {
        let form = try await Self.form(request, context)
        guard let (session, _) = try? requireAdmin(request), form["csrf"] == session.csrfToken,
            Sessions.isSameOrigin(request)
        else { throw HTTPError(.forbidden) }
        guard let teacherId = UUID(uuidString: id), let teacher = try database.teacher(teacherId.uuidString),
            teacher.role == .teacher
        else { throw HTTPError(.notFound) }
        let password = form["password"] ?? ""
        let language = pages.language(for: request)
        guard Self.isAcceptablePassword(password) else {
            return pages.renderPage(
                "message", title: UIText.resetPassword,
                context: [
                    "heading": UIText.resetPassword(language), "message": UIText.passwordRule(language),
                    "link": "/admin/teachers", "linkText": UIText.back(language),
                ], request: request)
        }
        try database.setPassword(
            teacherId: teacherId, passwordHash: try await PasswordHasher.hashInBackground(password))
        throttle.forget(username: teacher.username)
        return pages.renderPage(
            "message", title: UIText.resetPassword,
            context: [
                "heading": UIText.resetPassword(language),
                "message": LocalizedText(
                    zh: "已为 \(teacher.name) 设置新密码，请当面告诉本人。",
                    en: "\(teacher.name) has a new password; tell them in person.")(language),
                "link": "/admin/teachers", "linkText": UIText.back(language),
            ], request: request)
    }

    private func adminReport(_ request: Request) throws -> Response {
        guard (try? requireAdmin(request)) != nil else { return Self.redirect("/login") }
        let language = pages.language(for: request)
        let t = UIText.strings(language)
        let context: [String: Any] = [
            "usage": try database.usageReport().map {
                [
                    "line": HTMLText.fields([
                        HTMLText.fields([$0.subject, $0.grade]).replacingOccurrences(of: " · ", with: " "),
                        "\($0.views) \(t["views"] ?? "")", "\($0.downloads) \(t["downloads"] ?? "")",
                        "\($0.seconds / 60) \(t["minutes"] ?? "")",
                    ])
                ]
            },
            "training": try database.trainingReport().map {
                [
                    "line": HTMLText.fields([
                        $0.name, $0.courseTitle, "\($0.modulesCompleted)/\($0.modulesTotal)",
                        "\(Self.hours($0.creditedHours)) \(t["hours"] ?? "")",
                    ])
                ]
            },
            "zero": try database.zeroResultSearches().map {
                ["query": $0.query, "searches": $0.searches] as [String: Any]
            },
        ]
        return pages.renderPage(
            "adminReport", title: LocalizedText(zh: "学校报告", en: "School report"), context: context, request: request)
    }

    /// `GET /admin/report.csv[?lang=en]`: the report for Excel, with a UTF-8 byte order mark and Chinese headers;
    /// `lang=en` gives the English headers.
    private func adminReportCSV(_ request: Request) throws -> Response {
        guard (try? requireAdmin(request)) != nil else { return Self.redirect("/login") }
        let language = request.uri.queryParameters["lang"].flatMap { Language(tag: String($0)) } ?? .chinese
        let csv = try SchoolReport(database: database).csv(language: language)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"satchel-report.csv\"",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: csv)))
    }

    // MARK: Helpers

    private func requireSession(_ request: Request, _ context: some RequestContext) async throws -> TeacherRecord {
        try requireSession(request, form: try await Self.form(request, context))
    }

    private func requireSession(_ request: Request, form: QueryString) throws -> TeacherRecord {
        try sessions.requireTeacher(request, form: form)
    }

    static func form(_ request: Request, _ context: some RequestContext) async throws -> QueryString {
        let body = try await request.body.collect(upTo: 16 * 1024)
        return QueryString(String(buffer: body))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// Whether `password` meets the rule for new passwords: 6 to 128 characters.
    static func isAcceptablePassword(_ password: String) -> Bool {
        (6...128).contains(password.count)
    }

    static func hours(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

/// A short-lived memory of resources that exist, for the beacon endpoint.
final class KnownResources: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String: Date] = [:]

    /// Whether the resource was confirmed to exist in the last 30 s, without asking the database.
    func isKnown(bundleId: String, resourceId: String) -> Bool {
        let key = bundleId + "\u{0}" + resourceId
        guard let until = lock.withLock({ seen[key] }) else { return false }
        return until > Date()
    }

    func contains(bundleId: String, resourceId: String, database: SatchelDatabase) throws -> Bool {
        if isKnown(bundleId: bundleId, resourceId: resourceId) { return true }
        let key = bundleId + "\u{0}" + resourceId
        let now = Date()
        guard try database.resource(bundleId: bundleId, id: resourceId) != nil else { return false }
        lock.withLock {
            if seen.count > 10_000 { seen.removeAll() }
            seen[key] = now.addingTimeInterval(30)
        }
        return true
    }
}
