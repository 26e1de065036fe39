import ArgumentParser
import Foundation
import SatchelCore
import SatchelNode
import SatchelServer
import SatchelStore

/// `satchel teachers`: manages teacher accounts from the command line.
struct TeachersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teachers",
        abstract: "管理教师账号 · Manage teacher accounts",
        subcommands: [List.self, Add.self, Approve.self, ResetPassword.self, Remove.self, Export.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "列出教师 · List teacher accounts")
        @OptionGroup var options: NodeOptions

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                let teachers = try node.database.teachers()
                if teachers.isEmpty {
                    Console.say(LocalizedText(zh: "还没有教师账号。", en: "There are no teacher accounts yet."))
                }
                for teacher in teachers {
                    Console.out(
                        [
                            teacher.username, teacher.name, teacher.teacherNumber ?? "-", teacher.role.rawValue,
                            teacher.status.rawValue, teacher.id.uuidString,
                        ].joined(separator: "\t"))
                }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "添加已批准的教师或管理员 · Add an approved teacher or admin")
        @OptionGroup var options: NodeOptions
        @Argument(help: "用户名 · User name (3-32 letters, digits, . _ -)") var username: String
        @Option(name: .long, help: "姓名 · Name") var name: String
        @Option(name: .long, help: "教师编号 · Teacher number") var number: String?
        @Option(name: .long, help: "任教学科 · Subjects") var subjects: String = ""
        @Flag(name: .long, help: "管理员 · Make an admin") var admin = false
        @Option(name: .long, help: "从文件读取密码 · Read the password from this file (else from stdin)")
        var passwordFile: String?

        func validate() throws {
            guard RecordsValidation.isValidUsername(username.lowercased()) else {
                throw ValidationError("The user name \(username) is invalid: use 3 to 32 letters, digits, . _ or -.")
            }
        }

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                let password = try TeachersCommand.readPassword(file: passwordFile)
                try node.database.addTeacher(
                    TeacherRecord(
                        username: username.lowercased(), name: name, teacherNumber: number, subjects: subjects,
                        role: admin ? .admin : .teacher, status: .active,
                        passwordHash: try PasswordHasher.hash(password),
                        approvedAt: Date()))
                Console.say(
                    LocalizedText(
                        zh: "已添加\(admin ? "管理员" : "教师") \(username)。",
                        en: "Added \(admin ? "admin" : "teacher") \(username)."))
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "批准注册 · Approve a registration")
        @OptionGroup var options: NodeOptions
        @Argument(help: "用户名或编号 · User name or id") var teacher: String

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                guard let record = try node.database.teacher(teacher) else { throw TeachersCommand.unknown(teacher) }
                guard try node.database.approveTeacher(id: record.id) else {
                    Console.say(
                        LocalizedText(
                            zh: "\(record.username) 已经是批准状态。", en: "\(record.username) was already approved."))
                    return
                }
                Console.say(LocalizedText(zh: "已批准 \(record.username)。", en: "Approved \(record.username)."))
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "为教师或管理员设置新密码 · Set a new password for a teacher or admin")
        @OptionGroup var options: NodeOptions
        @Argument(help: "用户名或编号 · User name or id") var teacher: String
        @Option(name: .long, help: "从文件读取新密码 · Read the new password from this file (else from stdin)")
        var passwordFile: String?

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                guard let record = try node.database.teacher(teacher) else { throw TeachersCommand.unknown(teacher) }
                let password = try TeachersCommand.readPassword(file: passwordFile)
                try node.database.setPassword(teacherId: record.id, passwordHash: try PasswordHasher.hash(password))
                Console.say(
                    LocalizedText(
                        zh: "已为 \(record.username) 设置新密码，其已登录的会话均已退出。",
                        en: "Set a new password for \(record.username); their sessions were ended."))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "删除教师及其个人数据 · Remove a teacher and their personal data")
        @OptionGroup var options: NodeOptions
        @Argument(help: "用户名或编号 · User name or id") var teacher: String

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                guard let record = try node.database.teacher(teacher) else { throw TeachersCommand.unknown(teacher) }
                try node.database.removeTeacher(id: record.id)
                Console.say(
                    LocalizedText(
                        zh: "已删除 \(record.username) 及其个人数据。", en: "Removed \(record.username) and their personal data.")
                )
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "导出一位教师的数据（JSON）· Export one teacher's data as JSON")
        @OptionGroup var options: NodeOptions
        @Argument(help: "用户名或编号 · User name or id") var teacher: String

        func run() async throws {
            try await Console.run {
                let (_, node, _) = try options.openNode()
                guard let record = try node.database.teacher(teacher) else { throw TeachersCommand.unknown(teacher) }
                Console.out(try TeacherExport(database: node.database).json(for: record))
            }
        }
    }

    /// A new password from `file`, else the first line of standard input; 6 to 128 characters.
    static func readPassword(file: String?) throws -> String {
        let password: String
        if let file {
            password = (try String(contentsOfFile: file, encoding: .utf8)).trimmingCharacters(in: .newlines)
        } else {
            password = readLine(strippingNewline: true) ?? ""
        }
        guard (6...128).contains(password.count) else {
            throw ValidationError("The password must have 6 to 128 characters.")
        }
        return password
    }

    static func unknown(_ teacher: String) -> StoreError {
        StoreError(
            code: .notFound,
            message: LocalizedText(
                zh: "没有名为 \(teacher) 的教师账号。用 satchel teachers list 查看。",
                en: "There is no teacher account \(teacher). See satchel teachers list."))
    }
}

/// `satchel report`: the school's report as CSV.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "生成学校使用和培训报告 · School usage and training report (CSV)")
    @OptionGroup var options: NodeOptions
    @Option(name: .long, help: "输出文件（默认标准输出）· Output file (default: standard output)") var output: String?
    @Option(name: .long, help: "表头语言 zh 或 en（默认同 SATCHEL_LANG）· Header language: zh or en (default: SATCHEL_LANG)")
    var lang: String?
    @Flag(name: .long, help: "不写 UTF-8 BOM（供脚本使用）· Leave out the UTF-8 byte order mark (for scripts)")
    var noBom = false

    func validate() throws {
        if let lang, Language(tag: lang) == nil {
            throw ValidationError("--lang \(lang) is not a language; give zh or en. --lang 只能是 zh 或 en。")
        }
    }

    func run() async throws {
        try await Console.run {
            let (_, node, _) = try options.openNode()
            let language = lang.flatMap(Language.init(tag:)) ?? Console.language
            let csv = try SchoolReport(database: node.database).csv(language: language, byteOrderMark: !noBom)
            if let output {
                try csv.write(toFile: output, atomically: true, encoding: .utf8)
                Console.say(LocalizedText(zh: "报告已写入 \(output)。", en: "Wrote the report to \(output)."))
            } else {
                FileHandle.standardOutput.write(Data(csv.utf8))
            }
        }
    }
}
