import SatchelCore

/// Which side a failed sync points at, so that a technician checks the right thing: this school's network, or the
/// platform. Stored in `syncState` (`lastSyncFailingSide`) with the session's result.
public enum FailingSide: String, Sendable, Codable {
    /// The platform could not be reached: no name, no route, refused, timed out.
    case network
    /// The platform was reached, then broke the connection or answered with a server error.
    case platform

    /// What it means and what to do, for `satchel status` and `satchel doctor`.
    public var advice: LocalizedText {
        switch self {
        case .network:
            LocalizedText(
                zh: "问题在本校这边的网络：连不上国家平台（找不到主机、连接被拒绝或超时）。请检查网线、路由器和上网线路；网络恢复后会自动继续同步。",
                en: "The fault is on this school's side of the network: the platform could not be reached (host not "
                    + "found, connection refused or timed out). Check the cable, the router and the internet link; "
                    + "sync resumes by itself once the link is back.")
        case .platform:
            LocalizedText(
                zh: "问题在国家平台那边：已经连上平台，但它中途断开或报错（可能崩溃或正在重启）。本校网络是通的，无需检查；会自动重试，若一直如此，请告知平台管理员。",
                en: "The fault is at the national platform: it was reached, then it broke the connection or answered "
                    + "with an error (it may have crashed or be restarting). This school's network is up; nothing to "
                    + "check here. Sync retries by itself; if this lasts, tell the platform's operators.")
        }
    }
}
