import Glibc
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// The node's HTTP/1.1 connections: Hummingbird's `HTTP1Channel` pipeline with ``FastPath`` between the
/// HTTP/1 codec and the conversion to Swift HTTP types, where it can write file regions (sendfile) that Hummingbird's
/// response writer, which takes byte buffers only, cannot, and ``RawContentPath`` ahead of the codec, which answers
/// plain content requests without decoding them into NIO's types at all.
struct NodeHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    /// Content answered on the fast path; nil passes every request to the router.
    let content: ContentResponder?
    /// Anonymous usage beacons recorded on the fast path; nil passes them to the router.
    let beacons: BeaconRecorder?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            do {
                try channel.syncOptions?.setOption(
                    ChannelOptions.tcpOption(NIOBSDSocket.Option(rawValue: CInt(TCP_USER_TIMEOUT))),
                    value: SocketOptionValue(clamping: limits.sendTimeout.nanoseconds / 1_000_000))
            } catch {
                // A kernel or sandbox without the option still serves; only the send timeout is missing.
                logger.debug("send timeout not set", metadata: ["error": "\(error)"])
            }
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
            decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
            decoderLimits.maxHeaderFieldCount = limits.maxHeaderFields
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // requests are answered in order by the handlers below
                withErrorHandling: false,  // Hummingbird answers errors
                withOutboundHeaderValidation: false,  // Swift HTTP types validate, and so do our own headers
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            let fastPath = FastPath(content: content, beacons: beacons, headTimeout: limits.requestHeadTimeout)
            try pipeline.addHandler(fastPath)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            // The fast path owns the connection's timeout: Hummingbird's idle timer cannot see the requests it
            // answers and would cut them off.
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            if let content {
                // Ahead of the decoder: plain content requests answered from the bytes read.
                try pipeline.addHandler(
                    RawContentPath(content: content, fastPath: fastPath, limits: limits), position: .first)
            }
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
