import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SatchelBundles
import SatchelCore
import SatchelPlatform

/// `satchel-platform`: the reference national platform.
@main
struct PlatformCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "satchel-platform",
        abstract: "Satchel 参考国家平台 · The reference national platform",
        subcommands: [
            Serve.self, Token.self, Operator.self, Publish.self, Import.self, Export.self, Status.self, Verify.self,
            Events.self,
        ]
    )

    struct Options: ParsableArguments {
        @Option(name: .long, help: "数据目录 · Data directory") var data: String = "platform-data"
        @Option(
            name: .long,
            help: """
                数据库：省略时用数据目录中的 SQLite 文件；多个平台进程共用时给 postgres://用户@主机:端口/数据库（密码可放在 \
                PGPASSWORD 环境变量中）· Database: the SQLite file in the data directory when left out; \
                postgres://USER@HOST:PORT/DB for several platform processes on one PostgreSQL (the password may come \
                from PGPASSWORD)
                """)
        var database: String?

        func validate() throws {
            guard let database else { return }
            do {
                _ = try PostgresURL(database)
            } catch let error as PlatformError {
                throw ValidationError(error.message.zh + "\n" + error.message.en)
            }
        }

        /// The platform on SQLite in the data directory, or on the PostgreSQL database given with --database.
        func open() async throws -> Platform {
            guard let database else { return try Platform(root: data) }
            var url = try PostgresURL(database)
            if url.password == nil, let password = ProcessInfo.processInfo.environment["PGPASSWORD"] {
                url.password = password
            }
            var logger = Logger(label: "satchel.platform.database")
            logger.logLevel = .warning
            let storage = try await PostgresPlatformDatabase(url: url, logger: logger)
            do {
                return try Platform(root: data, storage: storage)
            } catch {
                await storage.close()
                throw error
            }
        }

        /// Opens the platform, runs `body` with it, and closes it whatever happens.
        func with<T>(_ body: (Platform) async throws -> T) async throws -> T {
            let platform = try await open()
            do {
                let value = try await body(platform)
                await platform.close()
                return value
            } catch {
                await platform.close()
                throw error
            }
        }
    }

    /// Runs a body, printing Satchel errors as messages and exiting with their status.
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as any UserFacingError {
            FileHandle.standardError.write(Data((error.message.en + "\n").utf8))
            throw ExitCode(error.exitStatus.rawValue)
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "运行平台服务 · Run the platform")
        @OptionGroup var options: Options
        @Option(name: .long, help: "端口 · Port (0 picks a free one)") var port: Int = 9090
        @Option(name: .long, help: "地址 · Address") var host: String = "127.0.0.1"
        @Option(name: .long, help: "连接空闲多少秒后关闭 · Seconds before a connection that sends nothing is closed")
        var idleTimeout: Int = 60
        @Option(name: .long, help: "最多同时连接数 · Most connections at once") var maxConnections: Int = 512
        @Option(
            name: .long,
            help: "每位教师每年应完成的培训学时（监测页面据此比较）· Training hours a teacher should complete a year")
        var trainingTargetHours: Double = 50

        func validate() throws {
            guard (1...3600).contains(idleTimeout) else {
                throw ValidationError("--idle-timeout \(idleTimeout) is out of range: give 1 to 3600 seconds.")
            }
            guard (1...100_000).contains(maxConnections) else {
                throw ValidationError("--max-connections \(maxConnections) is out of range: give 1 to 100000.")
            }
            guard trainingTargetHours > 0, trainingTargetHours <= 1000 else {
                throw ValidationError(
                    "--training-target-hours \(trainingTargetHours) is out of range: give more than 0 and at most 1000."
                )
            }
        }

        func run() async throws {
            try await PlatformCommand.run {
                var opened = try await options.open()
                opened.trainingTargetHours = trainingTargetHours
                let platform = opened
                LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
                var logger = Logger(label: "satchel-platform")
                logger.logLevel = .info
                let limits = PlatformApp.ConnectionLimits(
                    idleTimeout: .seconds(idleTimeout), maxConnections: maxConnections)
                let app = PlatformApp.build(
                    platform: platform, host: host, port: port, limits: limits, logger: logger
                ) { channel in
                    let line =
                        "satchel-platform listening on http://\(host):\(channel.localAddress?.port ?? port)/\n"
                        + "平台密钥指纹 · platform key fingerprint: \(platform.fingerprint)\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                }
                do {
                    try await app.runService()
                } catch {
                    await platform.close()
                    throw error
                }
                await platform.close()
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "生成一次性注册令牌 · Make a one-time enrolment token", subcommands: [Create.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "生成令牌 · Create a token",
                discussion: """
                    With --schools-file, one token for each school code in the file (one a line, at most 100,000), \
                    printed as "CODE<TAB>TOKEN" lines in the file's order; the region and stages apply to them all.
                    """)
            @OptionGroup var options: Options
            @Option(name: .long, help: "学校代码 · School code") var school: String?
            @Option(
                name: .long,
                help: "学校代码清单文件，每行一个，为每所学校生成一个令牌 · A file of school codes, one a line: a token for each")
            var schoolsFile: String?
            @Option(
                name: .long,
                help: "学校所在地区：省、省/县或省/市/县，如 浙江省/淳安县 · Region: province[/city]/county")
            var region: String = ""
            @Option(
                name: .long,
                help: "学校的学段，逗号分隔，如 小学,初中（按学段发布的资源包据此送达）· The school's stages, comma-separated")
            var stages: String = ""

            func validate() throws {
                guard (school == nil) != (schoolsFile == nil) else {
                    throw ValidationError("Give either --school CODE or --schools-file FILE.")
                }
            }

            func run() async throws {
                try await PlatformCommand.run {
                    let codes = try school.map { [$0] } ?? Self.schoolCodes(in: schoolsFile ?? "")
                    try await options.with { platform in
                        for code in codes {
                            let token = try await platform.createToken(
                                schoolCode: code, region: region, stages: PublishTargets.list(stages))
                            print(school == nil ? "\(code)\t\(token)" : token)
                        }
                    }
                }
            }

            /// The school codes of a file, one a line, blank lines skipped; refuses a file over 4 MiB or
            /// 100,000 codes, and a code with spaces or over 64 characters, before any token is made.
            static func schoolCodes(in path: String) throws -> [String] {
                let attributes = try? FileManager.default.attributesOfItem(atPath: path)
                guard let size = attributes?[.size] as? Int, size <= 4 << 20,
                    let text = try? String(contentsOfFile: path, encoding: .utf8)
                else {
                    throw PlatformError(
                        code: .badRequest,
                        message: LocalizedText(
                            zh: "无法读取学校代码清单 \(path)（最大 4 MiB，UTF-8）。",
                            en: "Cannot read the school code list \(path) (at most 4 MiB, UTF-8)."))
                }
                let codes = text.split(whereSeparator: \.isNewline).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }.filter { !$0.isEmpty }
                for (index, code) in codes.enumerated()
                where code.count > 64 || code.contains(where: { $0.isWhitespace }) {
                    throw PlatformError(
                        code: .badRequest,
                        message: LocalizedText(
                            zh: "学校代码清单 \(path) 第 \(index + 1) 个代码“\(code)”不对：不能含空格，最多 64 个字符。",
                            en: "Code \(index + 1) of \(path), “\(code)”, is wrong: no spaces, at most 64 characters."))
                }
                guard (1...100_000).contains(codes.count) else {
                    throw PlatformError(
                        code: .badRequest,
                        message: LocalizedText(
                            zh: "学校代码清单 \(path) 应有 1 到 100000 个代码，现有 \(codes.count) 个。",
                            en: "The list \(path) must hold 1 to 100,000 codes; it holds \(codes.count)."))
                }
                return codes
            }
        }
    }

    struct Operator: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "管理平台操作员 · Manage the platform's operators",
            subcommands: [Add.self, List.self, Remove.self, Token.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "添加操作员（密码从标准输入或文件读取）· Add an operator (password from stdin or a file)")
            @OptionGroup var options: Options
            @Argument(help: "用户名 · User name") var username: String
            @Option(name: .long, help: "姓名 · Name") var name: String
            @Option(name: .long, help: "级别：national、province 或 county · Role") var role: String
            @Option(name: .long, help: "地区：省级填省名，县级填 省/县 · Region") var region: String = ""
            @Option(name: .long, help: "从文件读取密码 · Read the password from this file") var passwordFile: String?

            func run() async throws {
                try await PlatformCommand.run {
                    guard let level = SatchelPlatform.Operator.Role(rawValue: role) else {
                        throw PlatformError(
                            code: .badRequest,
                            message: LocalizedText(
                                zh: "级别应为 national、province 或 county。",
                                en: "The role must be national, province or county."))
                    }
                    let person = try SatchelPlatform.Operator(
                        username: username, name: name, role: level, region: region)
                    let password =
                        try passwordFile.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? readLine() ?? ""
                    try await options.with {
                        try await OperatorAccess(storage: $0.storage).add(
                            person, password: password.trimmingCharacters(in: .newlines))
                    }
                    print("已添加操作员 \(username) · Added operator \(username)")
                }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "列出操作员 · List operators")
            @OptionGroup var options: Options

            func run() async throws {
                try await PlatformCommand.run {
                    for person in try await options.with({ try await $0.storage.operators() }) {
                        print("\(person.username)\t\(person.name)\t\(person.role.rawValue)\t\(person.region)")
                    }
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "删除操作员及其登录和令牌 · Remove an operator with their logins and tokens")
            @OptionGroup var options: Options
            @Argument(help: "用户名 · User name") var username: String

            func run() async throws {
                try await PlatformCommand.run {
                    guard try await options.with({ try await $0.storage.removeOperator(username: username) }) else {
                        throw PlatformError(
                            code: .notFound,
                            message: LocalizedText(zh: "没有操作员 \(username)。", en: "There is no operator \(username)."))
                    }
                    print("已删除操作员 \(username) · Removed operator \(username)")
                }
            }
        }

        struct Token: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "为操作员生成 API 令牌（只显示一次）· Make an API token for an operator (shown once)")
            @OptionGroup var options: Options
            @Argument(help: "用户名 · User name") var username: String

            func run() async throws {
                try await PlatformCommand.run {
                    print(
                        try await options.with {
                            try await OperatorAccess(storage: $0.storage).createAPIToken(username: username)
                        })
                }
            }
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "发布资源包 · Publish a signed bundle")
        @OptionGroup var options: Options
        @Option(name: .long, help: "信任此发布者公钥 · Trust this publisher key first") var trust: String?
        @Option(
            name: .long,
            help:
                "信任此发布密钥（用于 Satchel 软件更新，注册时告知节点）· Trust this release key first (for Satchel releases; told to nodes at enrolment)"
        )
        var trustRelease: String?
        @Option(
            name: .long,
            help: "只发布给这些地区，逗号分隔，如 甘肃省,云南省/怒江州（省、省/县或省/市/县）· Only for these regions")
        var regions: String = ""
        @Option(name: .long, help: "只发布给有这些学段的学校，逗号分隔，如 小学,初中 · Only for schools with these stages")
        var stages: String = ""
        @Argument(help: "资源包文件 · Bundle file") var bundle: String

        func run() async throws {
            try await PlatformCommand.run {
                let targets = try PublishTargets(
                    regions: PublishTargets.list(regions), stages: PublishTargets.list(stages))
                let manifest = try await options.with { platform in
                    if let trust {
                        let key = try PublisherKey(contentsOf: trust)
                        try platform.store.database.trust(
                            .init(keyId: key.id, publicKey: key.base64, label: trust, addedAt: Date()))
                    }
                    if let trustRelease {
                        let key = try PublisherKey(contentsOf: trustRelease)
                        try platform.store.database.trust(
                            .init(
                                keyId: key.id, publicKey: key.base64, label: trustRelease, addedAt: Date(),
                                purpose: .release))
                    }
                    return try await platform.publish(archive: bundle, targets: targets)
                }
                var line = "published \(manifest.id) v\(manifest.version)"
                if !targets.regions.isEmpty { line += "; regions: " + targets.regions.joined(separator: ", ") }
                if !targets.stages.isEmpty { line += "; stages: " + targets.stages.joined(separator: ", ") }
                print(line)
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "导入节点的 U 盘数据 · Import nodes' USB exports")
        @OptionGroup var options: Options
        @Argument(help: "目录 · Folder") var folder: String

        func run() async throws {
            try await PlatformCommand.run {
                let added = try await options.with { try await $0.importEvents(from: folder) }
                print("imported \(added) new events")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "为节点导出资源包到 U 盘 · Export the bundles a node lacks to a folder")
        @OptionGroup var options: Options
        @Option(name: .long, help: "节点编号 · Node id") var node: String
        @Option(name: .long, help: "目标目录 · Target folder") var to: String
        @Option(name: .long, help: "节点已有的目录位置 · The node's catalog cursor") var since: Int64 = 0

        func run() async throws {
            try await PlatformCommand.run {
                let files = try await options.with { try await $0.exportBundles(to: to, node: node, since: since) }
                print("wrote \(files.count) bundle files for \(node) to \(to)")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "核验教师培训证书的验证码 · Check the verification code of a teacher's training certificate",
            discussion: """
                Prints the certificate's contents and exits 0 when the code is signed by the node it names, enrolled \
                for the school it names; otherwise says why and exits 65. The code may be given in its groups, \
                quoted or not.
                """)
        @OptionGroup var options: Options
        @Argument(help: "验证码（可分成几段）· The code, whole or in its groups") var code: [String]

        func validate() throws {
            let text = code.joined(separator: " ")
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("Give the verification code printed on the certificate.")
            }
            guard text.count <= CertificateCode.maxTextLength else {
                throw ValidationError(
                    "The code is \(text.count) characters long; a code has at most \(CertificateCode.maxTextLength).")
            }
            guard options.database != nil || FileManager.default.fileExists(atPath: options.data + "/platform.sqlite")
            else {
                throw ValidationError("There is no platform in \(options.data): give its data directory with --data.")
            }
        }

        func run() async throws {
            try await PlatformCommand.run {
                let statement = try await options.with {
                    try await $0.verifyCertificate(code: code.joined(separator: " "))
                }
                print("有效 · valid")
                for line in statement.lines { print("\(line.label.zh) · \(line.label.en): \(line.value)") }
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "节点事件的发生时间（已校正）· A node's events with their corrected occurrence times")
        @OptionGroup var options: Options
        @Option(name: .long, help: "节点编号 · Node id") var node: String

        func run() async throws {
            try await PlatformCommand.run {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                for occurrence in try await options.with({ try await $0.storage.occurrences(node: node) }) {
                    print(String(decoding: try encoder.encode(occurrence), as: UTF8.self))
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "平台状态 · Platform status")
        @OptionGroup var options: Options
        @Flag(name: .long, help: "JSON 输出 · JSON output") var json = false

        func run() async throws {
            try await PlatformCommand.run {
                let status = try await options.with { try await $0.storage.status(within: "") }
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    print(String(decoding: try encoder.encode(status), as: UTF8.self))
                } else {
                    print("events received: \(status.eventsReceived), bundle versions: \(status.bundles)")
                    for node in status.nodes {
                        print("  \(node.id) \(node.schoolCode) \(node.region) cursor \(node.acknowledged)")
                    }
                }
            }
        }
    }
}
