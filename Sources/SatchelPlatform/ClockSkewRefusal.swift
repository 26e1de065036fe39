import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SatchelSync

/// The platform's 401 for a request whose signed time is more than ``RequestSignature/maxSkew`` away from the
/// platform's clock. It carries the platform's time, in ``RequestSignature/platformTimeHeader`` and as
/// `error.platformTime` in the JSON body (seconds since 1970, with milliseconds), so that the node corrects its clock
/// and signs again: a node's answer never fails for skew alone. The time is public; nothing else is told.
struct ClockSkewRefusal: Error, HTTPResponseError {
    /// The platform's time when it refused.
    let platformTime: Date

    var status: HTTPResponse.Status { .unauthorized }

    /// The platform's time as sent: seconds since 1970 with three decimals.
    var timeText: String { String(format: "%.3f", platformTime.timeIntervalSince1970) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let error = [
            "code": RequestSignature.skewErrorCode,
            "message": "The signed time is too far from the platform's clock; sign again with the platformTime given.",
            "platformTime": timeText,
        ]
        let body = try JSONEncoder().encode(["error": error])
        return Response(
            status: status,
            headers: [
                .contentType: "application/json", HTTPField.Name(RequestSignature.platformTimeHeader)!: timeText,
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
