import Foundation

extension Manifest {
    /// Parses and validates manifest bytes from an untrusted bundle.
    ///
    /// - Throws: ``ManifestError`` naming the field that was wrong and what is expected.
    public static func decode(_ data: Data) throws -> Manifest {
        guard data.count <= BundleLimits.maxManifestBytes else {
            throw ManifestError(
                code: .invalidField,
                message: LocalizedText(
                    zh:
                        "manifest.json 太大（\(ByteCount.human(Int64(data.count)))），上限 \(ByteCount.human(Int64(BundleLimits.maxManifestBytes)))。",
                    en:
                        "manifest.json is too large (\(ByteCount.human(Int64(data.count)))); the limit is \(ByteCount.human(Int64(BundleLimits.maxManifestBytes)))."
                )
            )
        }
        if let format = try? JSONDecoder().decode(FormatProbe.self, from: data), format.format != currentFormat {
            throw ManifestError(
                code: .unsupportedFormat,
                message: LocalizedText(
                    zh: "manifest.json 的格式版本 \(format.format) 不受支持（本程序支持版本 \(currentFormat)）。请升级 Satchel。",
                    en:
                        "manifest.json has format version \(format.format), which this Satchel does not read (it reads version \(currentFormat)). Upgrade Satchel."
                )
            )
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw ManifestError(
                code: .malformed,
                message: LocalizedText(
                    zh: "manifest.json 格式错误：\(describe(error))。",
                    en: "manifest.json is malformed: \(describe(error))."
                ),
                cause: error
            )
        }
        try manifest.validate()
        return manifest
    }

    /// Checks every field against the format's rules and limits.
    public func validate() throws {
        guard format == Manifest.currentFormat else {
            throw ManifestError(
                code: .unsupportedFormat,
                message: LocalizedText(
                    zh: "manifest.json 的格式版本 \(format) 不受支持。",
                    en: "manifest.json has unsupported format version \(format)."
                )
            )
        }
        try Self.check(
            Identifier.isValid(id), "id", "a-z, 0-9, . _ - only, at most 64 characters", "只能含 a-z、0-9、. _ -，最多 64 个字符")
        try Self.check(version >= 1, "version", "an integer of 1 or more", "大于等于 1 的整数")
        try Self.checkText(title, "title", BundleLimits.maxTitleLength)
        try Self.check(!title.zh.isEmpty || !title.en.isEmpty, "title", "a non-empty title", "非空的标题")
        try Self.check(
            publisherKey.count == 16 && publisherKey.allSatisfy(Self.isLowercaseHexDigit), "publisherKey",
            "16 hex digits", "16 位十六进制数字"
        )
        try Self.check(
            created.hasSuffix("Z") && ISO8601DateFormatter().date(from: created) != nil, "created",
            "an ISO 8601 UTC time such as 2026-01-01T00:00:00Z", "ISO 8601 时间，例如 2026-01-01T00:00:00Z")
        try Self.check(
            files.count <= BundleLimits.maxFiles, "files", "at most \(BundleLimits.maxFiles) files",
            "最多 \(BundleLimits.maxFiles) 个文件")
        try Self.check(
            resources.count <= BundleLimits.maxResources, "resources", "at most \(BundleLimits.maxResources) resources",
            "最多 \(BundleLimits.maxResources) 个资源")

        var paths = Set<String>()
        var totalSize: Int64 = 0
        for (index, file) in files.enumerated() {
            let field = "files[\(index)]"
            if let problem = BundlePath.problem(with: file.path) {
                throw ManifestError(
                    code: .invalidField,
                    message: LocalizedText(
                        zh: "manifest.json 的 \(field).path \"\(file.path)\" 不安全：\(problem.text.zh)。",
                        en: "manifest.json \(field).path \"\(file.path)\" is unsafe: \(problem.text.en)."
                    )
                )
            }
            try Self.check(
                (try? BundlePath.normalize(file.path)) == file.path, "\(field).path",
                "a canonical path without ./ or a trailing /", "规范路径（不以 ./ 开头、不以 / 结尾）")
            try Self.check(
                !Self.reservedPaths.contains(file.path), "\(field).path", "not manifest.json or manifest.sig",
                "不能是 manifest.json 或 manifest.sig")
            try Self.check(file.size >= 0, "\(field).size", "a size of 0 or more", "大于等于 0 的大小")
            let (sum, overflow) = totalSize.addingReportingOverflow(file.size)
            try Self.check(
                !overflow, "\(field).size", "sizes that add up to at most \(Int64.max) bytes",
                "所有文件大小之和不超过 \(Int64.max) 字节")
            totalSize = sum
            try Self.check(
                file.sha256.count == 64 && file.sha256.allSatisfy(Self.isLowercaseHexDigit),
                "\(field).sha256", "64 lowercase hex digits", "64 位小写十六进制数字"
            )
            try Self.check(
                !file.mediaType.isEmpty && file.mediaType.count <= BundleLimits.maxFieldLength
                    && !file.mediaType.contains(where: { $0 == "\r" || $0 == "\n" }),
                "\(field).mediaType", "a media type such as text/html", "媒体类型，例如 text/html"
            )
            guard paths.insert(file.path).inserted else {
                throw ManifestError(
                    code: .inconsistent,
                    message: LocalizedText(
                        zh: "manifest.json 中文件 \"\(file.path)\" 出现了两次。",
                        en: "manifest.json lists the file \"\(file.path)\" twice."
                    )
                )
            }
        }
        var resourceIDs = Set<String>()
        for (index, resource) in resources.enumerated() {
            let field = "resources[\(index)]"
            try Self.check(
                Identifier.isValid(resource.id), "\(field).id", "a-z, 0-9, . _ - only, at most 64 characters",
                "只能含 a-z、0-9、. _ -，最多 64 个字符")
            try Self.checkText(resource.title, "\(field).title", BundleLimits.maxTitleLength)
            if let description = resource.description {
                try Self.checkText(description, "\(field).description", BundleLimits.maxDescriptionLength)
            }
            for (name, value) in [
                ("type", resource.type), ("stage", resource.stage), ("grade", resource.grade),
                ("subject", resource.subject), ("edition", resource.edition), ("term", resource.term),
                ("unit", resource.unit), ("language", resource.language),
            ] {
                try Self.check(
                    (value ?? "").count <= BundleLimits.maxFieldLength, "\(field).\(name)",
                    "at most \(BundleLimits.maxFieldLength) characters", "最多 \(BundleLimits.maxFieldLength) 个字符"
                )
            }
            let tags = resource.tags ?? []
            try Self.check(
                tags.count <= BundleLimits.maxTags && tags.allSatisfy { $0.count <= BundleLimits.maxFieldLength },
                "\(field).tags",
                "at most \(BundleLimits.maxTags) tags of at most \(BundleLimits.maxFieldLength) characters",
                "最多 \(BundleLimits.maxTags) 个标签，每个最多 \(BundleLimits.maxFieldLength) 个字符"
            )
            if let hours = resource.creditHours {
                try Self.check(
                    hours >= 0 && hours <= 1000, "\(field).creditHours", "a number from 0 to 1000", "0 到 1000 之间的数")
            }
            if let minutes = resource.minimumMinutes {
                try Self.check(
                    minutes >= 0 && minutes <= Double(BundleLimits.maxMinimumMinutes), "\(field).minimumMinutes",
                    "a number from 0 to \(BundleLimits.maxMinimumMinutes)", "0 到 \(BundleLimits.maxMinimumMinutes) 之间的数"
                )
            }
            if let quiz = resource.quiz { try Self.checkQuiz(quiz, "\(field).quiz") }
            guard paths.contains(resource.entry) else {
                throw ManifestError(
                    code: .inconsistent,
                    message: LocalizedText(
                        zh: "manifest.json 中资源 \"\(resource.id)\" 的入口文件 \"\(resource.entry)\" 不在文件列表中。",
                        en:
                            "manifest.json: the entry file \"\(resource.entry)\" of resource \"\(resource.id)\" is not in files."
                    )
                )
            }
            guard resourceIDs.insert(resource.id).inserted else {
                throw ManifestError(
                    code: .inconsistent,
                    message: LocalizedText(
                        zh: "manifest.json 中资源编号 \"\(resource.id)\" 出现了两次。",
                        en: "manifest.json lists the resource id \"\(resource.id)\" twice."
                    )
                )
            }
        }
        try validateRelease(paths: paths)
    }

    /// A `software` bundle carries exactly one Debian package of Satchel and offers no resources; no other kind
    /// carries a release.
    private func validateRelease(paths: Set<String>) throws {
        guard kind == .software else {
            try Self.check(release == nil, "release", "absent outside a software bundle", "仅软件更新包可含此字段")
            return
        }
        guard let release else {
            throw ManifestError(
                code: .inconsistent,
                message: LocalizedText(
                    zh: "manifest.json：软件更新包缺少 release 字段。", en: "manifest.json: a software bundle needs a release."))
        }
        try Self.check(resources.isEmpty, "resources", "empty in a software bundle", "软件更新包不含资源")
        try Self.check(
            paths.contains(release.package) && release.package.hasSuffix(".deb"), "release.package",
            "the path of a .deb listed in files", "文件列表中的 .deb 文件路径")
        try Self.check(release.packageName == "satchel", "release.packageName", "satchel", "satchel")
        try Self.check(
            Release.isPackageVersion(release.packageVersion), "release.packageVersion",
            "a Debian version such as 0.2.0-1", "Debian 版本号，例如 0.2.0-1")
        if let notes = release.notes { try Self.checkText(notes, "release.notes", BundleLimits.maxDescriptionLength) }
    }

    /// The names a bundle reserves at its root for the manifest and its signature.
    public static let reservedPaths: Set<String> = ["manifest.json", "manifest.sig"]

    private static func isLowercaseHexDigit(_ character: Character) -> Bool {
        ("0"..."9").contains(character) || ("a"..."f").contains(character)
    }

    private struct FormatProbe: Decodable { var format: Int }

    private static func check(_ condition: Bool, _ field: String, _ expected: String, _ expectedZh: String) throws {
        guard condition else {
            throw ManifestError(
                code: .invalidField,
                message: LocalizedText(
                    zh: "manifest.json 的字段 \(field) 无效：应为\(expectedZh)。",
                    en: "manifest.json field \(field) is invalid: expected \(expected)."
                )
            )
        }
    }

    private static func checkQuiz(_ quiz: Quiz, _ field: String) throws {
        try check(
            (1...100).contains(quiz.passMark), "\(field).passingScore", "a whole number from 1 to 100",
            "1 到 100 之间的整数")
        try check(
            (1...BundleLimits.maxQuizQuestions).contains(quiz.questions.count), "\(field).questions",
            "1 to \(BundleLimits.maxQuizQuestions) questions", "1 到 \(BundleLimits.maxQuizQuestions) 道题")
        for (index, question) in quiz.questions.enumerated() {
            let place = "\(field).questions[\(index)]"
            try checkText(question.prompt, "\(place).prompt", BundleLimits.maxQuizTextLength)
            try check(
                (2...BundleLimits.maxQuizChoices).contains(question.choices.count), "\(place).choices",
                "2 to \(BundleLimits.maxQuizChoices) choices", "2 到 \(BundleLimits.maxQuizChoices) 个选项")
            for choice in question.choices {
                try checkText(choice, "\(place).choices", BundleLimits.maxQuizTextLength)
            }
            try check(
                question.choices.indices.contains(question.answer), "\(place).answer",
                "the index of one of its choices, from 0", "某个选项的序号（从 0 开始）")
        }
    }

    private static func checkText(_ text: LocalizedText, _ field: String, _ limit: Int) throws {
        try check(
            text.zh.count <= limit && text.en.count <= limit, field,
            "at most \(limit) characters in each language", "每种语言最多 \(limit) 个字符"
        )
    }

    private static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "not valid JSON" }
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch decoding {
        case .typeMismatch(let type, let context):
            return "field \(path(context.codingPath)) should be \(type)"
        case .valueNotFound(_, let context):
            return "field \(path(context.codingPath)) is missing a value"
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "required field \(parent.isEmpty ? "" : parent + ".")\(key.stringValue) is missing"
        case .dataCorrupted(let context):
            let where_ = path(context.codingPath)
            return where_.isEmpty ? "not valid JSON" : "field \(where_) has an invalid value"
        @unknown default:
            return "not valid JSON"
        }
    }
}
