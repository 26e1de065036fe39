import Crypto
import Hummingbird
import NIOCore

/// A request body read under a route's limit and hashed as it arrives: a body announced as larger is refused before
/// a byte of it is read, a chunked one is cut off as soon as it passes the limit, and checking a signature over it
/// needs no second pass.
struct BoundedBody {
    /// The body's bytes.
    var bytes: ByteBuffer
    /// SHA-256 of the bytes, computed while they arrived.
    var sha256: SHA256.Digest

    /// Refuses (413) a request whose `Content-Length` is over `limit`, without reading its body.
    static func refuseAnnounced(_ request: Request, limit: Int) throws {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw tooLarge(limit)
        }
    }

    /// Reads the body, refusing (413) one over `limit` bytes as soon as that is known.
    static func read(_ request: Request, limit: Int) async throws -> BoundedBody {
        try refuseAnnounced(request, limit: limit)
        var hasher = SHA256()
        var bytes = ByteBuffer()
        for try await chunk in request.body {
            guard bytes.readableBytes + chunk.readableBytes <= limit else { throw tooLarge(limit) }
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            bytes.writeImmutableBuffer(chunk)
        }
        return BoundedBody(bytes: bytes, sha256: hasher.finalize())
    }

    private static func tooLarge(_ limit: Int) -> HTTPError {
        HTTPError(.contentTooLarge, message: "The body is larger than this route's limit of \(limit) bytes.")
    }
}
