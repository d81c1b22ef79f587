// The sim board's control socket: newline-delimited JSON requests on DATA_DIR/sim.sock, one reply line each.
import Logging
import OCPPMessages
import NIOCore
import NIOPosix
import OCPPStation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One inbound request line (without its line break), or the notice that a line exceeded the limit.
enum SimControlFrame: Sendable, Equatable {
    case line([UInt8])
    case tooLong
}

/// Splits the byte stream at `\n` (a trailing `\r` is dropped). A line longer than `maximumLineLength` yields
/// `.tooLong` once and everything after it is discarded (the connection is then closed).
struct SimLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = SimControlFrame

    static let maximumLineLength = 64 * 1024

    private var discarding = false
    /// How far the current buffer has been searched for a line break.
    private var scanned = 0

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if discarding {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        let searchStart = view.startIndex + min(scanned, view.count)
        if let newline = view[searchStart...].firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            scanned = 0
            if length > Self.maximumLineLength {
                tooLong(context: context, buffer: &buffer)
                return .needMoreData
            }
            var line = buffer.readBytes(length: length) ?? []
            buffer.moveReaderIndex(forwardBy: 1)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            context.fireChannelRead(wrapInboundOut(.line(line)))
            return .continue
        }
        scanned = view.count
        if view.count > Self.maximumLineLength {
            tooLong(context: context, buffer: &buffer)
        }
        return .needMoreData
    }

    private mutating func tooLong(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        discarding = true
        scanned = 0
        buffer.moveReaderIndex(to: buffer.writerIndex)
        context.fireChannelRead(wrapInboundOut(.tooLong))
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Complete lines first, then an unterminated last line (`printf '{"cmd":"status"}' | nc -U sim.sock`).
        while try decode(context: context, buffer: &buffer) == .continue {}
        if !discarding, buffer.readableBytes > 0 {
            var line = buffer.readBytes(length: buffer.readableBytes) ?? []
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}

extension SimulatedBoard {
    typealias ControlConnection = NIOAsyncChannel<SimControlFrame, ByteBuffer>

    func serveControlSocket(station: any StationView) async throws {
        let path = socketPath
        // Another agent on the same data directory would lose its socket to us: refuse instead.
        if POSIXFiles.kind(path: path) == .socket, let fd = try? SimControlClient.connect(socketPath: path, dataDirectory: dataDirectory) {
            close(fd)
            throw SimulatedBoardError("another process is already serving \(path): is a station agent already running with this data directory?")
        }

        // Accepted connections come out as plain channels that do not read yet (autoRead off): a NIOAsyncChannel
        // that never reaches executeThenClose traps (swift-nio#2637). One that is never served (accepted just as the
        // listener closes, left in the server's stream) is closed here once the accept loop has ended: nothing else
        // would close it, and an open channel and its pipeline keep each other alive (LeakSanitizer).
        let accepted = AcceptedChannels()
        let server: NIOAsyncChannel<any Channel, Never>
        do {
            server = try await ServerBootstrap(group: eventLoopGroup)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelOption(.autoRead, value: false)
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SimLineDecoder()))
                        accepted.insert(channel)
                        return channel
                    }
                }
        } catch {
            throw SimulatedBoardError("cannot listen on \(path): \(error)")
        }
        logger.info("sim board control socket listening", metadata: ["path": "\(path)"])
        defer { unlink(path) }

        // Cancelling `run` closes the listener; the accept loop then drains what was already accepted and ends,
        // and the connections are cancelled. The loop runs in its own task, always awaited here, so that
        // cancellation reaches it only through the closed listener and nothing accepted is dropped unserved.
        let listener = server.channel
        let accepting = Task {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await channel in connections {
                        group.addTask { await self.serve(channel, station: station) }
                    }
                }
                group.cancelAll()
            }
        }
        do {
            try await withTaskCancellationHandler {
                try await accepting.value
            } onCancel: {
                listener.close(promise: nil)
            }
        } catch {
            accepted.closeAll()
            await core.flush()
            throw error
        }
        accepted.closeAll()
        await core.flush()
        logger.info("sim board control socket closed", metadata: ["path": "\(path)"])
    }

    private func serve(_ channel: any Channel, station: any StationView) async {
        let connection: ControlConnection
        do {
            connection = try await channel.eventLoop.submit {
                // A connection NIO already closed (its peer went away before it was served) gets no wrapper: NIO's
                // handler and writer for a closed channel are never removed from a pipeline, so they would keep
                // each other alive (LeakSanitizer, Tests/lsan-suppressions.txt until this).
                guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
                let connection = try ControlConnection(wrappingChannelSynchronously: channel)
                if let options = channel.syncOptions {
                    // Not thrown: the wrapper exists now and only executeThenClose below releases it.
                    try? options.setOption(.autoRead, value: true)
                } else {
                    channel.setOption(.autoRead, value: true).whenFailure { _ in channel.close(promise: nil) }
                }
                return connection
            }.get()
        } catch {
            channel.close(promise: nil)
            return
        }
        do {
            try await connection.executeThenClose { requests, replies in
                for try await frame in requests {
                    switch frame {
                    case .line(let bytes):
                        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }  // blank line: not a request
                        let reply = await self.reply(to: bytes, station: station)
                        try await replies.write(ByteBuffer(string: reply + "\n"))
                    case .tooLong:
                        let reply = Self.errorReply(
                            "request line longer than \(SimLineDecoder.maximumLineLength) bytes; closing the connection")
                        try await replies.write(ByteBuffer(string: reply + "\n"))
                        return
                    }
                }
            }
        } catch {
            logger.debug("sim control connection ended", metadata: ["error": "\(error)"])
        }
    }

    static func errorReply(_ message: String) -> String {
        JSONValue.object(["ok": .bool(false), "error": .string(message)]).serialized()
    }

    /// The reply line (without line break) for one request line. Never throws: errors become `ok:false`.
    func reply(to line: [UInt8], station: any StationView) async -> String {
        let command: SimCommand
        do {
            command = try SimCommand.parse(line: line)
        } catch {
            return Self.errorReply(error.message)
        }
        if command == .status {
            return await statusReply(station: station).serialized()
        }
        do {
            let extra = try await core.perform(command)
            logger.info("sim board: \(String(decoding: line, as: UTF8.self))")
            // A simulated fault raised or cleared shows on the real parts too (the control pilot's state F, the LEDs).
            for evse in parts.keys.sorted() { await showStatus(evse: evse) }
            var reply: JSONObject = ["ok": .bool(true)]
            for (key, value) in extra { reply[key] = value }
            return JSONValue.object(reply).serialized()
        } catch {
            return Self.errorReply(error.message)
        }
    }

    func statusReply(station: any StationView) async -> JSONValue {
        let views = await station.evseViews()
        let states = await core.snapshot()
        // A mixed board's real parts (meter register, GPIO faults) replace the simulated values.
        let merged = Dictionary(uniqueKeysWithValues: await physicalState().map { ($0.evse, $0) })
        let evses: [JSONValue] = states.map { state in
            let real = merged[state.evse]
            let view = views.first(where: { $0.evse == state.evse })
            let connectors: [JSONValue] = state.plugged.indices.map { index in
                let id = index + 1
                let status = view?.connectors.first(where: { $0.id == id })?.status
                return .object(["connector": .integer(id), "status": status.map(JSONValue.string) ?? .null])
            }
            return .object(
                [
                    "evse": .integer(state.evse),
                    "connectors": .array(connectors),
                    "transactionId": view?.transactionId.map(JSONValue.string) ?? .null,
                    "energyWh": .number(((real?.energyWh ?? state.energyWh) * 1000).rounded(.down) / 1000),
                    "powerW": .number(real?.powerW ?? state.powerW),
                    "limitA": .number(state.limitA),
                    "contactorClosed": .bool(state.contactorClosed),
                    "locked": .bool(state.locked),
                    "plugged": .bool(state.plugged.contains(true)),
                    "evCharging": .bool(state.evCharging),
                    "faults": .array(SimEVSEState.sortedFaults(real?.faults ?? state.faults).map { .string($0.rawValue) }),
                ])
        }
        return .object(["ok": .bool(true), "evses": .array(evses)])
    }
}

/// The control connections accepted and not closed yet.
final class AcceptedChannels: Sendable {
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])

    func insert(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        open.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in self.open.withLock { _ = $0.removeValue(forKey: id) } }
    }

    /// Closes what is still open (connections never served).
    func closeAll() {
        for channel in open.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }
}
