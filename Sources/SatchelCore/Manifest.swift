import Foundation

/// The `manifest.json` at the root of a bundle: what the bundle is, which resources it offers and every file it holds.
///
/// The publisher signs the exact bytes of this document; see `docs/bundle-format.md`.
public struct Manifest: Sendable, Hashable, Codable {
    /// The bundle format version this binary reads and writes.
    public static let currentFormat = 1

    /// The bundle format version; only ``currentFormat`` is accepted.
    public var format: Int
    /// The bundle's id, the same across versions, e.g. `math-g3-pep`.
    public var id: String
    /// The bundle's version; a larger number is newer.
    public var version: Int
    /// The bundle's title.
    public var title: LocalizedText
    /// Whether this is curriculum content or a teacher-training course.
    public var kind: BundleKind
    /// The id of the publisher key that signed the manifest (see ``PublisherKeyID``).
    public var publisherKey: String
    /// When the publisher made this version, as an ISO 8601 UTC timestamp.
    public var created: String
    /// The resources a teacher can open.
    public var resources: [Resource]
    /// Every file in the bundle other than the manifest and its signature.
    public var files: [File]
    /// For a ``BundleKind/software`` bundle, and only for one: the Satchel release it carries.
    public var release: Release?

    /// Creates a manifest.
    public init(
        format: Int = Manifest.currentFormat, id: String, version: Int, title: LocalizedText, kind: BundleKind,
        publisherKey: String, created: String, resources: [Resource], files: [File], release: Release? = nil
    ) {
        self.format = format
        self.id = id
        self.version = version
        self.title = title
        self.kind = kind
        self.publisherKey = publisherKey
        self.created = created
        self.resources = resources
        self.files = files
        self.release = release
    }

    /// A bundle's purpose.
    public enum BundleKind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Lessons, videos, documents and labs for classes.
        case curriculum
        /// A teacher-training course made of modules with credit hours.
        case training
        /// A Satchel release: the Debian package a node installs to upgrade itself. Only a release key may sign one
        /// (`docs/provisioning.md`, "Releases").
        case software
    }

    /// What a `software` bundle carries: one Debian package of Satchel and its notes.
    public struct Release: Sendable, Hashable, Codable {
        /// The package's path among ``Manifest/files``; its SHA-256 there is what the installer checks.
        public var package: String
        /// The Debian package's name: always `satchel`.
        public var packageName: String
        /// The Debian package's version, e.g. `0.2.0-1`, compared by dpkg's rules; never installed when it is not
        /// newer than the installed one.
        public var packageVersion: String
        /// What changed, for the technician and the admin page.
        public var notes: LocalizedText?

        /// Creates a release description.
        public init(package: String, packageName: String = "satchel", packageVersion: String, notes: LocalizedText?) {
            self.package = package
            self.packageName = packageName
            self.packageVersion = packageVersion
            self.notes = notes
        }

        /// Whether `text` has the form of a Debian version: a digit first, then letters, digits and `. + ~ : -`.
        public static func isPackageVersion(_ text: String) -> Bool {
            guard let first = text.unicodeScalars.first, ("0"..."9").contains(first), text.utf8.count <= 64 else {
                return false
            }
            return text.unicodeScalars.allSatisfy {
                ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0)
                    || ".+~:-".unicodeScalars.contains($0)
            }
        }
    }

    /// One resource a teacher can open: a lesson, a video, a document, a course module.
    public struct Resource: Sendable, Hashable, Codable {
        /// The resource's id, the same across versions so that usage and training records stay attached.
        public var id: String
        /// The resource's title.
        public var title: LocalizedText
        /// What the resource is: video, document, html, exercise, audio, image or course-module.
        public var type: String
        /// 学段, e.g. 小学.
        public var stage: String?
        /// 年级, e.g. 三年级.
        public var grade: String?
        /// 学科, e.g. 数学.
        public var subject: String?
        /// 教材版本, e.g. 人教版.
        public var edition: String?
        /// 册, e.g. 上册.
        public var term: String?
        /// 单元, e.g. 第一单元 位置与方向: the level under the term that browsing reaches when a bundle names it.
        public var unit: String?
        /// The content's language tag, e.g. zh-CN.
        public var language: String?
        /// The file a viewer opens first: a path that is listed in ``Manifest/files``.
        public var entry: String
        /// A short description, searched along with the title.
        public var description: LocalizedText?
        /// Search keywords.
        public var tags: [String]?
        /// For training modules: the credit hours a completed module earns.
        public var creditHours: Double?
        /// For training modules: the minutes a teacher must spend in the module before it can be completed. When
        /// absent, ``minimumSeconds`` derives it from ``creditHours``.
        public var minimumMinutes: Double?
        /// For training modules: questions the node asks and scores before the module counts as completed.
        public var quiz: Quiz?

        /// Creates a resource.
        public init(
            id: String, title: LocalizedText, type: String, stage: String? = nil, grade: String? = nil,
            subject: String? = nil, edition: String? = nil, term: String? = nil, unit: String? = nil,
            language: String? = nil, entry: String, description: LocalizedText? = nil, tags: [String]? = nil,
            creditHours: Double? = nil, minimumMinutes: Double? = nil, quiz: Quiz? = nil
        ) {
            self.id = id
            self.title = title
            self.type = type
            self.stage = stage
            self.grade = grade
            self.subject = subject
            self.edition = edition
            self.term = term
            self.unit = unit
            self.language = language
            self.entry = entry
            self.description = description
            self.tags = tags
            self.creditHours = creditHours
            self.minimumMinutes = minimumMinutes
            self.quiz = quiz
        }

        /// The minutes one credit hour asks for when a module gives no ``minimumMinutes``: one 学时 is a 45-minute
        /// class period, as in China's teacher-training rules.
        public static let minutesPerCreditHour = 45.0

        /// The seconds a teacher must spend in this module before it can be completed: ``minimumMinutes`` where the
        /// publisher set it, else 45 minutes per credit hour.
        public var minimumSeconds: Int {
            Self.minimumSeconds(minimumMinutes: minimumMinutes, creditHours: creditHours)
        }

        /// The minimum time rule for a module's fields, as stored in the catalog.
        public static func minimumSeconds(minimumMinutes: Double?, creditHours: Double?) -> Int {
            Int(((minimumMinutes ?? (creditHours ?? 0) * minutesPerCreditHour) * 60).rounded(.up))
        }
    }

    /// A quiz on a training module: multiple-choice questions with one correct choice each. The answers live in the
    /// signed manifest the node holds; the node shows the questions without them and scores what the teacher chose.
    public struct Quiz: Sendable, Hashable, Codable {
        /// The percentage of right answers needed to pass, 1 to 100; 60 when absent.
        public var passingScore: Int?
        /// The questions, in the order they are asked.
        public var questions: [Question]

        /// Creates a quiz.
        public init(passingScore: Int? = nil, questions: [Question]) {
            self.passingScore = passingScore
            self.questions = questions
        }

        /// The pass mark used: ``passingScore`` or 60.
        public var passMark: Int { passingScore ?? 60 }

        /// One multiple-choice question.
        public struct Question: Sendable, Hashable, Codable {
            /// What is asked.
            public var prompt: LocalizedText
            /// The choices, in the order shown.
            public var choices: [LocalizedText]
            /// The index in ``choices`` of the correct one, from 0.
            public var answer: Int

            /// Creates a question.
            public init(prompt: LocalizedText, choices: [LocalizedText], answer: Int) {
                self.prompt = prompt
                self.choices = choices
                self.answer = answer
            }
        }

        /// The score from 0 to 100 for `chosen` (one choice index per question, nil where none was chosen),
        /// rounded to a whole number: the share of questions whose chosen index is the correct one.
        public func score(_ chosen: [Int?]) -> Int {
            guard !questions.isEmpty else { return 100 }
            let right = zip(questions, chosen).filter { $0.0.answer == $0.1 }.count
            return Int((Double(right) * 100 / Double(questions.count)).rounded())
        }
    }

    /// One file of the bundle.
    public struct File: Sendable, Hashable, Codable {
        /// The path inside the bundle, with `/` separators and no `.` or `..` components.
        public var path: String
        /// The size in bytes.
        public var size: Int64
        /// The SHA-256 of the content, as 64 lowercase hex digits.
        public var sha256: String
        /// The media type served for it, e.g. `text/html; charset=utf-8`.
        public var mediaType: String

        /// Creates a file entry.
        public init(path: String, size: Int64, sha256: String, mediaType: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
            self.mediaType = mediaType
        }
    }

    /// The total size of all files. A validated manifest's sizes always add up within `Int64`; an unvalidated one whose
    /// sizes overflow gives `Int64.max` instead of trapping.
    public var totalSize: Int64 {
        var total: Int64 = 0
        for file in files {
            let (sum, overflow) = total.addingReportingOverflow(file.size)
            if overflow { return .max }
            total = sum
        }
        return total
    }

    /// The manifest as canonical JSON bytes: sorted keys, no extra whitespace. These are the bytes a publisher signs.
    public func canonicalJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// The documented limits of bundle format v1. Anything beyond them is refused before it costs disk or memory.
public enum BundleLimits {
    /// The largest `manifest.json` accepted, in bytes.
    public static let maxManifestBytes = 16 * 1024 * 1024
    /// The largest `manifest.sig` accepted, in bytes.
    public static let maxSignatureBytes = 4096
    /// The most files one bundle may hold.
    public static let maxFiles = 100_000
    /// The most resources one bundle may declare.
    public static let maxResources = 100_000
    /// The longest path inside a bundle, in UTF-8 bytes.
    public static let maxPathBytes = 400
    /// The longest single path component, in UTF-8 bytes.
    public static let maxComponentBytes = 255
    /// The longest id (bundle or resource), in characters.
    public static let maxIDLength = 64
    /// The longest title, in characters.
    public static let maxTitleLength = 300
    /// The longest description, in characters.
    public static let maxDescriptionLength = 4000
    /// The longest short string field (stage, grade, subject, media type, tags), in characters.
    public static let maxFieldLength = 100
    /// The most tags one resource may carry.
    public static let maxTags = 50
    /// The most questions in one module's quiz.
    public static let maxQuizQuestions = 50
    /// The most choices one quiz question may offer.
    public static let maxQuizChoices = 8
    /// The longest quiz question or choice, in characters.
    public static let maxQuizTextLength = 1000
    /// The largest minimum time a module may ask for, in minutes (a ten-hour module).
    public static let maxMinimumMinutes = 600
}
