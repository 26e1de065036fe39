import Crypto

/// SHA-256 over streamed bytes, giving the lowercase hex digest used in manifests and blob names.
struct ContentHasher {
    private var hasher = SHA256()
    private(set) var count: Int64 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        count += Int64(bytes.count)
    }

    func finalize() -> String {
        hasher.finalize().hexString
    }

    static func hash(_ bytes: some Sequence<UInt8>) -> String {
        SHA256.hash(data: Array(bytes)).hexString
    }
}

extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hex.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var result: [UInt8] = []
        for byte in self {
            result.append(digits[Int(byte >> 4)])
            result.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: result, as: UTF8.self)
    }
}
