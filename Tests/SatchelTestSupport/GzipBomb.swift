import Foundation

/// Small gzip files that inflate to a great deal of zeros, packed by the system's `head` and `gzip -1`.
public enum GzipBomb {
    /// 256 MiB in about 1.1 MB: the size of the catalog of issue 13.
    public static let data = make(inflatedSize: 256 * 1024 * 1024)
    /// 64 MiB in about 280 KB: small enough for the platform's 1 MiB body limit, sixteen times its 4 MiB cap.
    public static let compact = make(inflatedSize: 64 * 1024 * 1024)

    private static func make(inflatedSize: Int) -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "head -c \(inflatedSize) /dev/zero | gzip -1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try! process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }
}
