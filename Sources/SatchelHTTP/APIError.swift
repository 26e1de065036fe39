import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error answered to a JSON API client as `{"error": {"code": ..., "message": ...}}` with a stable code.
public struct APIError: Error, HTTPResponseError {
    public let status: HTTPResponse.Status
    /// A stable, machine-readable code such as `not_found`.
    public let code: String
    /// A sentence for people.
    public let message: String

    /// An error with its status, stable code and sentence.
    public init(status: HTTPResponse.Status, code: String, message: String) {
        (self.status, self.code, self.message) = (status, code, message)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(["error": ["code": code, "message": message]])
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    /// 404 with code `not_found`.
    public static func notFound(_ message: String) -> APIError {
        APIError(status: .notFound, code: "not_found", message: message)
    }
}

/// Turns any error thrown under `/api/` into a JSON error body, so API clients never get HTML.
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The middleware.
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            let code =
                error.status == .notFound ? "not_found" : error.status == .badRequest ? "bad_request" : "http_error"
            throw APIError(status: error.status, code: code, message: error.body ?? error.status.reasonPhrase)
        } catch {
            throw APIError(
                status: .internalServerError, code: "internal", message: "The node could not answer this request.")
        }
    }
}
