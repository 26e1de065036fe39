/// The kind of device a request came from, read from its User-Agent. Only the class is recorded, never the
/// User-Agent itself.
enum DeviceClass {
    static func of(userAgent: String?) -> String {
        guard let agent = userAgent?.lowercased() else { return "unknown" }
        if agent.contains("ipad") || agent.contains("tablet")
            || (agent.contains("android") && !agent.contains("mobile"))
        {
            return "tablet"
        }
        if agent.contains("mobile") || agent.contains("iphone") || agent.contains("android") { return "phone" }
        return "desktop"
    }
}
