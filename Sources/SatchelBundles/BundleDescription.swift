import SatchelCore

/// The optional `bundle.json` in a folder given to `satchel pack`: titles and classification that a plain folder
/// cannot express. Every field is optional.
public struct BundleDescription: Sendable, Codable {
    /// The bundle's title; the folder's name when absent.
    public var title: LocalizedText?
    /// `curriculum` (the default), `training` or `software`.
    public var kind: Manifest.BundleKind?
    /// For `software`: the release the bundle carries (`satchel pack-release` writes it).
    public var release: Manifest.Release?
    /// Classification applied to every resource that does not set its own.
    public var defaults: Classification?
    /// The resources; when absent, one per top-level file or per top-level folder with an `index.html`.
    public var resources: [Manifest.Resource]?

    /// Stage, grade, subject, edition, term and language shared by a bundle's resources.
    public struct Classification: Sendable, Codable {
        public var stage: String?
        public var grade: String?
        public var subject: String?
        public var edition: String?
        public var term: String?
        public var language: String?

        /// A classification; every field is optional.
        public init(
            stage: String? = nil, grade: String? = nil, subject: String? = nil, edition: String? = nil,
            term: String? = nil, language: String? = nil
        ) {
            (self.stage, self.grade, self.subject, self.edition, self.term) = (stage, grade, subject, edition, term)
            self.language = language
        }
    }

    /// A description; every field is optional.
    public init(
        title: LocalizedText? = nil, kind: Manifest.BundleKind? = nil, defaults: Classification? = nil,
        resources: [Manifest.Resource]? = nil, release: Manifest.Release? = nil
    ) {
        (self.title, self.kind, self.defaults, self.resources) = (title, kind, defaults, resources)
        self.release = release
    }

    /// The file name the packer looks for.
    public static let fileName = "bundle.json"
}
