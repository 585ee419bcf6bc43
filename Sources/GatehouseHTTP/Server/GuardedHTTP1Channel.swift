import GatehouseCore
public import HummingbirdCore
public import Logging
public import NIOCore
import NIOHTTPTypes
import Synchronization

/// HTTP/1.1 as Hummingbird serves it, with ``ClientLimits`` around it: at most so many
/// connections (503 past them), each request received within a deadline, idle connections
/// closed, header sizes bounded.
public struct GuardedHTTP1Channel: ServerChildChannel {
    public typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let limits: ClientLimits
    let connections: ConnectionCount

    public init(responder: @escaping HTTPChannelHandler.Responder, limits: ClientLimits) {
        self.limits = limits
        self.connections = ConnectionCount(maximum: limits.maximumConnections)
        self.base = HTTP1Channel(
            responder: responder,
            configuration: .init(
                additionalChannelHandlers: [RequestReceivedHandler()],
                idleTimeout: .nanoseconds(Int64(limits.idleTimeout.timeInterval * 1e9)),
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: limits.maximumHeaderFieldSize,
                    maxHeaderListSize: limits.maximumHeaderListSize,
                    maxHeaderFieldCount: limits.maximumHeaderFieldCount
                )
            )
        )
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard self.connections.enter() else {
            // Answered before any byte is read: a clear 503, then the connection closes.
            return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RefuseConnectionHandler()) }
                .flatMap { self.base.setup(channel: channel, logger: logger) }
        }
        let connections = self.connections
        channel.closeFuture.whenComplete { _ in connections.leave() }
        let deadline = RequestDeadlineHandler(limit: .nanoseconds(Int64(self.limits.requestTimeout.timeInterval * 1e9)))
        return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(deadline) }
            .flatMap { self.base.setup(channel: channel, logger: logger) }
    }

    public func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }

    static let tooManyConnections: ByteBuffer = {
        let body = #"{"code":"unavailable","detail":"Too many connections; try again shortly."}"#
        return ByteBuffer(
            string: "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
                + "Retry-After: 1\r\nConnection: close\r\n\r\n" + body
        )
    }()
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with ``ClientLimits``; wrap it in `.tls(...)` for HTTPS.
    public static func guardedHTTP1(limits: ClientLimits) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, limits: limits) }
    }
}

/// The open connections of one server.
final class ConnectionCount: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)

    init(maximum: Int) {
        self.maximum = maximum
    }

    /// Counts a new connection; `false` (and not counted) when the maximum is reached.
    func enter() -> Bool {
        var current = self.open.load(ordering: .relaxed)
        while current < self.maximum {
            let (exchanged, original) = self.open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func leave() {
        self.open.subtract(1, ordering: .relaxed)
    }
}

/// A connection past the maximum: answered 503 as soon as it is up, whatever it sends,
/// then closed. The first handler of its pipeline, so nothing behind it sees a byte.
final class RefuseConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.refuse(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(_ context: ChannelHandlerContext) {
        guard !self.answered else { return }
        self.answered = true
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(self.wrapOutboundOut(GuardedHTTP1Channel.tooManyConnections)).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }
}

/// Closes a connection whose client takes longer than `limit` to send one request, from
/// its first byte to its end: a client sending a byte a second cannot hold it. The first
/// handler of the pipeline, so it sees the bytes before anything parses them.
///
/// A request costs a clock reading, not a timer: one timer per connection looks at the
/// request in progress when it fires, and sets itself again only while one is.
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let limit: TimeAmount
    /// When the first byte of the request in progress arrived; `nil` between requests.
    private var started: NIODeadline?
    private var timer: Scheduled<Void>?

    init(limit: TimeAmount) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.started == nil {
            let now = NIODeadline.now()
            self.started = now
            if self.timer == nil { self.schedule(context, at: now + self.limit) }
        }
        context.fireChannelRead(data)
    }

    /// The request that began arriving has been received whole.
    func requestReceived() {
        self.started = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.timer = nil
            guard let started = handler.started else { return }
            let due = started + handler.limit
            if NIODeadline.now() >= due {
                context.close(promise: nil)
            } else {
                handler.schedule(context, at: due)
            }
        }
    }
}

/// Tells ``RequestDeadlineHandler`` when a request's last part has been parsed.
final class RequestReceivedHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    /// Found once, when this handler joins the pipeline (the deadline handler is already there).
    private var deadline: RequestDeadlineHandler?

    func handlerAdded(context: ChannelHandlerContext) {
        self.deadline = try? context.pipeline.syncOperations.handler(type: RequestDeadlineHandler.self)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = self.unwrapInboundIn(data) { self.deadline?.requestReceived() }
        context.fireChannelRead(data)
    }
}
