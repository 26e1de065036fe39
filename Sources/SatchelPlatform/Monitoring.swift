import Foundation
import SatchelCore
import SatchelSync

/// What an education bureau reads about its region, as the stores answer it from the aggregates that
/// ``MonitoringDelta`` keeps up to date at ingest: usage, searches that found nothing, training hours and the health
/// of the fleet of nodes.
public enum Monitoring {
    /// What usage is counted by.
    public enum UsageDimension: String, Sendable, CaseIterable {
        /// The school's region (a path; pages fold it to the level below the one looked at).
        case region
        /// The school: its code, then its region.
        case school
        /// 学科 of the resource, from the published manifests ("" when unknown).
        case subject
        /// 年级 of the resource, from the published manifests ("" when unknown).
        case grade
        /// The week (its Monday, Beijing time; "" when the time is not known).
        case week
        /// The resource: bundle id, resource id, Chinese title, English title, subject, grade.
        case resource

        /// How many key fields a total has.
        public var keyCount: Int {
            switch self {
            case .region, .subject, .grade, .week: 1
            case .school: 2
            case .resource: 6
            }
        }
    }

    /// Usage summed over one key.
    public struct UsageTotal: Sendable, Equatable, Codable {
        /// The key's fields, as ``UsageDimension`` lists them.
        public var keys: [String]
        public var views: Int
        public var downloads: Int
        public var seconds: Int
    }

    /// A query that found nothing: what teachers look for and the platform lacks.
    public struct UnansweredSearch: Sendable, Equatable, Codable {
        public var query: String
        /// Searches for it that found nothing.
        public var searches: Int
        /// Schools whose teachers searched for it.
        public var schools: Int
        /// The latest week it was searched in ("" when unknown).
        public var lastWeek: String
    }

    /// One teacher's training hours in a year.
    public struct TeacherHours: Sendable, Equatable, Codable {
        public var nodeId: String
        public var schoolCode: String
        public var region: String
        /// The node's id for the teacher (lower-case UUID).
        public var teacherId: String
        /// The name sent at registration, "" when the platform never got it.
        public var name: String
        /// The teacher number, "" when none.
        public var number: String
        /// Credit hours of the modules completed in the year.
        public var hours: Double
        /// Modules completed in the year.
        public var modules: Int
    }

    /// A node's health: its latest report, when it was last seen and how far its clock is off.
    public struct NodeHealth: Sendable, Equatable, Codable {
        public var id: String
        public var schoolCode: String
        public var region: String
        /// The node's software version from its latest report.
        public var version: String?
        /// The last time it pushed or reported.
        public var lastSeenAt: Date?
        /// Its wall clock minus true time, in seconds, at its latest corrected event.
        public var clockOffset: Double?
        /// Free bytes on its data disk.
        public var freeBytes: Int64?
        /// Events it holds that the platform has not acknowledged.
        public var eventsPending: Int?
        /// The latest error it reported ("" or nil for none).
        public var lastError: String?

        /// Not seen for this long: someone should go and look.
        public static let silentAfter: TimeInterval = 7 * 86_400
        /// Less free disk than this: the next bundles will not fit (the node keeps a 1 GiB reserve by default).
        public static let lowDiskBytes: Int64 = 2_000_000_000
        /// More records waiting than this: the link is too slow or down; a USB stick would carry them.
        public static let largeBacklog = 10_000
        /// A wall clock off by more than this: the board's clock battery is likely flat.
        public static let clockTolerance: Double = 3600

        /// Why the node needs a visit, most serious first, with a weight each: not seen (8), low disk (4), a large
        /// backlog (2), an error (2), a wrong clock (1).
        public func visitReasons(now: Date) -> [(weight: Int, text: LocalizedText)] {
            var reasons: [(weight: Int, text: LocalizedText)] = []
            if let lastSeenAt {
                let days = Int(now.timeIntervalSince(lastSeenAt) / 86_400)
                if now.timeIntervalSince(lastSeenAt) > Self.silentAfter {
                    reasons.append((8, LocalizedText(zh: "\(days) 天未联系平台", en: "not seen for \(days) days")))
                }
            } else {
                reasons.append((8, LocalizedText(zh: "从未联系平台", en: "never seen")))
            }
            if let freeBytes, freeBytes < Self.lowDiskBytes {
                let size = Monitoring.bytes(freeBytes)
                reasons.append((4, LocalizedText(zh: "磁盘仅剩 \(size)", en: "only \(size) free on disk")))
            }
            if let eventsPending, eventsPending > Self.largeBacklog {
                reasons.append(
                    (2, LocalizedText(zh: "积压 \(eventsPending) 条记录", en: "\(eventsPending) records waiting")))
            }
            if let lastError, !lastError.isEmpty {
                reasons.append((2, LocalizedText(zh: "最近出错", en: "reported an error")))
            }
            if let clockOffset, abs(clockOffset) > Self.clockTolerance {
                let off = Monitoring.duration(clockOffset)
                reasons.append((1, LocalizedText(zh: "时钟偏差 \(off)", en: "clock off by \(off)")))
            }
            return reasons
        }

        /// The nodes that need a visit first (heaviest reasons, then the longest unseen), then the others by id.
        public static func visitOrder(_ nodes: [NodeHealth], now: Date) -> [NodeHealth] {
            let weighed = nodes.map { ($0, $0.visitReasons(now: now).reduce(0) { $0 + $1.weight }) }
            return weighed.sorted { left, right in
                if left.1 != right.1 { return left.1 > right.1 }
                let leftSeen = left.0.lastSeenAt ?? .distantPast
                let rightSeen = right.0.lastSeenAt ?? .distantPast
                if leftSeen != rightSeen { return leftSeen < rightSeen }
                return left.0.id < right.0.id
            }.map(\.0)
        }
    }

    /// The fields of a node's health report the fleet page shows, read leniently (the platform stores the body as it
    /// came, unchecked): each is nil when the report lacks it or is not a report.
    public struct HealthSummary: Sendable, Equatable {
        public var version: String?
        public var freeBytes: Int64?
        public var eventsPending: Int?
        /// The last of the report's errors, "" when it had none.
        public var lastError: String?

        /// The summary of a report's JSON text.
        public init(json: String) {
            guard let report = try? JSONDecoder().decode(SyncProtocol.HealthReport.self, from: Data(json.utf8))
            else { return }
            version = String(report.version.prefix(64))
            freeBytes = report.freeBytes
            eventsPending = report.eventsPending
            lastError = String((report.lastErrors.last ?? "").prefix(500))
        }
    }

    /// The resources of a published manifest with what monitoring groups them by: id, Chinese and English title,
    /// subject, grade and stage ("" when absent). Only those fields are read, as the PostgreSQL migration reads
    /// manifests published before it; empty for bytes that hold no resources.
    public static func catalogResources(
        manifest: Data
    ) -> [(id: String, titleZh: String, titleEn: String, subject: String, grade: String, stage: String)] {
        struct Listed: Decodable {
            struct Resource: Decodable {
                struct Title: Decodable {
                    var zh: String?
                    var en: String?
                }
                var id: String
                var title: Title?
                var subject: String?
                var grade: String?
                var stage: String?
            }
            var resources: [Resource]
        }
        guard let listed = try? JSONDecoder().decode(Listed.self, from: manifest) else { return [] }
        return listed.resources.map {
            ($0.id, $0.title?.zh ?? "", $0.title?.en ?? "", $0.subject ?? "", $0.grade ?? "", $0.stage ?? "")
        }
    }

    /// A size for people: `1.5 GB`, `300 MB`.
    static func bytes(_ count: Int64) -> String {
        let value = Double(count)
        if value >= 1e9 { return String(format: "%.1f GB", value / 1e9) }
        return String(format: "%.0f MB", value / 1e6)
    }

    /// A clock offset for people, with units both languages read: `+2 min`, `-56 y`; positive means the node's
    /// clock is ahead.
    static func duration(_ seconds: Double) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let magnitude = abs(seconds)
        switch magnitude {
        case ..<120: return sign + String(format: "%.0f s", magnitude)
        case ..<7200: return sign + String(format: "%.0f min", magnitude / 60)
        case ..<172_800: return sign + String(format: "%.0f h", magnitude / 3600)
        case ..<(2 * 31_557_600): return sign + String(format: "%.0f d", magnitude / 86_400)
        default: return sign + String(format: "%.0f y", magnitude / 31_557_600)
        }
    }
}
