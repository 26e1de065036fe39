import Foundation
import Glibc
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOPosix

/// The HTTP/1.1 connections of the node and of the platform: Hummingbird's `HTTP1Channel` pipeline (NIO's decoder,
/// Hummingbird's idle timeout, the router) with one handler of ours behind the decoder, ``ConnectionGuard``, and a
/// bound on the connections one client address may hold.
public struct GuardedHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    public let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let addresses: ConnectionsByAddress
    let fileIO = NonBlockingFileIO(threadPool: .singleton)

    /// Connections answered by `responder` within `limits`; `addresses` counts them per client address and is shared
    /// by every connection of one server.
    public init(
        responder: @escaping HTTPChannelHandler.Responder, limits: ConnectionLimits, addresses: ConnectionsByAddress
    ) {
        self.responder = responder
        self.limits = limits
        self.addresses = addresses
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard let address = channel.remoteAddress?.ipAddress, addresses.admit(address) else {
            logger.debug("connection refused: its address holds its share of the connections")
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ChannelError.inputClosed)
        }
        channel.closeFuture.whenComplete { _ in addresses.release(address) }
        return channel.eventLoop.makeCompletedFuture {
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
                withPipeliningAssistance: false,  // requests are answered one at a time, in order, by the router
                withErrorHandling: false,  // Hummingbird answers errors
                withOutboundHeaderValidation: false,  // Swift HTTP types validate
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            try pipeline.addHandler(ConnectionGuard(limits: limits, fileIO: fileIO, logger: logger))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(
                HTTPConnectionStateHandler(idleTimeout: .nanoseconds(limits.idleTimeout.nanoseconds), logger: logger))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
