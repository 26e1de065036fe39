import Foundation
import Hummingbird
import NIOCore
import SatchelCore
import SatchelHTTP

/// The monitoring an education bureau reads, for the operator's region only: usage by region, school, subject, grade
/// and week; the most used resources; searches that found nothing; training hours against the yearly target; and the
/// fleet's health with the nodes that need a visit first. Each page is server-rendered HTML (Chinese, or English with
/// `?lang=en`) that stacks its tables on a phone, and has a CSV twin (`….csv`, UTF-8 with a byte order mark, Chinese
/// headers) for spreadsheets. `?region=` narrows the page to a region inside the operator's own.
struct MonitoringPages: Sendable {
    let storage: any PlatformStorage
    let access: OperatorAccess
    /// The training hours each teacher should reach in a year.
    let trainingTargetHours: Double

    /// The pages, by the last part of their path.
    enum Page: String, CaseIterable {
        case usage, resources, searches, training, fleet

        var title: LocalizedText {
            switch self {
            case .usage: LocalizedText(zh: "资源使用情况", en: "Usage")
            case .resources: LocalizedText(zh: "最常用的资源", en: "Most used resources")
            case .searches: LocalizedText(zh: "没有结果的搜索", en: "Searches that found nothing")
            case .training: LocalizedText(zh: "教师培训学时", en: "Training hours")
            case .fleet: LocalizedText(zh: "设备状况", en: "Fleet health")
            }
        }
    }

    /// What a page shows: a few lines, tabs that choose a view, and one table, which is also the CSV.
    struct Report {
        var notes: [String] = []
        var tabs: [Link] = []
        var header: [String] = []
        var rows: [[Cell]] = []
    }

    /// A link of a menu or of tabs; the current one is marked.
    struct Link {
        var label: String
        var href: String
        var current = false
    }

    /// A table cell: its text, with a link inside the platform where there is one.
    struct Cell: ExpressibleByStringLiteral {
        var text: String
        var link: String?

        init(_ text: String, link: String? = nil) {
            self.text = text
            self.link = link
        }

        init(stringLiteral value: String) { self.init(value) }
    }

    /// Where the request asks to look and in which language.
    struct Query {
        var page: Page
        var fields: QueryString
        var language: Language
        /// The region looked at: the operator's, or one inside it.
        var region: String

        /// `text` in the page's language.
        func callAsFunction(_ zh: String, _ en: String) -> String { language == .english ? en : zh }

        /// A link to `page` with `fields` (and the region looked at now), in `language` (the page's by default).
        func link(
            _ page: Page, csv: Bool = false, _ fields: [(String, String)] = [], language: Language? = nil
        ) -> String {
            var all = fields
            if !region.isEmpty, !all.contains(where: { $0.0 == "region" }) { all.append(("region", region)) }
            if (language ?? self.language) == .english { all.append(("lang", "en")) }
            let query = all.filter { !$0.1.isEmpty }.map { "\($0.0)=\(HTMLText.segment($0.1))" }
            return "/monitoring/\(page.rawValue)\(csv ? ".csv" : "")"
                + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        }
    }

    /// Adds the pages and their CSV files.
    func register(on router: Router<BasicRequestContext>) {
        router.get("/monitoring") { request, _ in
            Response(
                status: .seeOther,
                headers: [.location: "/monitoring/usage" + (request.uri.query.map { "?" + $0 } ?? "")])
        }
        for page in Page.allCases {
            router.get(RouterPath("/monitoring/\(page.rawValue)")) { request, _ in
                try await respond(page, to: request, csv: false)
            }
            router.get(RouterPath("/monitoring/\(page.rawValue).csv")) { request, _ in
                try await respond(page, to: request, csv: true)
            }
        }
    }

    private func respond(_ page: Page, to request: Request, csv: Bool) async throws -> Response {
        guard let person = try await access.current(request) else {
            if csv {
                return Response(
                    status: .unauthorized,
                    headers: [.wwwAuthenticate: "Bearer", .contentType: "text/plain; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "需要操作员登录或 API 令牌 · An operator is required.\n")))
            }
            return Response(status: .seeOther, headers: [.location: "/login"])
        }
        let fields = QueryString(request.uri.query)
        let language = fields["lang"].flatMap(Language.init(tag:)) ?? .chinese
        // No region asked for (or a malformed one): the operator's own.
        let normalized = (try? Region.normalized(fields["region"] ?? "")) ?? ""
        let asked = normalized.isEmpty ? person.region : normalized
        guard person.sees(asked) else {
            return Response(
                status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(string: "不在您的地区 · “\(asked)” is outside your region.\n")))
        }
        let query = Query(
            page: page, fields: fields, language: language, region: asked.isEmpty ? person.region : asked)
        let report: Report
        switch page {
        case .usage: report = try await usage(query)
        case .resources: report = try await resources(query, limit: csv ? 5000 : 100)
        case .searches: report = try await searches(query, limit: csv ? 5000 : 200)
        case .training: report = try await training(query)
        case .fleet: report = try await fleet(query)
        }
        if csv { return Self.csv(report, name: page.rawValue) }
        var shown = report
        if shown.rows.count > Self.pageRows {
            // A page stays small enough for a phone; the CSV file has every row.
            shown.rows.removeSubrange(Self.pageRows...)
            shown.notes.append(
                query(
                    "只显示前 \(Self.pageRows) 行，共 \(report.rows.count) 行；全部数据请下载 CSV 表格。",
                    "Showing the first \(Self.pageRows) of \(report.rows.count) rows; the CSV file has them all."))
        }
        return html(shown, query: query, operator: person)
    }

    // MARK: The reports

    private func usage(_ query: Query) async throws -> Report {
        let shown: [Monitoring.UsageDimension] = [.region, .school, .subject, .grade, .week]
        let asked = Monitoring.UsageDimension(rawValue: query.fields["by"] ?? "") ?? .region
        let dimension = shown.contains(asked) ? asked : .region
        var report = Report()
        report.tabs = shown.map { choice in
            Link(
                label: Self.dimensionName(choice)(query.language), href: query.link(.usage, [("by", choice.rawValue)]),
                current: choice == dimension)
        }
        report.notes = [
            query(
                "浏览按人次计（同一人半小时内重复打开算一次），学习时长为页面可见的时间。",
                "Views count visits (one person reopening within half an hour is one); time is time the page was visible."
            )
        ]
        let totals = try await storage.usage(within: query.region, by: dimension, limit: 100_000)
        let figures = [query("浏览", "Views"), query("下载", "Downloads"), query("学习时长（小时）", "Hours")]
        func counts(_ total: Monitoring.UsageTotal) -> [Cell] {
            [Cell(String(total.views)), Cell(String(total.downloads)), Cell(Self.hours(Double(total.seconds) / 3600))]
        }
        switch dimension {
        case .region:
            // Summed up to the level below the one looked at, each a link one level further down.
            var byChild: [String: Monitoring.UsageTotal] = [:]
            for total in totals {
                let child = Self.child(of: query.region, containing: total.keys[0])
                var sum = byChild[child] ?? Monitoring.UsageTotal(keys: [child], views: 0, downloads: 0, seconds: 0)
                sum.views += total.views
                sum.downloads += total.downloads
                sum.seconds += total.seconds
                byChild[child] = sum
            }
            report.header = [query("地区", "Region")] + figures
            report.rows = byChild.values.sorted { ($0.views, $1.keys[0]) > ($1.views, $0.keys[0]) }.map { total in
                let name = total.keys[0]
                let label = name.isEmpty ? query("未填地区", "No region") : name
                let link =
                    name == query.region || name.isEmpty
                    ? nil : query.link(.usage, [("by", "region"), ("region", name)])
                return [Cell(label, link: link)] + counts(total)
            }
        case .school:
            report.header = [query("学校", "School"), query("地区", "Region")] + figures
            report.rows = totals.map { [Cell($0.keys[0]), Cell($0.keys[1])] + counts($0) }
        case .subject, .grade:
            report.header = [dimension == .subject ? query("学科", "Subject") : query("年级", "Grade")] + figures
            report.rows = totals.map {
                [Cell($0.keys[0].isEmpty ? query("未标注", "Not labelled") : $0.keys[0])] + counts($0)
            }
            report.notes.append(
                query(
                    "学科和年级取自平台发布的资源包清单。", "Subjects and grades come from the manifests the platform published."))
        case .week, .resource:
            report.header = [query("周（周一，北京时间）", "Week (Monday, Beijing time)")] + figures
            report.rows = totals.map { [Cell($0.keys[0].isEmpty ? query("时间不明", "Unknown") : $0.keys[0])] + counts($0) }
        }
        return report
    }

    private func resources(_ query: Query, limit: Int) async throws -> Report {
        var report = Report()
        report.header = [
            query("资源", "Resource"), query("学科", "Subject"), query("年级", "Grade"), query("资源包", "Bundle"),
            query("浏览", "Views"), query("下载", "Downloads"), query("学习时长（小时）", "Hours"),
        ]
        report.rows = try await storage.usage(within: query.region, by: .resource, limit: limit).map { total in
            let keys = total.keys
            let title = query.language == .english && !keys[3].isEmpty ? keys[3] : (keys[2].isEmpty ? keys[1] : keys[2])
            return [
                Cell(title), Cell(keys[4]), Cell(keys[5]), Cell("\(keys[0])/\(keys[1])"), Cell(String(total.views)),
                Cell(String(total.downloads)), Cell(Self.hours(Double(total.seconds) / 3600)),
            ]
        }
        return report
    }

    private func searches(_ query: Query, limit: Int) async throws -> Report {
        var report = Report()
        report.notes = [
            query(
                "教师搜索了却没有找到任何资源的词：平台缺少的内容。",
                "What teachers searched for and found nothing: what the platform lacks.")
        ]
        report.header = [
            query("搜索词", "Query"), query("次数", "Searches"), query("学校数", "Schools"), query("最近一周", "Latest week"),
        ]
        report.rows = try await storage.unansweredSearches(within: query.region, limit: limit).map {
            [Cell($0.query), Cell(String($0.searches)), Cell(String($0.schools)), Cell($0.lastWeek)]
        }
        return report
    }

    private func training(_ query: Query) async throws -> Report {
        let thisYear = MonitoringDelta.year(of: Date().timeIntervalSince1970)
        let year = query.fields["year"].flatMap(Int.init).flatMap { (2000...2100).contains($0) ? $0 : nil } ?? thisYear
        let level =
            ["teacher", "school", "county"].contains(query.fields["by"] ?? "") ? query.fields["by"]! : "teacher"
        let target = trainingTargetHours
        var report = Report()
        let levels = [
            ("teacher", query("按教师", "By teacher")), ("school", query("按学校", "By school")),
            ("county", query("按县（区）", "By county")),
        ]
        report.tabs = levels.map { name, label in
            Link(
                label: label, href: query.link(.training, [("by", name), ("year", String(year))]),
                current: level == name)
        }
        report.tabs += (thisYear - 2...thisYear).reversed().map { shown in
            Link(
                label: String(shown), href: query.link(.training, [("by", level), ("year", String(shown))]),
                current: shown == year)
        }
        report.notes = [
            query(
                "\(year) 年 · 目标：每位教师每年 \(Self.hours(target)) 学时。学时按完成单元的认定学时计。",
                "\(year) · target: \(Self.hours(target)) hours a teacher a year, counted from completed modules.")
        ]
        let teachers = try await storage.trainingHours(within: query.region, year: year)
        switch level {
        case "teacher":
            report.header = [
                query("教师", "Teacher"), query("教师编号", "Number"), query("学校", "School"), query("学时", "Hours"),
                query("完成单元", "Modules"), query("达标", "Target met"),
            ]
            report.rows = teachers.sorted { ($0.hours, $0.schoolCode, $0.name) < ($1.hours, $1.schoolCode, $1.name) }
                .map { teacher in
                    [
                        Cell(teacher.name.isEmpty ? query("（未知）", "(unknown)") : teacher.name), Cell(teacher.number),
                        Cell(teacher.schoolCode), Cell(Self.hours(teacher.hours)), Cell(String(teacher.modules)),
                        Cell(teacher.hours >= target ? query("是", "yes") : query("否", "no")),
                    ]
                }
        default:
            let bySchool = level == "school"
            var groups: [String: (region: String, teachers: Int, met: Int, hours: Double)] = [:]
            for teacher in teachers {
                let key = bySchool ? teacher.schoolCode : teacher.region
                var group = groups[key] ?? (teacher.region, 0, 0, 0)
                group.teachers += 1
                group.met += teacher.hours >= target ? 1 : 0
                group.hours += teacher.hours
                groups[key] = group
            }
            report.header =
                (bySchool ? [query("学校", "School"), query("地区", "Region")] : [query("县（区）", "County")]) + [
                    query("教师数", "Teachers"), query("达标人数", "Met target"), query("达标率", "Share met"),
                    query("人均学时", "Hours per teacher"),
                ]
            // The groups furthest from the target first.
            report.rows = groups.sorted {
                (Double($0.value.met) / Double($0.value.teachers), $0.key) < (
                    Double($1.value.met) / Double($1.value.teachers), $1.key
                )
            }
            .map { key, group in
                (bySchool ? [Cell(key), Cell(group.region)] : [Cell(key.isEmpty ? query("未填地区", "No region") : key)])
                    + [
                        Cell(String(group.teachers)), Cell(String(group.met)),
                        Cell(String(format: "%.0f%%", 100 * Double(group.met) / Double(group.teachers))),
                        Cell(Self.hours(group.hours / Double(group.teachers))),
                    ]
            }
        }
        return report
    }

    private func fleet(_ query: Query) async throws -> Report {
        let now = Date()
        let nodes = Monitoring.NodeHealth.visitOrder(try await storage.fleet(within: query.region), now: now)
        let needing = nodes.filter { !$0.visitReasons(now: now).isEmpty }.count
        var report = Report()
        report.notes = [
            query(
                "共 \(nodes.count) 台设备，\(needing) 台需要上门查看（排在最前）。",
                "\(nodes.count) nodes; \(needing) need a visit (listed first)."),
            query(
                "需要上门：7 天以上未联系、磁盘剩余不足 2 GB、积压超过 1 万条记录、报告了错误，或时钟偏差超过 1 小时。",
                "A visit is needed when a node was not seen for 7 days, has less than 2 GB free, holds over 10,000 "
                    + "records, reported an error, or its clock is off by more than an hour."),
        ]
        report.header = [
            query("需要上门", "Needs a visit"), query("学校", "School"), query("地区", "Region"), query("节点", "Node"),
            query("版本", "Version"), query("最后联系（北京时间）", "Last seen (Beijing time)"),
            query("时钟偏差", "Clock offset"), query("剩余磁盘", "Free disk"), query("积压记录", "Records waiting"),
            query("最近错误", "Last error"),
        ]
        report.rows = nodes.map { node in
            let reasons = node.visitReasons(now: now).map { $0.text(query.language) }
            return [
                Cell(reasons.isEmpty ? query("否", "no") : reasons.joined(separator: "；")), Cell(node.schoolCode),
                Cell(node.region), Cell(node.id), Cell(node.version ?? "—"),
                Cell(node.lastSeenAt.map(Self.beijingTime) ?? query("从未", "never")),
                Cell(node.clockOffset.map(Monitoring.duration) ?? "—"),
                Cell(node.freeBytes.map(Monitoring.bytes) ?? "—"),
                Cell(node.eventsPending.map(String.init) ?? "—"), Cell(node.lastError ?? ""),
            ]
        }
        return report
    }

    // MARK: Rendering

    /// The page: heading, the operator and region, the monitoring menu, the report's tabs, notes, CSV link and table.
    private func html(_ report: Report, query: Query, operator person: Operator) -> Response {
        let escape = HTMLText.escape
        let title = query.page.title(query.language)
        let scope = query.region.isEmpty ? query("全国", "Nation") : query.region
        var menu = [Link(label: query("学校", "Schools"), href: "/")]
        menu += Page.allCases.map {
            Link(label: $0.title(query.language), href: query.link($0), current: $0 == query.page)
        }
        func links(_ items: [Link]) -> String {
            items.map { link in
                "<a\(link.current ? " aria-current=page" : "") href=\"\(escape(link.href))\">\(escape(link.label))</a>"
            }.joined(separator: " ")
        }
        // The CSV and the other language show the same view.
        let viewFields = ["by", "year"].compactMap { name in query.fields[name].map { (name, $0) } }
        let other = query.link(
            query.page, viewFields, language: query.language == .english ? .chinese : .english)
        var html = """
            <!doctype html><html lang="\(query.language.rawValue)"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1"><title>\(escape(title)) · \(escape(query("国家平台", "Platform")))</title>
            \(OperatorAccess.pageStyle)\(Self.style)</head><body><main>
            <nav class=menu>\(links(menu))</nav>
            <h1>\(escape(title))</h1>
            <p class=meta>\(escape(person.name)) · \(escape(scope)) · <a href="\(escape(other))">\(query.language == .english ? "中文" : "English")</a></p>
            """
        if !report.tabs.isEmpty { html += "<nav class=tabs>\(links(report.tabs))</nav>" }
        for note in report.notes { html += "<p class=note>\(escape(note))</p>" }
        html +=
            "<p><a href=\"\(escape(query.link(query.page, csv: true, viewFields)))\">\(escape(query("下载 CSV 表格", "Download CSV")))</a></p>"
        if report.rows.isEmpty {
            html += "<p class=empty>\(escape(query("还没有数据。", "Nothing yet.")))</p>"
        } else {
            html +=
                "<table><thead><tr>" + report.header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            for row in report.rows {
                html += "<tr>"
                for (index, cell) in row.enumerated() {
                    let label = index < report.header.count ? report.header[index] : ""
                    let text =
                        cell.link.map { "<a href=\"\(escape($0))\">\(escape(cell.text))</a>" } ?? escape(cell.text)
                    html += "<td data-label=\"\(escape(label))\">\(text)</td>"
                }
                html += "</tr>"
            }
            html += "</tbody></table>"
        }
        html += "</main></body></html>"
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// The report's table as a CSV file for Excel: byte order mark, then the header in the page's language.
    private static func csv(_ report: Report, name: String) -> Response {
        let text = CSVText.document(header: report.header, rows: report.rows.map { $0.map(\.text) })
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"satchel-\(name).csv\"",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// The most rows a page shows.
    static let pageRows = 1000

    /// On a phone each table row becomes a card whose cells are labelled with their column's name; on a wider screen
    /// the table may use more of it, and words break only between words.
    static let style = """
        <style>.menu,.tabs{display:flex;flex-wrap:wrap;gap:.3rem .9rem;margin:.6rem 0}.menu a,.tabs a{padding:.5rem 0;
        min-height:44px;display:inline-block}a[aria-current]{font-weight:bold;color:#1d2330;text-decoration:none}
        .note{color:#3d4553}thead th{background:#e9edf2}td a{display:inline-block;padding:.3rem 0}
        main{max-width:76rem}td,th{overflow-wrap:normal}
        @media (max-width:40rem){table,thead,tbody,tr,td{display:block}thead{display:none}
        tr{background:#fff;border:1px solid #dde;border-radius:.4rem;margin:.6rem 0;padding:.3rem .6rem}
        td{border:0;padding:.15rem 0;overflow-wrap:anywhere}td::before{content:attr(data-label) "：";color:#5a6270}}</style>
        """

    /// The name of a way to count usage.
    static func dimensionName(_ dimension: Monitoring.UsageDimension) -> LocalizedText {
        switch dimension {
        case .region: LocalizedText(zh: "按地区", en: "By region")
        case .school: LocalizedText(zh: "按学校", en: "By school")
        case .subject: LocalizedText(zh: "按学科", en: "By subject")
        case .grade: LocalizedText(zh: "按年级", en: "By grade")
        case .week: LocalizedText(zh: "按周", en: "By week")
        case .resource: LocalizedText(zh: "资源", en: "Resource")
        }
    }

    /// The region one level below `scope` that holds `region` (the region itself when it is `scope`).
    static func child(of scope: String, containing region: String) -> String {
        guard region != scope, Region.contains(scope, region) else { return region }
        let rest = region.dropFirst(scope.isEmpty ? 0 : scope.count + 1)
        let next = rest.split(separator: "/").first.map(String.init) ?? ""
        return scope.isEmpty ? next : scope + "/" + next
    }

    /// Hours with one decimal.
    static func hours(_ value: Double) -> String { String(format: "%.1f", value) }

    /// `yyyy-MM-dd HH:mm` in Beijing time.
    static func beijingTime(_ date: Date) -> String {
        let seconds = Int64((date.timeIntervalSince1970 + MonitoringDelta.beijingOffset).rounded(.down))
        let (days, second) = CivilDate.split(seconds: seconds)
        return CivilDate.dayKey(secondsSince1970: Double(days) * 86_400) + " " + CivilDate.clock(second).prefix(5)
    }
}
