import Logging
import NIOCore
import NIOPosix
import Strata
import StrataCore
import Synchronization

/// The line-protocol TCP listener: every connection streams newline-delimited line protocol.
///
/// Each connection reads with `autoRead` off: after a read, complete lines go to the engine as one
/// batch on the write thread pool (the engine blocks on fsync), and the socket is read again only once
/// that batch is stored. A slow disk therefore slows the senders down (TCP backpressure) instead of
/// growing memory. Bad lines are counted and logged (rate-limited) and skipped; the connection stays open.
public final class IngestServer: Sendable {
    let engine: Engine
    let metrics: ServerMetrics
    let pool: NIOThreadPool
    let logger: Logger
    let badLines: RateLimitedLog
    let maxLineLength: Int
    let drainSeconds: Double
    private let state = Mutex<State>(State())
    private let serverChannel: Mutex<(any Channel)?> = Mutex(nil)

    struct State {
        var connections: [Int: any Channel] = [:]
        var nextID = 0
        var draining = false
    }

    init(engine: Engine, metrics: ServerMetrics, pool: NIOThreadPool, logger: Logger, drainSeconds: Double) {
        self.engine = engine
        self.metrics = metrics
        self.pool = pool
        self.logger = logger
        self.badLines = RateLimitedLog(logger: logger)
        self.maxLineLength = engine.configuration.parseLimits.maxLineLength
        self.drainSeconds = drainSeconds
    }

    /// Binds the listener; returns the bound address (the real port when `address.port` is 0).
    func bind(_ address: ListenAddress, group: any EventLoopGroup) async throws -> ListenAddress {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 4096, initial: 65_536, maximum: 1 << 20))
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IngestHandler(server: self))
                }
            }
        let channel = try await bootstrap.bind(host: address.host, port: address.port).get()
        serverChannel.withLock { $0 = channel }
        return ListenAddress(host: address.host, port: channel.localAddress?.port ?? address.port)
    }

    // MARK: - Connection tracking

    /// Registers a new connection; nil when the server is draining (the connection is refused).
    func connectionStarted(_ channel: any Channel) -> Int? {
        state.withLock { state in
            guard !state.draining else { return nil }
            state.nextID += 1
            state.connections[state.nextID] = channel
            return state.nextID
        }
    }

    /// A connection closed and its last batch is stored.
    func connectionFinished(_ id: Int) {
        _ = state.withLock { $0.connections.removeValue(forKey: id) }
    }

    var openConnections: Int { state.withLock { $0.connections.count } }

    /// Graceful shutdown: stops accepting, lets connected clients finish for up to `drainSeconds`
    /// (everything they send until they disconnect is stored), then closes the remaining connections
    /// after storing their complete lines, and waits until every batch is in the engine.
    func drain() async {
        state.withLock { $0.draining = true }
        if let channel = serverChannel.withLock({ $0 }) { try? await channel.close() }
        let deadline = DispatchTimeNanoseconds.now() + UInt64(drainSeconds * 1e9)
        while openConnections > 0, DispatchTimeNanoseconds.now() < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        let remaining = state.withLock { Array($0.connections.values) }
        if !remaining.isEmpty {
            logger.info("closing line-protocol connections still open after the drain period", metadata: ["connections": "\(remaining.count)"])
            for channel in remaining { channel.pipeline.fireUserInboundEventTriggered(IngestHandler.Drain()) }
        }
        while openConnections > 0 { try? await Task.sleep(nanoseconds: 10_000_000) }
    }
}

/// One line-protocol connection.
final class IngestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// Asks the connection to store its complete lines and close.
    struct Drain {}

    let server: IngestServer
    var framer: LineFramer
    var overlongReported = 0
    var writing = false
    var inputClosed = false
    var registered = false
    var connectionID = 0
    var stopReading = false
    /// The batch being stored (its buffer is recycled once the store completes).
    var inFlight: [UInt8] = []

    init(server: IngestServer) {
        self.server = server
        self.framer = LineFramer(maxLineLength: server.maxLineLength)
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let id = server.connectionStarted(context.channel) else {
            context.close(promise: nil)
            return
        }
        connectionID = id
        registered = true
        server.metrics.connectionOpened()
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        server.metrics.recordBytes(transport: "tcp", count: buffer.readableBytes)
        buffer.withUnsafeReadableBytes { framer.feed($0) }
        reportOverlong(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        pump(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is Drain {
            stopReading = true
            if !writing { finishAndClose(context: context) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inputClosed = true
        // The client closed: its unterminated last line counts. When the server closed the connection
        // (drain, write failure), an unterminated tail is an incomplete line and is dropped.
        if stopReading { framer.dropPartial() } else { framer.finish() }
        reportOverlong(context: context)
        if registered { server.metrics.connectionClosed() }
        pump(context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.debug("line-protocol connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func reportOverlong(context: ChannelHandlerContext) {
        let delta = framer.overlongLines - overlongReported
        guard delta > 0 else { return }
        overlongReported = framer.overlongLines
        server.metrics.recordParseError("line_too_long", transport: "tcp", count: delta)
        server.badLines.warning("line-protocol line longer than \(server.maxLineLength) bytes skipped",
                                metadata: ["remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"])
    }

    /// Bytes of complete lines a connection gathers while its previous batch is being stored; reading
    /// pauses beyond this (backpressure). Reading ahead makes the next batch large, so one WAL append,
    /// one fsync and one trip through the engine lock cover many lines.
    static let readAheadBytes = 4 << 20

    /// Stores the pending batch when no store is in flight, and keeps reading up to the read-ahead bound.
    private func pump(context: ChannelHandlerContext) {
        if !writing {
            if framer.hasBatch {
                store(context: context)
            } else if inputClosed {
                if registered { server.connectionFinished(connectionID) }
                registered = false
                return
            } else if stopReading {
                finishAndClose(context: context)
                return
            }
        }
        if !inputClosed && !stopReading && framer.batch.count < Self.readAheadBytes { context.read() }
    }

    private func finishAndClose(context: ChannelHandlerContext) {
        // Complete lines go to the engine first; the unterminated tail is dropped.
        if framer.hasBatch {
            store(context: context)
            return
        }
        context.close(promise: nil)
    }

    private func store(context: ChannelHandlerContext) {
        writing = true
        let (bytes, _) = framer.takeBatch()
        // The handler keeps the batch (not the completion closure), so once stored its buffer can go
        // back to the framer uniquely referenced, and be reused without a copy.
        inFlight = bytes
        let engine = server.engine
        let started = DispatchTimeNanoseconds.now()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        server.pool.runIfActive(eventLoop: context.eventLoop) {
            try engine.write(bytes)
        }.whenComplete { result in
            let (handler, context) = bound.value
            handler.writing = false
            let stored = handler.inFlight
            handler.inFlight = []
            handler.framer.recycle(stored, maxKeptBytes: 4 * Self.readAheadBytes)
            let server = handler.server
            switch result {
            case let .success(write):
                let seconds = Double(DispatchTimeNanoseconds.now() - started) / 1e9
                server.metrics.recordWrite(transport: "tcp", bytes: 0, result: write, seconds: seconds)
                if let first = write.parseErrors.first {
                    server.badLines.warning("line-protocol lines skipped: \(first.reason)",
                                            metadata: ["badLines": "\(write.parseErrors.count)", "firstLineInBatch": "\(first.line)",
                                                       "column": "\(first.column)"])
                }
                if let first = write.rejections.first {
                    server.badLines.warning("points refused: \(first)", metadata: ["refused": "\(write.rejections.count)"])
                }
            case let .failure(error):
                server.metrics.recordWriteFailure(transport: "tcp")
                server.logger.error("line-protocol batch not stored; closing the connection", metadata: ["error": "\(error)"])
                handler.stopReading = true
                context.close(promise: nil)
            }
            if handler.stopReading && !handler.inputClosed && !handler.framer.hasBatch {
                context.close(promise: nil)
            } else {
                handler.pump(context: context)
            }
        }
    }
}
