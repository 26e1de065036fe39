import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import SatchelBundles
import SatchelCore
import SatchelHTTP
import SatchelNode
import SatchelStore
import SatchelSync

/// The admin area for technicians and head teachers: node status, bundle management (import from a mounted USB
/// path, remove), sync now, teacher approvals, recent warnings and a configuration summary. Admins only; every
/// action carries the session's CSRF token.
struct AdminRoutes: Sendable {
    let node: Node
    let pages: WebPages
    let started = Date()
    var sessions: Sessions { Sessions(database: node.database) }

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/admin") { request, _ in try status(request) }
        router.post("/admin/import") { request, context in try await importBundles(request, context) }
        router.get("/admin/bundles/:id/remove") { request, context in
            try confirmRemoval(request, id: try context.parameters.require("id"))
        }
        router.post("/admin/bundles/:id/remove") { request, context in
            try await remove(request, context, id: try context.parameters.require("id"))
        }
        router.post("/admin/sync") { request, context in try await syncNow(request, context) }
    }

    private func admin(_ request: Request) -> (SessionRecord, TeacherRecord)? {
        guard let current = sessions.current(request), current.1.role == .admin else { return nil }
        return current
    }

    private func status(_ request: Request, message: String? = nil) throws -> Response {
        guard let (session, _) = admin(request) else { return RecordsRoutes.redirect("/login") }
        let status = try NodeStatus.read(node: node)
        let language = pages.language(for: request)
        let configuration = node.configuration
        let lastSync = status.lastSync.map {
            "\(Self.localTime($0.at)) \(Self.syncResult($0.result)(language))"
        }
        let warnings =
            HealthCheck(node: node).run().warnings.map { Self.warning($0)(language) }
            + (status.lastSync?.result.hasPrefix("ok") == false
                ? [LocalizedText(zh: "上次同步：", en: "Last sync: ")(language) + (lastSync ?? "")] : [])
        let uptimeMinutes = Int(Date().timeIntervalSince(started) / 60)
        let rows: [(String, String)] = [
            (LocalizedText(zh: "软件版本", en: "Satchel version")(language), status.version),
            (
                LocalizedText(zh: "已运行", en: "Uptime")(language),
                Self.duration(minutes: uptimeMinutes)(language)
            ),
            (
                LocalizedText(zh: "资源包 / 资源", en: "Bundles / resources")(language),
                "\(status.bundles) / \(status.resources)"
            ),
            (
                LocalizedText(zh: "已用空间 / 磁盘剩余", en: "Stored / free disk")(language),
                "\(ByteCount.human(status.storeBytes)) / \(ByteCount.human(status.freeBytes))"
            ),
            (
                LocalizedText(zh: "教师（待批准）", en: "Teachers (pending)")(language),
                "\(status.teachers) (\(status.pendingApprovals))"
            ),
            (LocalizedText(zh: "待上传记录", en: "Records waiting to upload")(language), "\(status.eventsPending)"),
            (
                LocalizedText(zh: "上次同步", en: "Last sync")(language),
                lastSync ?? LocalizedText(zh: "从未同步", en: "never")(language)
            ),
            (
                LocalizedText(zh: "国家平台 / 学校代码", en: "Platform / school code")(language),
                "\(configuration.platformURL.isEmpty ? "-" : configuration.platformURL) / \(configuration.schoolCode)"
            ),
            (
                LocalizedText(zh: "端口 / 数据目录", en: "Port / data folder")(language),
                "\(configuration.port) / \(node.directory.root)"
            ),
            (
                LocalizedText(zh: "附近学校的服务器", en: "Nearby schools' servers")(language),
                configuration.peers.isEmpty
                    ? LocalizedText(zh: "无", en: "none")(language) : configuration.peers.joined(separator: ", ")
            ),
        ]
        var body = "<h1>\(HTMLText.escape(Self.title(language)))</h1>"
        if let message { body += "<div class=\"card\">\(HTMLText.escape(message))</div>" }
        for warning in warnings { body += "<div class=\"card\">⚠ \(HTMLText.escape(warning))</div>" }
        body +=
            "<div class=\"card\">"
            + rows.map {
                "<div><strong>\(HTMLText.escape($0.0))</strong>: \(HTMLText.escape($0.1))</div>"
            }.joined() + "</div>"
        let csrf = HTMLText.escape(session.csrfToken)
        body += """
            <h2>\(HTMLText.escape(LocalizedText(zh: "从 U 盘导入", en: "Import from a USB stick")(language)))</h2>
            <form class="card" method="post" action="/admin/import"><input type="hidden" name="csrf" value="\(csrf)">
            <label>\(HTMLText.escape(LocalizedText(zh: "U 盘所在的文件夹", en: "Folder of the USB stick")(language)))
            <input name="path" value="/media/usb"></label> <button class="button" type="submit">\
            \(HTMLText.escape(LocalizedText(zh: "导入", en: "Import")(language)))</button></form>
            <form method="post" action="/admin/sync"><input type="hidden" name="csrf" value="\(csrf)">
            <button class="button" type="submit">\(HTMLText.escape(LocalizedText(zh: "立即同步", en: "Sync now")(language)))</button></form>
            <p><a href="/admin/teachers">\(HTMLText.escape(LocalizedText(zh: "教师账号审核", en: "Teacher approvals")(language)))</a> ·
            <a href="/admin/report">\(HTMLText.escape(LocalizedText(zh: "学校报告", en: "School report")(language)))</a></p>
            <h2>\(HTMLText.escape(LocalizedText(zh: "资源包", en: "Bundles")(language)))</h2>
            """
        for bundle in try node.database.bundles() {
            body += """
                <div class="card"><strong>\(HTMLText.escape(bundle.title(language)))</strong> \
                <span class="meta">\(HTMLText.escape(bundle.id)) v\(bundle.version) · \(ByteCount.human(bundle.totalSize))</span>
                <p><a class="button" href="/admin/bundles/\(HTMLText.segment(bundle.id))/remove">\
                \(HTMLText.escape(LocalizedText(zh: "删除…", en: "Remove…")(language)))</a></p></div>
                """
        }
        return pages.renderPage(
            "raw", title: Self.title, context: ["html": body],
            request: request)
    }

    private func checked(_ request: Request, _ context: some RequestContext) async throws -> QueryString {
        let form = try await RecordsRoutes.form(request, context)
        guard let (session, _) = admin(request), form["csrf"] == session.csrfToken, Sessions.isSameOrigin(request)
        else {
            throw HTTPError(.forbidden)
        }
        return form
    }

    private func importBundles(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let form = try await checked(request, context)
        let path = form["path"] ?? ""
        let language = pages.language(for: request)
        let archives = BundleImporter.findArchives(in: [path])
        var lines: [String] = []
        let importer = try node.importer()
        for archive in archives {
            do {
                let report = try await NIOThreadPoolRunner.run { try importer.importBundle(at: archive) }
                let outcome =
                    report.outcome == .alreadyInstalled
                    ? LocalizedText(zh: "已是这个版本，未改变", en: "unchanged: already installed")
                    : LocalizedText(zh: "已安装", en: "installed")
                lines.append(
                    "\(report.manifest.title(language))（\(report.manifest.id) v\(report.manifest.version)）\(outcome(language))"
                )
            } catch {
                lines.append(
                    ((error as? any UserFacingError)?.message ?? LocalizedText(zh: "\(error)", en: "\(error)"))(
                        language))
            }
        }
        if archives.isEmpty {
            lines.append(LocalizedText(zh: "\(path) 中没有找到资源包。", en: "No bundles found in \(path).")(language))
        }
        return try status(request, message: lines.joined(separator: " · "))
    }

    /// `GET /admin/bundles/:id/remove`: asks before removing, without JavaScript: what goes, and a form that
    /// removes it.
    private func confirmRemoval(_ request: Request, id: String) throws -> Response {
        guard let (session, _) = admin(request) else { return RecordsRoutes.redirect("/login") }
        guard let bundle = try node.database.bundle(id: id) else { throw HTTPError(.notFound) }
        let language = pages.language(for: request)
        let resources = try node.database.resources(bundleId: id).count
        let title = bundle.title(language)
        let question = LocalizedText(
            zh: "确定删除资源包“\(title)”吗？",
            en: "Remove the bundle “\(title)”?")
        let consequence = LocalizedText(
            zh: "它的 \(resources) 个资源（\(ByteCount.human(bundle.totalSize))）将从本校资源服务器上删除，教师将无法再打开。"
                + "教师的学习记录会保留。以后可以从 U 盘或国家平台重新导入。",
            en: "Its \(resources) resources (\(ByteCount.human(bundle.totalSize))) will be removed from the school's "
                + "server and teachers can no longer open them. Teachers' records are kept. You can import it again "
                + "later from a USB stick or the national platform.")
        let body = """
            <h1>\(HTMLText.escape(question(language)))</h1>
            <div class="card">\(HTMLText.escape(consequence(language)))
            <div class="meta">\(HTMLText.escape(bundle.id)) v\(bundle.version)</div></div>
            <form method="post" action="/admin/bundles/\(HTMLText.segment(bundle.id))/remove">\
            <input type="hidden" name="csrf" value="\(HTMLText.escape(session.csrfToken))">\
            <input type="hidden" name="confirm" value="yes">
            <button class="button danger" type="submit">\(HTMLText.escape(LocalizedText(zh: "确定删除", en: "Remove it")(language)))</button>
            <a class="button" href="/admin">\(HTMLText.escape(LocalizedText(zh: "取消", en: "Cancel")(language)))</a></form>
            """
        return pages.renderPage(
            "raw", title: LocalizedText(zh: "删除资源包", en: "Remove a bundle"), context: ["html": body],
            request: request)
    }

    /// `POST /admin/bundles/:id/remove`: removes the bundle once the confirmation page's form says so; a form
    /// without the confirmation (an old page) is sent to the question first.
    private func remove(_ request: Request, _ context: some RequestContext, id: String) async throws -> Response {
        let form = try await checked(request, context)
        guard form["confirm"] == "yes" else {
            return RecordsRoutes.redirect("/admin/bundles/\(HTMLText.segment(id))/remove")
        }
        let lock = try node.directory.lockForImport()
        defer { withExtendedLifetime(lock) {} }
        try node.database.removeBundle(id: id)
        node.blobStore.collectGarbage(keeping: try node.database.referencedBlobs())
        return RecordsRoutes.redirect("/admin")
    }

    private func syncNow(_ request: Request, _ context: some RequestContext) async throws -> Response {
        _ = try await checked(request, context)
        let language = pages.language(for: request)
        do {
            let report = try await SyncSession(node: node, logger: Logger(label: "satchel.sync")).run()
            return try status(
                request,
                message: LocalizedText(
                    zh: "同步完成：推送 \(report.pushedEvents) 条，安装 \(report.installedBundles.count) 个资源包。",
                    en:
                        "Synced: pushed \(report.pushedEvents) events, installed \(report.installedBundles.count) bundles."
                )(language))
        } catch {
            return try status(
                request,
                message: ((error as? any UserFacingError)?.message
                    ?? LocalizedText(zh: "\(error)", en: "\(error)"))(language))
        }
    }
}

extension AdminRoutes {
    /// The admin page's title, in plain words.
    static let title = LocalizedText(zh: "本校资源服务器管理", en: "School server admin")

    /// A time as the school's clock shows it: `2025-03-01 14:05`.
    static func localTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    /// A number of minutes as people say it: `4 分钟`, `2 小时 5 分钟`, `3 天 2 小时`.
    static func duration(minutes: Int) -> LocalizedText {
        let (days, hours, rest) = (minutes / 1440, minutes / 60 % 24, minutes % 60)
        if days > 0 { return LocalizedText(zh: "\(days) 天 \(hours) 小时", en: "\(days) d \(hours) h") }
        if hours > 0 { return LocalizedText(zh: "\(hours) 小时 \(rest) 分钟", en: "\(hours) h \(rest) min") }
        return LocalizedText(zh: "\(rest) 分钟", en: "\(rest) min")
    }

    /// A sync session's recorded result (`ok`, `partial: …`, `failed: …`) in words.
    static func syncResult(_ result: String) -> LocalizedText {
        if result == "ok" { return LocalizedText(zh: "成功", en: "succeeded") }
        if result.hasPrefix("partial: ") {
            let detail = String(result.dropFirst("partial: ".count))
            return LocalizedText(zh: "部分完成：\(detail)", en: "partly done: \(detail)")
        }
        if result.hasPrefix("failed: ") {
            let detail = String(result.dropFirst("failed: ".count))
            return LocalizedText(zh: "失败：\(detail)", en: "failed: \(detail)")
        }
        return LocalizedText(zh: result, en: result)
    }

    /// A `/healthz` warning in words.
    static func warning(_ warning: String) -> LocalizedText {
        switch warning {
        case "free disk below the reserve":
            LocalizedText(
                zh: "磁盘剩余空间低于保留值：请删除不用的资源包或换更大的磁盘。",
                en: "Free disk space is below the reserve: remove unused bundles or use a larger disk.")
        case "last sync failed":
            LocalizedText(zh: "上次同步失败。", en: "The last sync failed.")
        default: LocalizedText(zh: warning, en: warning)
        }
    }
}

/// Runs blocking work (an import) on NIO's thread pool instead of the cooperative pool that serves requests.
enum NIOThreadPoolRunner {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
