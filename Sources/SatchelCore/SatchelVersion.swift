/// The version of this Satchel build, reported by `satchel status`, `/healthz` and the sync protocol.
public enum SatchelVersion {
    /// The release version.
    public static let current = "0.1.0"
}
