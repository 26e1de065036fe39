import Foundation

/// One record in the node's append-only event log: a resource view, a search, training progress, a teacher account
/// change. Events get a per-node sequence number when they are stored and a globally unique id when they are made, so
/// the platform can count each exactly once.
public struct NodeEvent: Sendable, Hashable, Codable {
    /// Unique across every node and every time: the platform's deduplication key.
    public var id: UUID
    /// When it happened, by the node's wall clock (which may be years off on a board without a real-time clock).
    public var occurredAt: Date
    /// The boot and monotonic seconds it happened at, from which its true time is worked out once the boot learns
    /// one (see ``ClockAnchor``); nil for an event made with a given time, or where there is no boot id.
    public var boot: BootInstant?
    /// What happened.
    public var body: Body

    /// Creates an event happening now, stamped with the wall clock and the boot instant, or at a given
    /// `occurredAt` (with the `boot` instant that goes with it, if any). A new id is time-ordered (UUID version 7),
    /// so the unique index on ids grows at its end like the log itself instead of touching a random page per event.
    public init(id: UUID? = nil, occurredAt: Date? = nil, boot: BootInstant? = nil, _ body: Body) {
        let time = occurredAt ?? Date()
        self.id = id ?? .timeOrdered(at: time)
        self.occurredAt = time
        self.boot = occurredAt == nil ? (boot ?? BootInstant.now()) : boot
        self.body = body
    }

    /// What happened, with its details.
    public enum Body: Sendable, Hashable, Codable {
        /// A resource was opened (its entry file served from the start).
        case view(ResourceUse)
        /// A resource was downloaded with the download link.
        case download(ResourceUse)
        /// Time spent on a resource page, reported by the page's beacon while it was visible.
        case timeSpent(TimeSpent)
        /// A search, with how many results it found; zero-result queries are the platform's demand signal.
        case search(Search)
        /// A teacher enrolled in a training course.
        case enrol(Training)
        /// A teacher completed a training module, with the quiz score where the module has one.
        case moduleCompleted(Completion)
        /// A teacher account was created, approved or removed.
        case teacher(TeacherChange)
        /// Usage events folded into daily totals because the unsynced backlog passed its cap.
        case usageRollup(Rollup)
        /// Searches folded into daily totals per query because the unsynced backlog passed its cap.
        case searchRollup(SearchRollup)
    }

    /// The event's type name, stored in its own column.
    public var type: String {
        switch body {
        case .view: "view"
        case .download: "download"
        case .timeSpent: "timeSpent"
        case .search: "search"
        case .enrol: "enrol"
        case .moduleCompleted: "moduleCompleted"
        case .teacher: "teacher"
        case .usageRollup: "usageRollup"
        case .searchRollup: "searchRollup"
        }
    }

    /// Whether this is a training record, which is never compacted or rolled up.
    public var isTraining: Bool {
        switch body {
        case .enrol, .moduleCompleted, .teacher: true
        case .timeSpent(let spent): spent.teacherId != nil
        default: false
        }
    }

    /// A resource served to a device.
    public struct ResourceUse: Sendable, Hashable, Codable {
        public var bundleId: String
        public var resourceId: String
        public var bytes: Int64
        /// phone, tablet or desktop, from the User-Agent; never the User-Agent itself.
        public var deviceClass: String
        /// The logged-in teacher's id, or nil for anonymous use.
        public var teacherId: UUID?

        public init(bundleId: String, resourceId: String, bytes: Int64, deviceClass: String, teacherId: UUID? = nil) {
            self.bundleId = bundleId
            self.resourceId = resourceId
            self.bytes = bytes
            self.deviceClass = deviceClass
            self.teacherId = teacherId
        }
    }

    /// Seconds spent on a resource.
    public struct TimeSpent: Sendable, Hashable, Codable {
        public var bundleId: String
        public var resourceId: String
        /// Already capped by the recorder (an open tab does not count forever).
        public var seconds: Int
        public var teacherId: UUID?

        public init(bundleId: String, resourceId: String, seconds: Int, teacherId: UUID? = nil) {
            self.bundleId = bundleId
            self.resourceId = resourceId
            self.seconds = seconds
            self.teacherId = teacherId
        }
    }

    /// A search and its result count.
    public struct Search: Sendable, Hashable, Codable {
        public var query: String
        public var results: Int

        public init(query: String, results: Int) {
            self.query = query
            self.results = results
        }
    }

    /// A teacher and a training course.
    public struct Training: Sendable, Hashable, Codable {
        public var teacherId: UUID
        public var bundleId: String

        public init(teacherId: UUID, bundleId: String) {
            self.teacherId = teacherId
            self.bundleId = bundleId
        }
    }

    /// A completed training module.
    public struct Completion: Sendable, Hashable, Codable {
        public var teacherId: UUID
        public var bundleId: String
        public var resourceId: String
        /// The credit hours the module earns.
        public var creditHours: Double
        /// The quiz score from 0 to 100, where the module has a quiz.
        public var score: Double?

        public init(teacherId: UUID, bundleId: String, resourceId: String, creditHours: Double, score: Double? = nil) {
            self.teacherId = teacherId
            self.bundleId = bundleId
            self.resourceId = resourceId
            self.creditHours = creditHours
            self.score = score
        }
    }

    /// A change to a teacher account. Only what the platform needs: no PIN, no password.
    public struct TeacherChange: Sendable, Hashable, Codable {
        public enum Action: String, Sendable, Hashable, Codable { case registered, approved, removed }
        public var action: Action
        public var teacherId: UUID
        /// The platform-issued teacher number, where there is one.
        public var teacherNumber: String?
        /// The name, sent only with `registered`.
        public var name: String?

        public init(action: Action, teacherId: UUID, teacherNumber: String? = nil, name: String? = nil) {
            self.action = action
            self.teacherId = teacherId
            self.teacherNumber = teacherNumber
            self.name = name
        }
    }

    /// Daily totals of rolled-up searches for one query (lower-cased, at most 200 characters).
    public struct SearchRollup: Sendable, Hashable, Codable {
        public var day: String
        public var query: String
        public var searches: Int
        /// The result count of the day's last search for the query.
        public var results: Int

        public init(day: String, query: String, searches: Int, results: Int) {
            self.day = day
            self.query = query
            self.searches = searches
            self.results = results
        }
    }

    /// Daily totals of rolled-up usage events for one resource.
    public struct Rollup: Sendable, Hashable, Codable {
        public var day: String
        public var bundleId: String
        public var resourceId: String
        public var views: Int
        public var downloads: Int
        public var seconds: Int
        public var bytes: Int64
        /// How many raw events these totals replace.
        public var events: Int

        public init(
            day: String, bundleId: String, resourceId: String, views: Int, downloads: Int, seconds: Int,
            bytes: Int64, events: Int
        ) {
            self.day = day
            self.bundleId = bundleId
            self.resourceId = resourceId
            self.views = views
            self.downloads = downloads
            self.seconds = seconds
            self.bytes = bytes
            self.events = events
        }
    }
}

extension NodeEvent.Body {
    /// The details as compact JSON, without the case name (that is stored as the event's type).
    public func payload() throws -> Data {
        // The events that arrive by the thousand are written by hand: the same canonical JSON (sorted keys) as
        // JSONEncoder gives, for a fraction of its cost.
        switch self {
        case .view(let use), .download(let use):
            var text =
                "{\"bundleId\":" + Self.quoted(use.bundleId) + ",\"bytes\":\(use.bytes),\"deviceClass\":"
                + Self.quoted(use.deviceClass) + ",\"resourceId\":" + Self.quoted(use.resourceId)
            if let teacher = use.teacherId { text += ",\"teacherId\":\"\(teacher.uuidString)\"" }
            return Data((text + "}").utf8)
        case .timeSpent(let spent):
            var text =
                "{\"bundleId\":" + Self.quoted(spent.bundleId) + ",\"resourceId\":" + Self.quoted(spent.resourceId)
                + ",\"seconds\":\(spent.seconds)"
            if let teacher = spent.teacherId { text += ",\"teacherId\":\"\(teacher.uuidString)\"" }
            return Data((text + "}").utf8)
        default:
            break
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch self {
        case .view(let use), .download(let use): return try encoder.encode(use)
        case .timeSpent(let spent): return try encoder.encode(spent)
        case .search(let search): return try encoder.encode(search)
        case .enrol(let training): return try encoder.encode(training)
        case .moduleCompleted(let completion): return try encoder.encode(completion)
        case .teacher(let change): return try encoder.encode(change)
        case .usageRollup(let rollup): return try encoder.encode(rollup)
        case .searchRollup(let rollup): return try encoder.encode(rollup)
        }
    }

    /// A JSON string literal for `text`, escaped as RFC 8259 requires.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    result += String(format: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Rebuilds a body from its stored type and payload.
    public init(type: String, payload: Data) throws {
        let decoder = JSONDecoder()
        switch type {
        case "view": self = .view(try decoder.decode(NodeEvent.ResourceUse.self, from: payload))
        case "download": self = .download(try decoder.decode(NodeEvent.ResourceUse.self, from: payload))
        case "timeSpent": self = .timeSpent(try decoder.decode(NodeEvent.TimeSpent.self, from: payload))
        case "search": self = .search(try decoder.decode(NodeEvent.Search.self, from: payload))
        case "enrol": self = .enrol(try decoder.decode(NodeEvent.Training.self, from: payload))
        case "moduleCompleted": self = .moduleCompleted(try decoder.decode(NodeEvent.Completion.self, from: payload))
        case "teacher": self = .teacher(try decoder.decode(NodeEvent.TeacherChange.self, from: payload))
        case "usageRollup": self = .usageRollup(try decoder.decode(NodeEvent.Rollup.self, from: payload))
        case "searchRollup": self = .searchRollup(try decoder.decode(NodeEvent.SearchRollup.self, from: payload))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown event type \(type)"))
        }
    }
}

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        let milliseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down)))
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        func byte(_ value: UInt64, _ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: value >> (index * 8)) }
        return UUID(
            uuid: (
                byte(milliseconds, 5), byte(milliseconds, 4), byte(milliseconds, 3), byte(milliseconds, 2),
                byte(milliseconds, 1), byte(milliseconds, 0),
                0x70 | (byte(random.0, 0) & 0x0F), byte(random.0, 1),
                0x80 | (byte(random.0, 2) & 0x3F), byte(random.0, 3), byte(random.0, 4), byte(random.0, 5),
                byte(random.1, 0), byte(random.1, 1), byte(random.1, 2), byte(random.1, 3)
            ))
    }
}
