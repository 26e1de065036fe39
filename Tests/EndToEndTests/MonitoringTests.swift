import Foundation
import SatchelBundles
import SatchelCore
import SatchelPlatform
import SatchelSync
import SatchelTestSupport
import Testing

/// Issue 16, monitoring: real nodes in two provinces enrol with a real platform (SQLite, and PostgreSQL), push signed
/// batches (one of them twice, one overlapping) and health reports over loopback, and operators of the nation, a
/// province and a county read the pages and CSV files over HTTP: each sees their region's figures only, counted once.
@Suite(.serialized) struct MonitoringTests {
    /// 2026-11-24 10:00 Beijing time, a Tuesday: week 2026-11-23.
    static let thisWeek: Double = 1_795_485_600
    /// A week earlier: week 2026-11-16.
    static let lastWeek: Double = 1_794_880_800

    @Test(arguments: OperatorTests.Storage.allCases)
    func operatorsSeeTheirRegionsFiguresCountedOnce(storage: OperatorTests.Storage) async throws {
        try await Self.withPlatform(storage) { platform, live in
            let schools = try await Self.populate(platform, base: live.baseURL)
            try await Self.checkFigures(base: live.baseURL, platform: platform, schools: schools)
        }
    }

    /// The pages laid out by headless Chromium 360 px wide, as an operator's phone shows them: nothing scrolls
    /// sideways.
    @Test func theMonitoringPagesFitAPhone() async throws {
        let chromium = try Chromium.find()
        try await Self.withPlatform(.sqlite) { platform, live in
            _ = try await Self.populate(platform, base: live.baseURL)
            let base = live.baseURL
            let folder = TemporaryDirectory("monitoring-browser")
            let nation = try await Self.login(base: base, username: "nation", password: "nation-pw", folder: folder)
            let pages = [
                "/monitoring/usage", "/monitoring/usage?by=school", "/monitoring/usage?by=subject",
                "/monitoring/usage?by=week", "/monitoring/resources", "/monitoring/searches",
                "/monitoring/training?year=2026", "/monitoring/training?by=county&year=2026", "/monitoring/fleet",
                "/monitoring/fleet?lang=en", "/",
            ]
            for page in pages {
                let answer = await nation.request(page)
                #expect(answer.status == 200, "\(page): \(answer.status)")
                let layout = try await chromium.phoneLayout(of: base + page, html: answer.body, width: 360, in: folder)
                expectFitsPhone(layout, page: page)
            }
            // Screenshots at phone and desktop widths (kept in SATCHEL_SCREENSHOT_DIR when it is set). The pages have
            // their style inline, so a saved copy shows as the operator sees it.
            let keep = ProcessInfo.processInfo.environment["SATCHEL_SCREENSHOT_DIR"]
            for (name, page) in [("usage", "/monitoring/usage?by=school"), ("fleet", "/monitoring/fleet")] {
                let saved = folder.write("\(name).html", await nation.request(page).body)
                for (width, height) in [(360, 780), (1280, 800)] {
                    let shot = (keep ?? folder.path) + "/monitoring-\(name)-\(width).png"
                    try await chromium.screenshot(
                        url: URL(fileURLWithPath: saved).absoluteString, width: width, height: height, to: shot)
                }
            }
            withExtendedLifetime(folder) {}
        }
    }

    /// `satchel-platform serve --training-target-hours` sets the target the training page compares with, and a target
    /// out of range is refused before anything starts.
    @Test func theTrainingTargetIsAServeOption() async throws {
        let folder = TemporaryDirectory("monitoring-cli")
        let data = folder.file("platform")
        let refused = try ProcessRunner.run(
            binary: "satchel-platform", ["serve", "--data", data, "--port", "0", "--training-target-hours", "0"])
        #expect(refused.status == 64 && refused.stderr.contains("--training-target-hours"), "\(refused.stderr)")
        let password = folder.write("password", "county-pw\n")
        let added = try ProcessRunner.run(
            binary: "satchel-platform",
            [
                "operator", "add", "chunan", "--name", "淳安县教育局", "--role", "county", "--region", "浙江省/淳安县",
                "--password-file", password, "--data", data,
            ])
        try #require(added.status == 0, "\(added.stderr)")
        let token = try ProcessRunner.run(binary: "satchel-platform", ["operator", "token", "chunan", "--data", data])
        let process = try BackgroundProcess(
            binary: "satchel-platform", ["serve", "--data", data, "--port", "0", "--training-target-hours", "72"])
        let port = try await process.waitFor(#"listening on http://127\.0\.0\.1:(\d+)/"#)
        let page = await CurlClient(baseURL: "http://127.0.0.1:\(port)").request(
            "/monitoring/training",
            headers: ["Authorization: Bearer " + token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(page.status == 200 && page.body.contains("每位教师每年 72.0 学时"), "\(page.status) \(page.body)")
        #expect(await process.stop() == 0)
    }

    // MARK: Setting up

    /// Runs `body` with a platform on `storage` that publishes bundles of `publisher`, served on loopback.
    static func withPlatform(
        _ storage: OperatorTests.Storage, _ body: (Platform, LivePlatform) async throws -> Void
    ) async throws {
        let packer = try TestNode()
        try await storage.withPlatform(publisherKeys: [packer.publisher.publicKey.base64]) { platform in
            try await platform.publish(archive: try Self.bundle(packer))
            let live = try await LivePlatform(platform: platform)
            do {
                try await body(platform, live)
            } catch {
                await live.stop()
                throw error
            }
            await live.stop()
        }
    }

    /// A grade-3 bundle with a 数学 lesson, a 语文 poem and a 数学 video.
    static func bundle(_ packer: TestNode) throws -> String {
        try packer.pack(
            [
                "fractions/index.html": "<h1>认识分数</h1>", "poem/index.html": "<h1>静夜思</h1>",
                "clip.mp4": String(repeating: "v", count: 256),
            ], id: "g3",
            description: #"""
                {"title": {"zh": "三年级", "en": "Grade 3"},
                 "defaults": {"stage": "小学", "grade": "三年级"},
                 "resources": [
                   {"id": "fractions", "title": {"zh": "认识分数", "en": "Fractions"}, "type": "html",
                    "subject": "数学", "entry": "fractions/index.html"},
                   {"id": "poem", "title": {"zh": "古诗《静夜思》", "en": "Quiet Night Thoughts"}, "type": "html",
                    "subject": "语文", "entry": "poem/index.html"},
                   {"id": "video", "title": {"zh": "数学小视频", "en": "Maths clip"}, "type": "video",
                    "subject": "数学", "entry": "clip.mp4"}
                 ]}
                """#)
    }

    /// An enrolled node: its id and key.
    struct School {
        var code: String
        var nodeId: String
        var identity: NodeIdentity
        var test: TestNode
    }

    /// Enrols three real nodes in three counties of two provinces, pushes their records and health reports, enrols a
    /// fourth school whose node never contacts the platform, and adds a national, a provincial and a county operator.
    static func populate(_ platform: Platform, base: String) async throws -> [String: School] {
        let regions = [("S-CHUNAN", "浙江省/淳安县"), ("S-JIANDE", "浙江省/杭州市/建德市"), ("S-HUINING", "甘肃省/会宁县")]
        var schools: [String: School] = [:]
        for (code, region) in regions {
            let token = try await platform.createToken(schoolCode: code, region: region)
            let (test, identity) = try SyncTests.provisionedNode(url: base, token: token, school: code)
            _ = try await SyncTests.syncUntil(test.node, attempts: 5) {
                try Enrolment.load(test.node.database)?.nodeId != nil
            }
            let nodeId = try #require(try Enrolment.load(test.node.database)?.nodeId)
            schools[code] = School(code: code, nodeId: nodeId, identity: identity, test: test)
        }
        let silent = try await platform.storage.createToken(
            schoolCode: "S-SILENT", region: "浙江省/淳安县", stages: [])
        _ = try await platform.storage.enrol(
            token: silent, schoolCode: "S-SILENT", publicKey: SigningKey().publicKey.base64)
        let wang = UUID()
        let li = UUID()
        let chunan = try #require(schools["S-CHUNAN"])
        // Chunan: views, a download and time this week; a rollup of last week's video views; searches; two teachers.
        // Its clock is 90 s ahead, as its corrections show.
        let chunanEvents: [NodeEvent.Body] = [
            .view(.init(bundleId: "g3", resourceId: "fractions", bytes: 10, deviceClass: "phone")),
            .view(.init(bundleId: "g3", resourceId: "fractions", bytes: 10, deviceClass: "phone")),
            .view(.init(bundleId: "g3", resourceId: "fractions", bytes: 10, deviceClass: "desktop")),
            .download(.init(bundleId: "g3", resourceId: "fractions", bytes: 10, deviceClass: "phone")),
            .timeSpent(.init(bundleId: "g3", resourceId: "fractions", seconds: 1800)),
            .view(.init(bundleId: "g3", resourceId: "poem", bytes: 10, deviceClass: "phone")),
            .view(.init(bundleId: "g3", resourceId: "poem", bytes: 10, deviceClass: "phone")),
            .search(.init(query: "光合作用", results: 0)),
            .search(.init(query: " 光合作用 ", results: 0)),
            .search(.init(query: "分数", results: 5)),
            .searchRollup(.init(day: "2026-11-24", query: "电路图", searches: 4, results: 0)),
            .teacher(.init(action: .registered, teacherId: wang, teacherNumber: "T-001", name: "王芳")),
            .teacher(.init(action: .registered, teacherId: li, name: "李明")),
            .moduleCompleted(.init(teacherId: wang, bundleId: "course", resourceId: "m1", creditHours: 30)),
            .moduleCompleted(.init(teacherId: wang, bundleId: "course", resourceId: "m2", creditHours: 25)),
            .moduleCompleted(.init(teacherId: li, bundleId: "course", resourceId: "m1", creditHours: 10)),
        ]
        var first = Self.wire(chunanEvents, from: 1, at: thisWeek, nodeClockAhead: 90)
        first.append(
            contentsOf: Self.wire(
                [
                    .usageRollup(
                        .init(
                            day: "2026-11-17", bundleId: "g3", resourceId: "video", views: 10, downloads: 1,
                            seconds: 600, bytes: 100, events: 11))
                ], from: Int64(first.count + 1), at: lastWeek, nodeClockAhead: 90))
        let batch = Self.batch(first, node: chunan.nodeId)
        let stored = try await PostgresPlatformTests.push(batch, identity: chunan.identity, to: base)
        #expect(stored.accepted == first.count && stored.duplicates == 0)
        // The same batch again (a retry after a lost answer), and a new batch that repeats its events: nothing new.
        let again = try await PostgresPlatformTests.push(batch, identity: chunan.identity, to: base)
        #expect(again.accepted == 0 && again.duplicates == first.count)
        let extra = Self.wire(
            [.view(.init(bundleId: "g3", resourceId: "poem", bytes: 1, deviceClass: "phone"))],
            from: Int64(first.count + 1), at: thisWeek, nodeClockAhead: 90)
        let overlapping = Self.batch(first + extra, node: chunan.nodeId)
        let overlap = try await PostgresPlatformTests.push(overlapping, identity: chunan.identity, to: base)
        #expect(overlap.accepted == 1 && overlap.duplicates == first.count)

        let jiande = try #require(schools["S-JIANDE"])
        let zhao = UUID()
        let jiandeEvents: [NodeEvent.Body] = [
            .view(.init(bundleId: "g3", resourceId: "video", bytes: 10, deviceClass: "phone")),
            .view(.init(bundleId: "g3", resourceId: "video", bytes: 10, deviceClass: "phone")),
            .view(.init(bundleId: "g3", resourceId: "video", bytes: 10, deviceClass: "phone")),
            .view(.init(bundleId: "g3", resourceId: "video", bytes: 10, deviceClass: "phone")),
            .search(.init(query: "光合作用", results: 0)),
            .teacher(.init(action: .registered, teacherId: zhao, name: "赵强")),
            .moduleCompleted(.init(teacherId: zhao, bundleId: "course", resourceId: "m1", creditHours: 12)),
        ]
        _ = try await PostgresPlatformTests.push(
            Self.batch(Self.wire(jiandeEvents, from: 1, at: thisWeek), node: jiande.nodeId), identity: jiande.identity,
            to: base)

        let huining = try #require(schools["S-HUINING"])
        let ma = UUID()
        let huiningEvents: [NodeEvent.Body] =
            Array(
                repeating: .view(.init(bundleId: "g3", resourceId: "poem", bytes: 10, deviceClass: "phone")), count: 7)
            + [
                .search(.init(query: "会宁独有的词", results: 0)),
                .teacher(.init(action: .registered, teacherId: ma, name: "马丽")),
                .moduleCompleted(.init(teacherId: ma, bundleId: "course", resourceId: "m1", creditHours: 60)),
            ]
        _ = try await PostgresPlatformTests.push(
            Self.batch(Self.wire(huiningEvents, from: 1, at: thisWeek), node: huining.nodeId),
            identity: huining.identity, to: base)

        // Health: Jiande is short of disk, holds a large backlog and failed a pull; the others are well.
        try await Self.report(
            .init(
                version: "0.9.0", freeBytes: 500_000_000, storeBytes: 1, eventsPending: 25_000, bundles: 1,
                lastErrors: ["g3 v2: 签名无效"]), school: jiande, base: base)
        for school in [chunan, huining] {
            try await Self.report(
                .init(
                    version: "1.0.0", freeBytes: 50_000_000_000, storeBytes: 1, eventsPending: 0, bundles: 1,
                    lastErrors: []), school: school, base: base)
        }

        let access = OperatorAccess(storage: platform.storage)
        try await access.add(
            try Operator(username: "nation", name: "中央电化教育馆", role: .national, region: ""), password: "nation-pw")
        try await access.add(
            try Operator(username: "zhejiang", name: "浙江省教育厅", role: .province, region: "浙江省"), password: "zj-secret")
        try await access.add(
            try Operator(username: "chunan", name: "淳安县教育局", role: .county, region: "浙江省/淳安县"), password: "ca-secret")
        return schools
    }

    /// Wire events for `bodies`, numbered from `from`, happening a minute apart from `time` (true time); the node's
    /// wall clock says `nodeClockAhead` seconds more, and the correction came from the platform.
    static func wire(
        _ bodies: [NodeEvent.Body], from: Int64, at time: Double, nodeClockAhead: Double = 0
    ) -> [SyncProtocol.WireEvent] {
        bodies.enumerated().map { index, body in
            let trueTime = time + Double(index) * 60
            return SyncProtocol.WireEvent(
                sequence: from + Int64(index), id: UUID().uuidString.lowercased(), type: NodeEvent(body).type,
                occurredAt: trueTime + nodeClockAhead,
                payload: String(decoding: (try? body.payload()) ?? Data(), as: UTF8.self),
                corrected: (trueTime, .platform))
        }
    }

    /// A batch of `events` from `node`, with the id the node would give it.
    static func batch(_ events: [SyncProtocol.WireEvent], node: String) -> SyncProtocol.EventBatch {
        let from = events.first?.s ?? 1
        let to = events.last?.s ?? 0
        return SyncProtocol.EventBatch(
            batchId: "\(node):\(from)-\(to)", nodeId: node, from: from, to: to, events: events)
    }

    /// Posts a health report signed by the school's node.
    static func report(_ health: SyncProtocol.HealthReport, school: School, base: String) async throws {
        let path = "/api/v1/nodes/\(school.nodeId)/health"
        let body = try JSONEncoder().encode(health)
        let headers = try RequestSignature.headers(
            nodeId: school.nodeId, key: school.identity.key, method: "POST", path: path, body: body)
        let answer = try await CurlTransport().post(
            base + path, body: body, headers: headers.merging(["Content-Type": "application/json"]) { $1 })
        #expect(answer.status == 204)
    }

    /// A browser-like client logged in as `username`.
    static func login(
        base: String, username: String, password: String, folder: TemporaryDirectory
    ) async throws -> CurlClient {
        let client = CurlClient(baseURL: base, cookieJar: folder.file("\(username).txt"))
        let login = await client.request("/login", form: ["username": username, "password": password])
        try #require(login.status == 303, "\(username) could not log in: \(login.status)")
        return client
    }

    // MARK: Checking

    static func checkFigures(base: String, platform: Platform, schools: [String: School]) async throws {
        let folder = TemporaryDirectory("monitoring-operators")
        let nation = try await login(base: base, username: "nation", password: "nation-pw", folder: folder)
        let province = try await login(base: base, username: "zhejiang", password: "zj-secret", folder: folder)
        let county = try await login(base: base, username: "chunan", password: "ca-secret", folder: folder)

        // Nobody logged in: pages send to the login, CSV files ask for a token.
        let anonymous = CurlClient(baseURL: base)
        #expect(await anonymous.request("/monitoring/usage").status == 303)
        let refused = await anonymous.request("/monitoring/usage.csv")
        #expect(refused.status == 401 && !refused.body.contains("S-CHUNAN"))

        // Usage by region: the nation sees provinces, the province its counties (and the city above one), the county
        // itself. Chunan's views: 3 + 2 + 1 (the overlapping batch's new one) + 10 (rolled up); counted once.
        let byProvince = await nation.request("/monitoring/usage.csv?by=region")
        #expect(byProvince.status == 200)
        #expect(byProvince.body.hasPrefix("\u{FEFF}地区,浏览,下载,学习时长（小时）\n"), "\(byProvince.body)")
        #expect(rows(byProvince.body) == ["浙江省,20,2,0.7", "甘肃省,7,0,0.0"], "\(byProvince.body)")
        let byCounty = await province.request("/monitoring/usage.csv?by=region")
        #expect(rows(byCounty.body) == ["浙江省/淳安县,16,2,0.7", "浙江省/杭州市,4,0,0.0"], "\(byCounty.body)")
        let page = await province.request("/monitoring/usage?by=region")
        #expect(page.status == 200 && page.body.contains("<html lang=\"zh-CN\"") && page.body.contains("资源使用情况"))
        #expect(page.body.contains("浙江省/淳安县") && !page.body.contains("甘肃"))
        let countyUsage = await county.request("/monitoring/usage.csv?by=school")
        #expect(rows(countyUsage.body) == ["S-CHUNAN,浙江省/淳安县,16,2,0.7"], "\(countyUsage.body)")
        // A county operator cannot look at another county, by a link or by a token.
        let gansu = "甘肃省".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        #expect(await county.request("/monitoring/usage?region=" + gansu).status == 403)
        let token = try await OperatorAccess(storage: platform.storage).createAPIToken(username: "chunan")
        let byToken = await anonymous.request(
            "/monitoring/searches.csv", headers: ["Authorization: Bearer \(token)"])
        #expect(byToken.status == 200 && byToken.body.contains("光合作用") && !byToken.body.contains("会宁独有的词"))

        // By subject and grade from the published manifest; by week from the corrected times.
        let subjects = await nation.request("/monitoring/usage.csv?by=subject")
        #expect(rows(subjects.body) == ["数学,17,2,0.7", "语文,10,0,0.0"], "\(subjects.body)")
        let grades = await nation.request("/monitoring/usage.csv?by=grade")
        #expect(rows(grades.body) == ["三年级,27,2,0.7"], "\(grades.body)")
        let weeks = await province.request("/monitoring/usage.csv?by=week")
        #expect(rows(weeks.body) == ["2026-11-23,10,1,0.5", "2026-11-16,10,1,0.2"], "\(weeks.body)")

        // Most used resources, with their titles.
        let resources = await nation.request("/monitoring/resources.csv")
        #expect(
            rows(resources.body).first == "数学小视频,数学,三年级,g3/video,14,1,0.2", "\(resources.body)")
        let english = await nation.request("/monitoring/resources?lang=en")
        #expect(english.body.contains("<html lang=\"en\"") && english.body.contains("Maths clip"))

        // Searches that found nothing, most searched first; a search with results is not among them.
        let searches = await province.request("/monitoring/searches.csv")
        #expect(rows(searches.body) == ["电路图,4,1,2026-11-23", "光合作用,3,2,2026-11-23"], "\(searches.body)")
        let nationSearches = await nation.request("/monitoring/searches")
        #expect(nationSearches.body.contains("会宁独有的词") && !nationSearches.body.contains(">分数<"))

        // Training hours against the 50-hour target: Wang (55) met it, Li (10) did not; Chunan's county 1 of 2.
        let teachers = await county.request("/monitoring/training.csv?by=teacher&year=2026")
        #expect(
            rows(teachers.body) == ["李明,,S-CHUNAN,10.0,1,否", "王芳,T-001,S-CHUNAN,55.0,2,是"], "\(teachers.body)")
        let counties = await province.request("/monitoring/training.csv?by=county&year=2026")
        #expect(
            rows(counties.body) == ["浙江省/杭州市/建德市,1,0,0%,12.0", "浙江省/淳安县,2,1,50%,32.5"], "\(counties.body)")
        let trainingPage = await county.request("/monitoring/training?year=2026")
        #expect(trainingPage.body.contains("50.0 学时") && !trainingPage.body.contains("赵强"))
        #expect(
            rows(await county.request("/monitoring/training.csv?year=2025").body).allSatisfy {
                $0.hasSuffix(",0.0,0,否")
            })

        // Fleet: the node never heard from again and the one short of disk first; the county sees its two.
        let fleet = await province.request("/monitoring/fleet.csv")
        let order = rows(fleet.body).map { $0.split(separator: ",").dropFirst().first.map(String.init) ?? "" }
        #expect(order == ["S-SILENT", "S-JIANDE", "S-CHUNAN"], "\(fleet.body)")
        let jiande = try #require(rows(fleet.body).first { $0.contains("S-JIANDE") })
        #expect(jiande.contains("磁盘仅剩 500 MB") && jiande.contains("积压 25000 条记录") && jiande.contains("最近出错"))
        #expect(jiande.contains("0.9.0") && jiande.contains("g3 v2: 签名无效"))
        let chunan = try #require(rows(fleet.body).first { $0.hasPrefix("否,S-CHUNAN") })
        #expect(chunan.contains("+90 s") && chunan.contains("1.0.0"), "\(chunan)")
        let countyFleet = await county.request("/monitoring/fleet")
        let silent = try #require(countyFleet.body.range(of: "S-SILENT"))
        let chunanRow = try #require(countyFleet.body.range(of: "S-CHUNAN"))
        #expect(silent.lowerBound < chunanRow.lowerBound && countyFleet.body.contains("从未联系平台"))
        #expect(!countyFleet.body.contains("S-JIANDE") && !countyFleet.body.contains("S-HUINING"))
        withExtendedLifetime(folder) {}
        withExtendedLifetime(schools) {}
    }

    /// The data lines of a CSV file, without its header.
    static func rows(_ csv: String) -> [String] {
        Array(csv.split(separator: "\n").dropFirst().map(String.init))
    }
}
