import Foundation
import SatchelCore

/// A person who looks at the platform's figures for a region: the nation, a province, or a county (or district).
/// An operator sees the schools enrolled in their region and below it, and nothing else.
public struct Operator: Codable, Sendable, Hashable {
    /// The level an operator works at.
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// 国家级: every school.
        case national
        /// 省级: one province, `region` being its name (浙江省).
        case province
        /// 县级: one county or district, `region` being province/county (浙江省/淳安县) or province/city/county.
        case county
    }

    /// The login name: 3 to 32 characters from a-z, 0-9, `.`, `_` and `-`.
    public var username: String
    /// The name shown on pages.
    public var name: String
    public var role: Role
    /// The region as a path of names from the province down (``Region``); empty for a national operator.
    public var region: String

    /// An operator, after checking that `region` fits `role`.
    public init(username: String, name: String, role: Role, region: String) throws {
        let region = try Region.normalized(region)
        let depth = Region.depth(region)
        let fits: Bool
        switch role {
        case .national: fits = depth == 0
        case .province: fits = depth == 1
        case .county: fits = depth == 2 || depth == 3
        }
        guard fits else {
            throw PlatformError(
                code: .badRequest,
                message: LocalizedText(
                    zh: "地区“\(region)”与级别不符：国家级不填地区，省级填省名（浙江省），县级填“省/县”或“省/市/县”。",
                    en: "The region “\(region)” does not fit the role: national takes no region, province a province "
                        + "(浙江省), county province/county or province/city/county."))
        }
        guard RecordsValidation.isValidUsername(username), (1...50).contains(name.count) else {
            throw PlatformError(
                code: .badRequest,
                message: LocalizedText(
                    zh: "用户名需 3 到 32 个小写字母、数字、点、下划线或减号；姓名 1 到 50 个字。",
                    en: "The user name must be 3 to 32 lower-case letters, digits, dots, underscores or hyphens; "
                        + "the name 1 to 50 characters."))
        }
        self.username = username
        self.name = name
        self.role = role
        self.region = region
    }

    /// Whether a school enrolled for `schoolRegion` is in this operator's region.
    public func sees(_ schoolRegion: String) -> Bool {
        Region.contains(region, schoolRegion)
    }
}

/// Regions as paths of names from the province down, joined by `/`: "" (the nation), "浙江省", "浙江省/淳安县".
public enum Region {
    /// `text` with spaces around each name trimmed; refuses more than three levels, empty or over-long names, and
    /// the characters `%`, `_` and `\` (which a database pattern would read as wildcards).
    public static func normalized(_ text: String) throws -> String {
        let names = text.split(separator: "/", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if names == [""] { return "" }
        guard names.count <= 3,
            names.allSatisfy({ name in
                (1...32).contains(name.count) && !name.contains(where: { "%_\\".contains($0) || $0.isNewline })
            })
        else {
            throw PlatformError(
                code: .badRequest,
                message: LocalizedText(
                    zh: "地区“\(text)”不对：应为“省”、“省/县”或“省/市/县”，每级 1 到 32 个字，不含 % _ \\。",
                    en: "The region “\(text)” is wrong: expected province, province/county or province/city/county, "
                        + "each 1 to 32 characters without % _ \\."))
        }
        return names.joined(separator: "/")
    }

    /// The number of levels: 0 for the nation.
    public static func depth(_ region: String) -> Int {
        region.isEmpty ? 0 : region.split(separator: "/").count
    }

    /// Whether `inner` is `outer` or lies inside it.
    public static func contains(_ outer: String, _ inner: String) -> Bool {
        outer.isEmpty || inner == outer || inner.hasPrefix(outer + "/")
    }
}
