import HTTPTypes
import Hummingbird

/// Refuses, in its turn among pipelined requests, a request that ``ConnectionGuard`` marked as malformed: one
/// without exactly one `Host` (RFC 9112 3.2). The connection closes after the answer.
public struct StrictRequestMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The middleware.
    public init() {}

    private static var rejectField: HTTPField.Name { HTTPField.Name(ConnectionGuard.rejectField)! }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard request.headers[Self.rejectField] != nil else { return try await next(request, context) }
        return Response(
            status: .badRequest,
            headers: [.contentType: "text/plain; charset=utf-8", .connection: "close"],
            body: ResponseBody(
                byteBuffer: ByteBuffer(string: "请求必须有且只有一个 Host 头。\nA request needs exactly one Host header.\n")))
    }
}
