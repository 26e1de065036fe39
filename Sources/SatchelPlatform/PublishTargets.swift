import Foundation
import SatchelCore

/// Who a published bundle is for: regions (each with everything inside it) and school stages (学段). Empty lists
/// reach everyone; both lists given reach a school in one of the regions that teaches one of the stages.
public struct PublishTargets: Sendable, Hashable {
    /// Region paths, normalized (``Region/normalized(_:)``).
    public private(set) var regions: [String]
    /// Stages as the catalog writes them: 小学, 初中, 高中 ….
    public private(set) var stages: [String]

    /// Every school.
    public static let everyone = PublishTargets(checkedRegions: [], stages: [])

    /// Targets from what an operator typed; refuses a malformed region or stage, and more than
    /// ``maxEntries`` of either.
    public init(regions: [String], stages: [String]) throws {
        let regions = try regions.map(Region.normalized).filter { !$0.isEmpty }
        let stages = try Self.stages(stages)
        guard regions.count <= Self.maxEntries, stages.count <= Self.maxEntries else {
            throw PlatformError(
                code: .badRequest,
                message: LocalizedText(
                    zh: "发布对象太多：地区和学段各最多 \(Self.maxEntries) 个。",
                    en: "Too many targets: at most \(Self.maxEntries) regions and \(Self.maxEntries) stages."))
        }
        self.init(checkedRegions: regions, stages: stages)
    }

    /// `stages` are already checked and without repeats.
    private init(checkedRegions: [String], stages: [String]) {
        var seen = Set<String>()
        self.regions = checkedRegions.filter { seen.insert($0).inserted }
        self.stages = stages
    }

    /// The most regions, and the most stages, one publication may name.
    public static let maxEntries = 200

    /// Whether the bundle is for everyone.
    public var isEveryone: Bool { regions.isEmpty && stages.isEmpty }

    /// Whether a school reaches the bundle. Nil is a reader who did not say which school it is (a LAN peer's
    /// tooling, an unsigned request): only bundles for everyone. A school whose stages the platform was never told
    /// is given bundles of any stage: its own subscriptions still choose among them.
    public func reaches(_ school: School?) -> Bool {
        guard !isEveryone else { return true }
        guard let school else { return false }
        let inRegion = regions.isEmpty || regions.contains { Region.contains($0, school.region) }
        let ofStage = stages.isEmpty || school.stages.isEmpty || !Set(stages).isDisjoint(with: school.stages)
        return inRegion && ofStage
    }

    /// What a school is, for targeting: its region and the stages it teaches.
    public struct School: Sendable, Hashable {
        public var region: String
        public var stages: [String]

        public init(region: String, stages: [String]) {
            self.region = region
            self.stages = stages
        }
    }

    /// Stages as typed, each checked (``stage(_:)``), repeats dropped: a publication's targets and a school's stages.
    public static func stages(_ typed: [String]) throws -> [String] {
        var seen = Set<String>()
        return try typed.map(stage).filter { seen.insert($0).inserted }
    }

    /// A stage as typed, trimmed; refuses an empty or over-long one and separators a stored list uses.
    public static func stage(_ text: String) throws -> String {
        let stage = text.trimmingCharacters(in: .whitespaces)
        guard (1...16).contains(stage.count), !stage.contains(where: { $0.isNewline || $0 == "," }) else {
            throw PlatformError(
                code: .badRequest,
                message: LocalizedText(
                    zh: "学段“\(text)”不对：应为 1 到 16 个字，如 小学、初中、高中。",
                    en: "The stage “\(text)” is wrong: expected 1 to 16 characters, such as 小学, 初中, 高中."))
        }
        return stage
    }

    /// A comma-separated list as typed on the command line, each entry trimmed, empty entries dropped.
    public static func list(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == "，" }).map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }

    /// The lists as the stores keep them: one entry a line.
    var stored: (regions: String, stages: String) {
        (regions.joined(separator: "\n"), stages.joined(separator: "\n"))
    }

    /// Targets read back from a store (already checked when they were published).
    init(stored regions: String, _ stages: String) {
        self.init(
            checkedRegions: regions.split(separator: "\n").map(String.init),
            stages: stages.split(separator: "\n").map(String.init))
    }
}

/// One published bundle version, as the stores keep it.
public struct CatalogRow: Sendable {
    public var cursor: Int64
    public var bundleId: String
    public var version: Int
    public var manifest: Data
    public var signature: Data
    public var archive: String
    public var targets: PublishTargets
}
