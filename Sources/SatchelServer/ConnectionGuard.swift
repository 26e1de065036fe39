import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client takes longer than `timeout` to send a complete request head: the slow-loris
/// attack that an idle timeout alone does not stop, since every trickled byte resets it. The clock restarts when a
/// response ends, so a keep-alive connection also gets `timeout` to start its next request.
final class RequestHeadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context) }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) {
            channel.close(promise: nil)
        }
    }
}

/// The limits that keep one misbehaving client from taking the node down for everyone else.
public struct ConnectionLimits: Sendable {
    /// Connections served at once; further ones wait in the accept backlog until one closes.
    public var maxConnections = 512
    /// An idle keep-alive connection is closed after this long.
    public var idleTimeout: TimeAmount = .seconds(60)
    /// A client must finish sending a request head within this long.
    public var requestHeadTimeout: TimeAmount = .seconds(15)
    /// The largest request head accepted; a larger one gets 400 and the connection is closed.
    public var maxHeaderBytes = 16 * 1024
    /// The most header fields in one request.
    public var maxHeaderFields = 100

    /// The defaults.
    public init() {}
}
