import Foundation
import GRDB
import SatchelBundles
import SatchelCore
import SatchelStore
import SatchelSync

/// `satchel doctor`: checks a node the way a technician would, each check answering OK, WARN or FAIL with a hint
/// that says what to do.
public struct NodeDoctor: Sendable {
    /// One check's outcome.
    public struct Check: Encodable, Sendable {
        /// How the check came out; the raw values are stable words scripts and the checklists look for.
        public enum Level: String, Codable, Sendable { case ok = "OK", warn = "WARN", fail = "FAIL" }
        /// The check's stable name, such as `port`.
        public var name: String
        /// How it came out.
        public var level: Level
        /// What was found, in both languages.
        public var detail: LocalizedText
        /// What to do, in both languages; empty when all is well.
        public var hint: LocalizedText?

        /// A check's outcome.
        public init(name: String, level: Level, detail: LocalizedText, hint: LocalizedText?) {
            (self.name, self.level, self.detail, self.hint) = (name, level, detail, hint)
        }

        private enum CodingKeys: String, CodingKey { case name, level, detail, detailText, title, hint }

        /// `detail` stays the English sentence scripts have read; `detailText` and `title` carry both languages.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(level, forKey: .level)
            try container.encode(detail.en, forKey: .detail)
            try container.encode(detail, forKey: .detailText)
            try container.encode(Check.title(name), forKey: .title)
            try container.encode(hint, forKey: .hint)
        }

        /// What a check looks at, in words: `port` is 端口 · web port.
        public static func title(_ name: String) -> LocalizedText {
            let titles: [String: LocalizedText] = [
                "config": LocalizedText(zh: "配置文件", en: "config file"),
                "permissions": LocalizedText(zh: "数据目录权限", en: "data folder permissions"),
                "database": LocalizedText(zh: "数据库", en: "database"),
                "disk": LocalizedText(zh: "磁盘空间", en: "disk space"),
                "trust": LocalizedText(zh: "信任的发布者", en: "trusted publishers"),
                "releases": LocalizedText(zh: "软件更新", en: "releases"),
                "store": LocalizedText(zh: "资源文件", en: "content files"),
                "enrolment": LocalizedText(zh: "平台注册", en: "enrolment"),
                "clock": LocalizedText(zh: "系统时间", en: "clock"),
                "port": LocalizedText(zh: "网页端口", en: "web port"),
                "platform": LocalizedText(zh: "国家平台", en: "national platform"),
            ]
            return titles[name] ?? LocalizedText(zh: name, en: name)
        }
    }

    let configuration: SatchelCore.Configuration
    let configPath: String?

    /// Creates a doctor for a configuration loaded from `configPath` (nil when built-in defaults were used).
    public init(configuration: SatchelCore.Configuration, configPath: String?) {
        self.configuration = configuration
        self.configPath = configPath
    }

    /// Runs every check. Opening the node is itself a check: when it fails, the checks that need it are skipped.
    public func run() async -> [Check] {
        var checks: [Check] = []
        checks.append(
            Check(
                name: "config", level: .ok,
                detail: configPath.map { LocalizedText(zh: $0, en: $0) }
                    ?? LocalizedText(zh: "内置默认设置", en: "built-in defaults"),
                hint: configPath == nil
                    ? LocalizedText(zh: "未找到配置文件，使用默认设置。", en: "No config file found; using the defaults.") : nil))
        let directory = DataDirectory(root: configuration.dataDirectory)
        checks.append(writableCheck(directory.root))
        var node: Node?
        do {
            node = try Node.open(configuration: configuration)
        } catch {
            checks.append(
                Check(
                    name: "database", level: .fail,
                    detail: (error as? any UserFacingError)?.message
                        ?? LocalizedText(zh: "无法打开：\(error)", en: "cannot open: \(error)"),
                    hint: LocalizedText(
                        zh: "检查数据目录权限；如数据库损坏，请从备份恢复。",
                        en:
                            "Check the data directory's permissions; restore the database from a backup if it is damaged."
                    )))
        }
        if let node {
            checks.append(integrityCheck(node))
            checks.append(diskCheck(node))
            checks.append(trustCheck(node))
            checks.append(releaseCheck(node))
            checks.append(blobCheck(node))
            checks.append(enrolmentCheck(node))
        }
        checks.append(clockCheck())
        checks.append(await portCheck(node))
        checks.append(await platformCheck())
        return checks
    }

    /// The node identity and the enrolment `satchel provision` records: enrolled, pending until the first sync, or
    /// missing although a platform is configured.
    private func enrolmentCheck(_ node: Node) -> Check {
        let provision = LocalizedText(
            zh: "运行 satchel provision --platform 地址 --token 注册码 --school 学校代码（见 docs/provisioning.md）。",
            en: "Run satchel provision --platform URL --token TOKEN --school CODE (see docs/provisioning.md).")
        let identity = (try? NodeIdentity.load(from: node.directory)) ?? nil
        let enrolment = (try? Enrolment.load(node.database)) ?? nil
        if let enrolment, identity != nil {
            if let nodeId = enrolment.nodeId {
                return Check(
                    name: "enrolment", level: .ok,
                    detail: LocalizedText(
                        zh: "已注册到 \(enrolment.platformURL)，服务器编号 \(nodeId)",
                        en: "enrolled as \(nodeId) with \(enrolment.platformURL)"),
                    hint: nil)
            }
            return Check(
                name: "enrolment", level: .warn,
                detail: LocalizedText(
                    zh: "向 \(enrolment.platformURL) 的注册尚未完成：还没能连上平台",
                    en: "enrolment with \(enrolment.platformURL) is pending: the platform was not reachable yet"),
                hint: LocalizedText(
                    zh: "第一次成功同步时会自动完成注册；请检查网络和平台地址。",
                    en: "The first successful sync completes it; check the network and the platform URL."))
        }
        if configuration.platformURL.isEmpty {
            return Check(
                name: "enrolment", level: .ok,
                detail: LocalizedText(
                    zh: "未注册：没有配置国家平台（只用 U 盘和局域网同步）",
                    en: "not enrolled: no platform configured (USB and LAN sync only)"),
                hint: nil)
        }
        return Check(
            name: "enrolment", level: .fail,
            detail: identity == nil
                ? LocalizedText(
                    zh: "已配置平台地址（platformURL），但本机还没有身份密钥",
                    en: "no node identity although platformURL is set")
                : LocalizedText(
                    zh: "尚未注册到 \(configuration.platformURL)", en: "not enrolled with \(configuration.platformURL)"),
            hint: provision)
    }

    private func writableCheck(_ path: String) -> Check {
        let probe = path + "/.doctor-\(getpid())"
        if FileManager.default.createFile(atPath: probe, contents: Data()) {
            try? FileManager.default.removeItem(atPath: probe)
            return Check(
                name: "permissions", level: .ok, detail: LocalizedText(zh: "\(path) 可以写入", en: "\(path) is writable"),
                hint: nil)
        }
        return Check(
            name: "permissions", level: .fail,
            detail: LocalizedText(zh: "当前用户不能写入 \(path)", en: "\(path) is not writable by this user"),
            hint: LocalizedText(
                zh: "运行 sudo chown -R satchel:satchel \(path)，或用 --data 指定可写目录。",
                en: "Run sudo chown -R satchel:satchel \(path), or give a writable folder with --data."))
    }

    private func integrityCheck(_ node: Node) -> Check {
        let result = (try? node.database.quickCheck()) ?? nil
        if result == "ok" {
            return Check(
                name: "database", level: .ok, detail: LocalizedText(zh: "完整性检查通过", en: "integrity ok"), hint: nil)
        }
        return Check(
            name: "database", level: .fail,
            detail: LocalizedText(
                zh: "完整性检查：\(result ?? "无法读取")", en: "integrity check: \(result ?? "unreadable")"),
            hint: LocalizedText(
                zh: "数据库已损坏。请停止服务并从备份恢复 satchel.sqlite。",
                en: "The database is damaged. Stop the service and restore satchel.sqlite from a backup."))
    }

    private func diskCheck(_ node: Node) -> Check {
        let free = node.directory.freeBytes() ?? 0
        let stored = ByteCount.human((try? node.database.storeBytes()) ?? 0)
        let detail = LocalizedText(
            zh: "剩余 \(ByteCount.human(free))，资源占用 \(stored)", en: "\(ByteCount.human(free)) free, store \(stored)")
        if free < configuration.diskReserveBytes {
            return Check(
                name: "disk", level: .fail, detail: detail,
                hint: LocalizedText(
                    zh: "可用空间低于保留值 \(ByteCount.human(configuration.diskReserveBytes))。请删除不用的资源包或换更大的磁盘。",
                    en:
                        "Free space is below the \(ByteCount.human(configuration.diskReserveBytes)) reserve. Remove unused bundles or use a larger disk."
                ))
        }
        if free < configuration.diskReserveBytes * 2 {
            return Check(
                name: "disk", level: .warn, detail: detail,
                hint: LocalizedText(
                    zh: "磁盘快满了。", en: "The disk is getting full."))
        }
        return Check(name: "disk", level: .ok, detail: detail, hint: nil)
    }

    private func trustCheck(_ node: Node) -> Check {
        let count = (try? node.trustedKeys().count) ?? 0
        if count > 0 {
            return Check(
                name: "trust", level: .ok,
                detail: LocalizedText(zh: "信任 \(count) 个发布者公钥", en: "\(count) trusted publisher key(s)"), hint: nil)
        }
        return Check(
            name: "trust", level: .warn,
            detail: LocalizedText(zh: "还没有信任任何发布者公钥", en: "no trusted publisher keys"),
            hint: LocalizedText(
                zh: "运行 satchel trust add 发布者公钥.pub，否则无法导入资源包。",
                en: "Run satchel trust add PUBLISHER.pub, or no bundle can be imported."))
    }

    /// Releases: the installer trusts only the config file's release keys, so a key learned at enrolment that never
    /// reached it (a node enrolled without install.sh) stops every upgrade; and an upgrade that was not kept is news.
    private func releaseCheck(_ node: Node) -> Check {
        let stager = ReleaseStager(directory: node.directory)
        let configured = Set(configuration.releaseKeys)
        let learned = ((try? node.releaseKeys()) ?? []).filter { !configured.contains($0.base64) }
        if !learned.isEmpty {
            return Check(
                name: "releases", level: .warn,
                detail: LocalizedText(
                    zh: "平台告知的发布密钥尚未写入配置文件，软件更新不会安装",
                    en: "a release key the platform named is not in the config file, so releases are not installed"),
                hint: LocalizedText(
                    zh: "sudo satchel trust add --release 发布密钥.pub（密钥见 satchel trust list）",
                    en: "sudo satchel trust add --release RELEASE.pub (the key is in satchel trust list)"))
        }
        if let outcome = stager.outcome(), outcome.result != .installed {
            return Check(
                name: "releases", level: .warn, detail: outcome.summary,
                hint: LocalizedText(
                    zh: "安装程序日志：journalctl -u satchel-upgrade", en: "The installer's log: journalctl -u satchel-upgrade"
                ))
        }
        let installed = ReleaseStager.installedPackageVersion() ?? SatchelVersion.current
        return Check(
            name: "releases", level: .ok,
            detail: LocalizedText(
                zh: "版本 \(installed)，\(configured.count) 个发布密钥" + (stager.outcome().map { "；" + $0.summary.zh } ?? ""),
                en: "version \(installed), \(configured.count) release key(s)"
                    + (stager.outcome().map { "; " + $0.summary.en } ?? "")),
            hint: nil)
    }

    private func blobCheck(_ node: Node) -> Check {
        let missing = ((try? node.database.referencedBlobs()) ?? []).filter { !node.blobStore.contains($0) }
        if missing.isEmpty {
            return Check(
                name: "store", level: .ok,
                detail: LocalizedText(zh: "资源文件齐全", en: "every referenced blob is present"), hint: nil)
        }
        return Check(
            name: "store", level: .fail,
            detail: LocalizedText(zh: "缺少 \(missing.count) 个资源文件", en: "\(missing.count) referenced blob(s) missing"),
            hint: LocalizedText(
                zh: "运行 satchel bundles verify 查看受损的资源包并重新导入。",
                en: "Run satchel bundles verify to see which bundles are damaged, and import them again."))
    }

    private func clockCheck() -> Check {
        let year = Calendar(identifier: .gregorian).component(.year, from: Date())
        if year >= 2025 && year < 2100 {
            let now = ISO8601DateFormatter().string(from: Date())
            return Check(name: "clock", level: .ok, detail: LocalizedText(zh: now, en: now), hint: nil)
        }
        return Check(
            name: "clock", level: .fail,
            detail: LocalizedText(
                zh: "系统时间是 \(ISO8601DateFormatter().string(from: Date()))",
                en: "the clock says \(ISO8601DateFormatter().string(from: Date()))"),
            hint: LocalizedText(
                zh: "系统时间不对（可能是主板电池没电）。请用 sudo date -s 设置正确时间。",
                en: "The system clock is wrong (a flat CMOS battery?). Set it with sudo date -s."))
    }

    /// Checks the port the node serves on: the one it last listened on (a `--port` or a systemd drop-in may have
    /// set it apart from the config), else the configured one.
    private func portCheck(_ node: Node?) async -> Check {
        let serving = ServingAddress.current(node?.database, configuration: configuration)
        let port = serving.port
        let elsewhere =
            port == configuration.port
            ? LocalizedText(zh: "", en: "")
            : LocalizedText(
                zh: "（上次运行时用的端口；配置文件中是 \(configuration.port)）",
                en: " (where it last ran; the config says \(configuration.port))")
        let url = "http://127.0.0.1:\(port)/healthz"
        var transport = CurlTransport()
        transport.connectTimeoutSeconds = 2
        transport.lowSpeedSeconds = 3
        if let response = try? await transport.get(url), response.headers["server"] == "satchel" {
            return Check(
                name: "port", level: response.status == 200 ? .ok : .warn,
                detail: LocalizedText(
                    zh: "本校资源服务器在端口 \(port) 上运行（\(response.status)）\(elsewhere.zh)",
                    en: "satchel answers on port \(port) (\(response.status))\(elsewhere.en)"),
                hint: response.status == 200
                    ? nil
                    : LocalizedText(
                        zh: "服务在运行但报告不健康，请查看 /healthz。", en: "The service runs but reports unhealthy; see /healthz."))
        }
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let bindError = errno
        if bound == 0 || bindError == EACCES {
            // EACCES: a port below 1024 that this user may not bind; the service gets the capability from systemd.
            return Check(
                name: "port", level: .warn,
                detail: LocalizedText(
                    zh: "端口 \(port) 空闲，但本校资源服务器没有在运行\(elsewhere.zh)",
                    en: "port \(port) is free but satchel is not serving\(elsewhere.en)"),
                hint: LocalizedText(
                    zh: "启动服务：sudo systemctl start satchel", en: "Start the service: sudo systemctl start satchel"))
        }
        return Check(
            name: "port", level: .fail,
            detail: LocalizedText(
                zh: "端口 \(port) 被其他程序占用\(elsewhere.zh)", en: "port \(port) is taken by another program\(elsewhere.en)"),
            hint: LocalizedText(
                zh: "在配置中换一个端口（port），或停止占用该端口的程序（sudo ss -ltnp 可查看）。",
                en: "Choose another port in the config (port), or stop the program using it (sudo ss -ltnp shows it)."))
    }

    private func platformCheck() async -> Check {
        guard !configuration.platformURL.isEmpty else {
            return Check(
                name: "platform", level: .warn,
                detail: LocalizedText(zh: "没有配置国家平台地址（platformURL）", en: "no platformURL configured"),
                hint: LocalizedText(
                    zh: "离线运行。如需同步，请运行 satchel provision。",
                    en: "Running offline. To sync, run satchel provision."))
        }
        var transport = CurlTransport()
        transport.connectTimeoutSeconds = 5
        transport.lowSpeedSeconds = 10
        do {
            let response = try await transport.get(configuration.platformURL)
            return Check(
                name: "platform", level: response.status < 500 ? .ok : .warn,
                detail: LocalizedText(
                    zh: "\(configuration.platformURL) 有回应（\(response.status)）",
                    en: "\(configuration.platformURL) answered \(response.status)"), hint: nil)
        } catch let error as TransportError {
            return Check(
                name: "platform", level: .warn, detail: error.message,
                hint: error.failingSide?.advice
                    ?? LocalizedText(
                        zh: "平台暂时无法访问；本校资源服务器会离线继续工作，联网后自动同步。",
                        en:
                            "The platform is unreachable; the node keeps working offline and syncs when the link returns."
                    ))
        } catch {
            return Check(
                name: "platform", level: .warn, detail: LocalizedText(zh: "\(error)", en: "\(error)"), hint: nil)
        }
    }
}
