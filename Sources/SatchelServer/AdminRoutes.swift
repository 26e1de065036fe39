import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import SatchelBundles
import SatchelCore
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
        let warnings =
            HealthCheck(node: node).run().warnings
            + (status.lastSync?.result.hasPrefix("ok") == false
                ? ["last sync: \(status.lastSync!.result)"] : [])
        let rows: [(String, String)] = [
            ("Satchel", status.version),
            (LocalizedText(zh: "运行时间", en: "Uptime")(language), "\(Int(Date().timeIntervalSince(started) / 60)) min"),
            (
                LocalizedText(zh: "资源包 / 资源", en: "Bundles / resources")(language),
                "\(status.bundles) / \(status.resources)"
            ),
            (
                LocalizedText(zh: "存储 / 可用磁盘", en: "Stored / free disk")(language),
                "\(ByteCount.human(status.storeBytes)) / \(ByteCount.human(status.freeBytes))"
            ),
            (
                LocalizedText(zh: "教师（待批准）", en: "Teachers (pending)")(language),
                "\(status.teachers) (\(status.pendingApprovals))"
            ),
            (LocalizedText(zh: "待同步事件", en: "Events pending sync")(language), "\(status.eventsPending)"),
            (
                LocalizedText(zh: "上次同步", en: "Last sync")(language),
                status.lastSync.map { "\(ISO8601DateFormatter().string(from: $0.at)) \($0.result)" } ?? "-"
            ),
            (
                LocalizedText(zh: "平台 / 学校", en: "Platform / school")(language),
                "\(configuration.platformURL.isEmpty ? "-" : configuration.platformURL) / \(configuration.schoolCode)"
            ),
            (
                LocalizedText(zh: "端口 / 数据目录", en: "Port / data")(language),
                "\(configuration.port) / \(node.directory.root)"
            ),
            (LocalizedText(zh: "邻近节点", en: "Peers")(language), configuration.peers.joined(separator: ", ")),
        ]
        var body = "<h1>\(HTMLText.escape(LocalizedText(zh: "节点管理", en: "Node admin")(language)))</h1>"
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
            <input name="path" value="/media/usb" aria-label="path"> <button class="button" type="submit">\
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
                <form method="post" action="/admin/bundles/\(HTMLText.segment(bundle.id))/remove">\
                <input type="hidden" name="csrf" value="\(csrf)"><button type="submit">\
                \(HTMLText.escape(LocalizedText(zh: "删除", en: "Remove")(language)))</button></form></div>
                """
        }
        return pages.renderPage(
            "raw", title: LocalizedText(zh: "节点管理", en: "Node admin"), context: ["html": body],
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
                lines.append(
                    "\(report.manifest.id) v\(report.manifest.version): \(report.outcome == .alreadyInstalled ? "unchanged" : "installed")"
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

    private func remove(_ request: Request, _ context: some RequestContext, id: String) async throws -> Response {
        _ = try await checked(request, context)
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

/// Runs blocking work (an import) on NIO's thread pool instead of the cooperative pool that serves requests.
enum NIOThreadPoolRunner {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
