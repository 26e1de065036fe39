import SatchelPlatform

extension Platform {
    /// The SQLite database of a platform opened on its default storage, for tests that read it directly.
    public var database: PlatformDatabase {
        guard let database = storage as? PlatformDatabase else {
            preconditionFailure("this platform keeps its state in \(type(of: storage)), not SQLite")
        }
        return database
    }
}
