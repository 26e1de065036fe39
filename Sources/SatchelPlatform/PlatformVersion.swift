/// The reference national platform. Issue 6 builds its protocol side; until then it only names the protocol it will
/// speak, so that node and platform agree from the start.
public enum PlatformProtocol {
    /// The sync protocol version the node and the platform speak.
    public static let version = 1
}
