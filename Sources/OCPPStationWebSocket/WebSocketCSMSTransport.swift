// OCPP-J over WebSocket (Part 4 §3): the HTTP upgrade with the `ocpp2.0.1` subprotocol, then swift-websocket's
// WSCore runs the WebSocket itself (framing, close handshake, graceful shutdown) and WSCompression the RFC 7692
// permessage-deflate extension when the CSMS accepts it.
//
// The upgrade is done here rather than with WSClient because the station must check which subprotocol the CSMS
// selected (Part 4 §3.3: refuse to talk when it is not ocpp2.0.1) and the HTTP status of a refused upgrade (401:
// FailedToAuthenticationAtCsms), and WSClient exposes neither. Each connection takes its endpoint, security profile
// and credentials from the `ConnectionProfile` the station hands over, and reads the TLS material from its files
// then, so a new password, profile or certificate takes effect at the next connection.
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif
public import Logging
public import NIOCore
public import NIOPosix
internal import NIOHTTP1
internal import NIOWebSocket
public import NIOSSL
@_spi(WSInternal) internal import WSCore
internal import WSCompression
internal import HTTPTypes
internal import Synchronization
public import OCPPStation

public struct WebSocketCSMSTransport: CSMSTransport {
    public struct Configuration: Sendable {
        /// Largest OCPP-J message accepted from the CSMS.
        public var maxMessageSize: Int
        /// The station's TLS material (security profiles 2 and 3), read at every connection.
        public var tlsFiles: TLSFiles
        /// Each used instead of its `tlsFiles` counterpart while that file does not exist (the flags' files, before
        /// they are copied into the data directory).
        public var tlsFallbackFiles: TLSFiles
        /// Offer permessage-deflate (RFC 7692); used when the CSMS accepts it.
        public var compression: Bool

        public init(
            maxMessageSize: Int = 1 << 20, tlsFiles: TLSFiles = TLSFiles(), tlsFallbackFiles: TLSFiles = TLSFiles(),
            compression: Bool = true
        ) {
            self.maxMessageSize = maxMessageSize
            self.tlsFiles = tlsFiles
            self.tlsFallbackFiles = tlsFallbackFiles
            self.compression = compression
        }

        /// The files to read now: each of `tlsFiles` that exists, else its fallback.
        var currentTLSFiles: TLSFiles {
            func pick(_ primary: String?, _ fallback: String?) -> String? {
                guard let primary, access(primary, F_OK) == 0 else { return fallback }
                return primary
            }
            return TLSFiles(
                csmsRootCertificates: pick(tlsFiles.csmsRootCertificates, tlsFallbackFiles.csmsRootCertificates),
                clientCertificate: pick(tlsFiles.clientCertificate, tlsFallbackFiles.clientCertificate),
                clientKey: pick(tlsFiles.clientKey, tlsFallbackFiles.clientKey))
        }
    }

    /// PEM files: the CSMS root certificates the server certificate must chain to (profiles 2 and 3), and the
    /// station's own certificate chain and key (profile 3).
    public struct TLSFiles: Sendable, Hashable {
        public var csmsRootCertificates: String?
        public var clientCertificate: String?
        public var clientKey: String?

        public init(csmsRootCertificates: String? = nil, clientCertificate: String? = nil, clientKey: String? = nil) {
            self.csmsRootCertificates = csmsRootCertificates
            self.clientCertificate = clientCertificate
            self.clientKey = clientKey
        }
    }

    public static let subprotocol = "ocpp2.0.1"

    /// A00.FR.319: the ECDHE suites first (forward secrecy), then the TLS_RSA pair the requirement allows instead.
    /// TLS 1.3's own suites are always on.
    public static let cipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_RSA_WITH_AES_128_GCM_SHA256, .TLS_RSA_WITH_AES_256_GCM_SHA384,
    ]

    let configuration: Configuration
    let early = EarlyConnection()
    let ping = PingControl()
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger

    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// `<csmsURL>/<stationId>`, the station id percent-encoded (Part 4 §3.1.1, errata 2025-01).
    public static func endpoint(csmsURL: String, stationId: String) -> String {
        var base = csmsURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/" + percentEncode(stationId)
    }

    /// Checks that a profile's URL can be connected to; nil when it can, otherwise why not.
    public static func problem(withURL url: String, securityProfile: Int) -> String? {
        do {
            _ = try Endpoint(parsing: url)
            return ConnectionProfile.schemeProblem(url, securityProfile: securityProfile)
        } catch {
            return error.description
        }
    }

    public func urlProblem(_ url: String, securityProfile: Int) -> String? {
        Self.problem(withURL: url, securityProfile: securityProfile)
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// The TLS client configuration of a security profile (2 or 3): TLS 1.2 or above (A00.FR.313), the cipher suites
    /// of A00.FR.319, the server certificate checked against the CSMS roots and its host name (A00.FR.308/309), and
    /// for profile 3 the station's certificate and key. Throws naming the file and the reason.
    public static func tlsConfiguration(securityProfile: Int, files: TLSFiles) throws(CSMSConnectionFailure) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.cipherSuiteValues = cipherSuites
        tls.certificateVerification = .fullVerification
        guard let roots = files.csmsRootCertificates else {
            throw .failed("security profile \(securityProfile) needs CSMS root certificates (--ca-file)")
        }
        do {
            let certificates = try NIOSSLCertificate.fromPEMFile(roots)
            if certificates.isEmpty { throw CSMSConnectionFailure.failed("no certificate in it") }
            tls.trustRoots = .certificates(certificates)
        } catch {
            throw .failed("CSMS root certificates \(roots): \(readable(error))")
        }
        if securityProfile == 3 {
            guard let certificateFile = files.clientCertificate, let keyFile = files.clientKey else {
                throw .failed("security profile 3 needs the station's certificate and key (--client-cert, --client-key)")
            }
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
                if chain.isEmpty { throw CSMSConnectionFailure.failed("no certificate in it") }
                tls.certificateChain = chain.map { .certificate($0) }
            } catch {
                throw .failed("station certificate \(certificateFile): \(readable(error))")
            }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw .failed("station key \(keyFile): \(readable(error))")
            }
            do {
                // BoringSSL checks that the key belongs to the certificate when the context is made.
                _ = try NIOSSLContext(configuration: tls)
            } catch {
                throw .failed("station key \(keyFile): does not match the certificate \(certificateFile) (\(readable(error)))")
            }
        }
        return tls
    }

    static func readable(_ error: any Error) -> String {
        switch error {
        case let failure as CSMSConnectionFailure: return failure.description
        case NIOSSLError.noSuchFilesystemObject: return "no such file"
        case NIOSSLError.failedToLoadCertificate: return "not a PEM certificate"
        case NIOSSLError.failedToLoadPrivateKey: return "not a PEM private key"
        default: return "\(error)"
        }
    }

    enum UpgradeResult: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, [any WebSocketExtension], PongRecorder)
        case wrongSubprotocol(String?)
        case notUpgraded(HTTPResponseStatus?)
    }

    /// The WebSocket ping interval (OCPPCommCtrlr.WebSocketPingInterval; nil or 0 disables), for the open connection
    /// at once and the next ones.
    public func setPingInterval(_ interval: Duration?) {
        ping.set(interval)
    }

    /// Starts opening the first connection now (TCP, TLS and the HTTP upgrade) so that it overlaps with the caller's
    /// own start-up work; the next `withConnection` with the same profile takes it over. Nothing is sent on it
    /// before then.
    public func startConnecting(_ profile: ConnectionProfile) {
        let task = Task { try await self.timedOpenUpgrade(profile) }
        early.slot.withLock { $0 = (profile, task) }
    }

    /// `openUpgrade`, logging how long the TCP connect, TLS handshake and upgrade took together.
    func timedOpenUpgrade(_ profile: ConnectionProfile) async throws(CSMSConnectionFailure) -> UpgradeResult {
        let started = ContinuousClock.now
        let result = try await openUpgrade(profile)
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.info("connect, \(profile.securityProfile >= 2 ? "TLS handshake, " : "")upgrade: \(Int(milliseconds.rounded())) ms")
        return result
    }

    /// Connects and runs the TLS handshake and the HTTP upgrade, each within `profile.timeout`.
    func openUpgrade(_ profile: ConnectionProfile) async throws(CSMSConnectionFailure) -> UpgradeResult {
        let endpoint: Endpoint
        do {
            endpoint = try Endpoint(parsing: Self.endpoint(csmsURL: profile.csmsURL, stationId: profile.stationId))
        } catch {
            throw .failed(error.description)
        }
        if let problem = Self.problem(withURL: profile.csmsURL, securityProfile: profile.securityProfile) {
            throw .failed(problem)
        }
        let sslContext: NIOSSLContext?
        if endpoint.secure {
            let tls = try Self.tlsConfiguration(securityProfile: profile.securityProfile, files: configuration.currentTLSFiles)
            do {
                sslContext = try NIOSSLContext(configuration: tls)
            } catch {
                throw .failed("TLS configuration: \(error)")
            }
        } else {
            sslContext = nil
        }
        let maxMessageSize = configuration.maxMessageSize
        // 4 KiB windows both ways and zlib memory level 5: OCPP-J messages are small, and zlib's defaults (32 KiB
        // windows, level 8) cost ~300 KiB of heap per connection for little better compression of them.
        let compression: (any WebSocketExtensionBuilder)? =
            configuration.compression
            ? WebSocketExtensionFactory.perMessageDeflate(
                clientMaxWindow: 12, serverMaxWindow: 12, memoryLevel: 5, maxDecompressedFrameSize: maxMessageSize
            ).build() : nil
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.hostHeader)
        headers.add(name: "Sec-WebSocket-Protocol", value: Self.subprotocol)
        if let compression {
            headers.add(name: "Sec-WebSocket-Extensions", value: compression.clientRequestHeader())
        }
        if let password = profile.basicAuthPassword, (1...2).contains(profile.securityProfile) {
            // A00.FR.301-304: the station id as user name, the password as UTF-8.
            headers.add(name: "Authorization", value: "Basic " + Base64.encode(Array("\(profile.stationId):\(password)".utf8)))
        }
        let requestHeaders = headers
        let timeout = TimeAmount.nanoseconds(
            Int64(profile.timeout.components.seconds) * 1_000_000_000 + profile.timeout.components.attoseconds / 1_000_000_000)

        let upgraded: EventLoopFuture<UpgradeResult>
        do {
            let bootstrap = ClientBootstrap(group: eventLoopGroup).connectTimeout(timeout)
            // An IP literal needs no name resolution (saves a getaddrinfo round on every connect).
            let address = endpoint.isIPAddress ? try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) : nil
            let initializer: @Sendable (any Channel) -> EventLoopFuture<EventLoopFuture<UpgradeResult>> = { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        // A00.FR.309: the host name is checked against the certificate (not for an IP literal).
                        let handler = try NIOSSLClientHandler(
                            context: sslContext, serverHostname: endpoint.isIPAddress ? nil : endpoint.host)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeResult>(
                        maxFrameSize: maxMessageSize,
                        upgradePipelineHandler: { channel, response in
                            channel.eventLoop.makeCompletedFuture {
                                let selected = response.headers["Sec-WebSocket-Protocol"].first
                                    .map { String($0.filter { $0 != " " && $0 != "\t" }) }
                                guard selected == Self.subprotocol else {
                                    channel.close(promise: nil)
                                    return .wrongSubprotocol(selected)
                                }
                                var extensions: [any WebSocketExtension] = []
                                if let compression {
                                    var fields = HTTPFields()
                                    for value in response.headers["Sec-WebSocket-Extensions"] {
                                        fields.append(HTTPField(name: .secWebSocketExtensions, value: value))
                                    }
                                    extensions = try [compression].buildClientExtensions(from: fields)
                                }
                                let pongs = PongRecorder()
                                try channel.pipeline.syncOperations.addHandler(pongs)
                                let asyncChannel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                                    wrappingChannelSynchronously: channel)
                                return .websocket(asyncChannel, extensions, pongs)
                            }
                        })
                    let status = UpgradeStatusRecorder()
                    let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.path, headers: requestHeaders)
                    let encoder = HTTPRequestEncoder()
                    let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
                    let upgradeHandler = NIOTypedHTTPClientUpgradeHandler(
                        httpHandlers: [encoder, decoder, status],
                        upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                            upgradeRequestHead: request, upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in
                                channel.close(promise: nil)
                                return channel.eventLoop.makeSucceededFuture(.notUpgraded(status.status))
                            }))
                    try channel.pipeline.syncOperations.addHandlers([encoder, decoder, status, upgradeHandler])
                    // The TLS handshake and the upgrade must finish in time: a peer that accepts TCP and then stays
                    // silent must not stop the reconnect loop. A channel that closes first fails the wait too.
                    let result = channel.eventLoop.makePromise(of: UpgradeResult.self)
                    upgradeHandler.upgradeResultFuture.cascade(to: result)
                    let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                        result.fail(CSMSConnectionFailure.timeout("no answer to the TLS handshake or the WebSocket upgrade within \(profile.timeout)"))
                        channel.close(promise: nil)
                    }
                    channel.closeFuture.whenComplete { _ in
                        result.fail(CSMSConnectionFailure.failed("the connection closed during the handshake"))
                    }
                    result.futureResult.whenComplete { _ in deadline.cancel() }
                    return result.futureResult
                }
            }
            let pending: EventLoopFuture<UpgradeResult>
            if let address {
                pending = try await bootstrap.connect(to: address, channelInitializer: initializer)
            } else {
                pending = try await bootstrap.connect(host: endpoint.host, port: endpoint.port, channelInitializer: initializer)
            }
            upgraded = pending
            return try await upgraded.get()
        } catch {
            throw Self.classify(error, endpoint: endpoint.description, securityProfile: profile.securityProfile)
        }
    }

    /// The early connection's result, or a timeout. Not a task group: awaiting a `Task`'s value ignores cancellation,
    /// so the group would wait for the early connection's own, longer, timeout.
    static func value(of task: Task<UpgradeResult, any Error>, within timeout: Duration) async throws -> UpgradeResult {
        let once = ResumeOnce<UpgradeResult>()
        return try await withCheckedThrowingContinuation { continuation in
            once.set(continuation)
            Task { once.resume(with: await task.result) }
            Task {
                try? await Task.sleep(for: timeout)
                once.resume(with: .failure(CSMSConnectionFailure.timeout("no answer to the WebSocket upgrade within \(timeout)")))
            }
        }
    }

    /// Closes a connection opened ahead that is not used, whenever it completes.
    static func discard(_ task: Task<UpgradeResult, any Error>) {
        Task { if case .websocket(let channel, _, _)? = try? await task.value { try? await channel.channel.close() } }
    }

    /// Whether a connection opened for `a` serves `b` (the timeout only limited the opening).
    static func sameConnection(_ a: ConnectionProfile, _ b: ConnectionProfile) -> Bool {
        a.csmsURL == b.csmsURL && a.stationId == b.stationId && a.securityProfile == b.securityProfile
            && a.basicAuthPassword == b.basicAuthPassword
    }

    /// Sorts a connection error into what the station reacts to. Typed where swift-nio-ssl gives a type
    /// (NIOSSLError's cases, NIOSSLExtraError, ChannelError); BoringSSL's own reasons (a verify failure, an alert, a
    /// version mismatch) reach Swift only as the text of `BoringSSLInternalError` (its packed error code is private in
    /// swift-nio-ssl 2.37), so for those the reason names of the handshake's error stack are matched, and nothing else.
    static func classify(_ error: any Error, endpoint: String, securityProfile: Int) -> CSMSConnectionFailure {
        if let failure = error as? CSMSConnectionFailure { return failure }
        if case ChannelError.connectTimeout = error { return .timeout("TCP connect to \(endpoint)") }
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return .invalidCsmsCertificate("\(endpoint): the certificate is not for this host (\(extra))")
        }
        guard let tls = error as? NIOSSLError else { return .failed("cannot connect to \(endpoint): \(error)") }
        switch tls {
        case .uncleanShutdown where securityProfile == 3:
            // TLS 1.3 checks the client certificate after the client's side of the handshake is done: a CSMS that
            // refuses it may just close (no alert reaches the station) before answering the upgrade.
            return .authenticationRefused("\(endpoint): the CSMS closed the TLS connection before answering the upgrade (the station's certificate refused?)")
        case .unableToValidateCertificate, .noCertificateToValidate:
            return .invalidCsmsCertificate("\(endpoint): \(tls)")
        case .handshakeFailed(.sslError(let stack)):
            let reasons = stack.map(\.description).joined(separator: "; ")
            func has(_ names: String...) -> Bool { names.contains { reasons.contains($0) } }
            // The CSMS refused the station's client certificate (profile 3): an alert from the server.
            if has("ALERT_CERTIFICATE_REQUIRED", "ALERT_BAD_CERTIFICATE", "ALERT_UNKNOWN_CA", "ALERT_CERTIFICATE_UNKNOWN") {
                return .authenticationRefused("\(endpoint): the CSMS refused the station's certificate (\(reasons))")
            }
            if has("CERTIFICATE_VERIFY_FAILED") { return .invalidCsmsCertificate("\(endpoint): \(reasons)") }
            if has("UNSUPPORTED_PROTOCOL", "PROTOCOL_VERSION") {
                return .invalidTLSVersion("\(endpoint): the CSMS offers no TLS 1.2 or above (\(reasons))")
            }
            return .failed("TLS handshake with \(endpoint) failed: \(reasons)")
        default:
            return .failed("cannot connect to \(endpoint): \(tls)")
        }
    }

    public func withConnection(
        _ profile: ConnectionProfile, _ session: @escaping @Sendable (CSMSConnection) async throws -> Void
    ) async throws {
        let pending = early.slot.withLock { slot -> (ConnectionProfile, Task<UpgradeResult, any Error>)? in
            defer { slot = nil }
            return slot
        }
        logger.debug("connecting with \(profile)")
        let result: UpgradeResult
        do {
            if let (earlyProfile, task) = pending, Self.sameConnection(earlyProfile, profile) {
                // Started before the profile's timeout was known: it gets this one's.
                do {
                    result = try await Self.value(of: task, within: profile.timeout)
                } catch {
                    Self.discard(task)
                    throw error
                }
            } else {
                // Started with other settings than the stored ones: closed unused.
                if let (_, task) = pending { Self.discard(task) }
                result = try await timedOpenUpgrade(profile)
            }
        } catch {
            throw Self.classify(error, endpoint: profile.csmsURL, securityProfile: profile.securityProfile)
        }
        let display = Self.endpoint(csmsURL: profile.csmsURL, stationId: profile.stationId)
        let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
        let extensions: [any WebSocketExtension]
        let pongs: PongRecorder
        switch result {
        case .websocket(let upgraded, let negotiated, let recorder):
            (channel, extensions, pongs) = (upgraded, negotiated, recorder)
        case .wrongSubprotocol(let selected):
            // Part 4 §3.3: without ocpp2.0.1 selected, the station does not talk.
            throw CSMSConnectionFailure.failed(
                "the CSMS did not select the ocpp2.0.1 subprotocol (it selected \(selected.map { "\"\($0)\"" } ?? "none"))")
        case .notUpgraded(let status) where status == .unauthorized || status == .forbidden:
            throw CSMSConnectionFailure.authenticationRefused("\(display): HTTP \(status!.code)")
        case .notUpgraded(let status):
            throw CSMSConnectionFailure.failed("WebSocket upgrade refused by \(display)\(status.map { ": HTTP \($0.code)" } ?? "")")
        }
        logger.info("connected to \(display) (security profile \(profile.securityProfile)\(extensions.isEmpty ? "" : ", permessage-deflate"))")

        let maxMessageSize = configuration.maxMessageSize
        let sessionError = SessionErrorBox()
        let ping = self.ping
        _ = try await WebSocketHandler.handle(
            type: .client,
            configuration: .init(
                extensions: extensions, autoPing: .disabled, closeTimeout: .seconds(3), validateUTF8: true,
                maxFrameSize: maxMessageSize),
            asyncChannel: channel,
            context: Context(logger: logger),
            handler: { inbound, outbound, context in
                let (incoming, sink) = AsyncThrowingStream.makeStream(of: String.self, throwing: (any Error).self)
                let connection = CSMSConnection(incoming: incoming, send: { text in try await outbound.write(.text(text)) })
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        var iterator = inbound.makeAsyncIterator()
                        do {
                            while let message = try await iterator.nextMessage(maxSize: maxMessageSize) {
                                switch message {
                                case .text(let text): sink.yield(text)
                                case .binary: context.logger.warning("binary WebSocket message ignored (OCPP-J is text)")
                                }
                            }
                            sink.finish()
                        } catch {
                            sink.finish(throwing: error)
                        }
                    }
                    group.addTask {
                        if await ping.run(outbound: outbound, pongs: pongs) {
                            context.logger.warning("no pong from the CSMS within WebSocketPingInterval: closing the connection")
                            sink.finish(throwing: CSMSConnectionFailure.timeout("no pong within WebSocketPingInterval"))
                            try? await channel.channel.close()
                        }
                    }
                    do {
                        try await session(connection)
                    } catch {
                        sessionError.set(error)
                    }
                    group.cancelAll()
                }
            })
        if let error = sessionError.get() { throw error }
        logger.info("connection to \(display) closed")
    }

    struct Context: WebSocketContext {
        let logger: Logger
    }
}

/// The connection `startConnecting()` opened ahead of the first `withConnection`.
final class EarlyConnection: Sendable {
    let slot = Mutex<(ConnectionProfile, Task<WebSocketCSMSTransport.UpgradeResult, any Error>)?>(nil)
}

/// WebSocket pings at OCPPCommCtrlr.WebSocketPingInterval, changed at any time.
final class PingControl: Sendable {
    private let interval = Mutex<Duration?>(nil)
    private let changed = Wakeup()

    func set(_ value: Duration?) {
        interval.withLock { $0 = value }
        changed.wake()
    }

    /// Pings every interval; returns true when a pong did not come back before the next ping was due (the CSMS or
    /// the path to it is gone, though TCP has not noticed), false when cancelled.
    func run(outbound: WebSocketOutboundWriter, pongs: PongRecorder) async -> Bool {
        var lastPing: ContinuousClock.Instant?
        while !Task.isCancelled {
            guard let period = interval.withLock({ $0 }), period > .zero else {
                lastPing = nil
                await changed.wait()
                continue
            }
            if let sent = lastPing {
                let due = sent + period
                if ContinuousClock.now < due {
                    await changed.wait(until: due)
                    continue
                }
                if pongs.lastPong.withLock({ $0 }).map({ $0 < sent }) ?? true { return true }
            }
            lastPing = ContinuousClock.now
            do {
                try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "ocpp"))))
            } catch {
                return false
            }
        }
        return false
    }
}

/// Resumes a continuation with the first result only.
final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, any Error>?>(nil)
    func set(_ value: CheckedContinuation<Value, any Error>) { continuation.withLock { $0 = value } }
    func resume(with result: Result<Value, any Error>) {
        let waiting = continuation.withLock { current -> CheckedContinuation<Value, any Error>? in
            defer { current = nil }
            return current
        }
        waiting?.resume(with: result)
    }
}

/// Notes when a pong arrives (WSCore answers pings and swallows pongs).
final class PongRecorder: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    let lastPong = Mutex<ContinuousClock.Instant?>(nil)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if Self.unwrapInboundIn(data).opcode == .pong { lastPong.withLock { $0 = .now } }
        context.fireChannelRead(data)
    }
}

/// Keeps the HTTP status of the answer to the upgrade request (401: the CSMS refused the credentials).
final class UpgradeStatusRecorder: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    private let recorded = Mutex<HTTPResponseStatus?>(nil)
    var status: HTTPResponseStatus? { recorded.withLock { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = Self.unwrapInboundIn(data) { recorded.withLock { $0 = head.status } }
        context.fireChannelRead(data)
    }
}

/// Carries the session's error out of the WebSocket handler (which only reports WebSocket-level errors).
final class SessionErrorBox: Sendable {
    private let storage = Mutex<(any Error)?>(nil)
    func set(_ error: any Error) { storage.withLock { $0 = error } }
    func get() -> (any Error)? { storage.withLock { $0 } }
}

/// Why a URL cannot be connected to.
public struct WebSocketTransportError: Error, Sendable, CustomStringConvertible {
    public let description: String

    static func invalidURL(_ url: String, _ reason: String) -> Self { .init(description: "invalid CSMS URL \(url): \(reason)") }
}

/// A parsed `ws://` or `wss://` URL.
struct Endpoint: Sendable, CustomStringConvertible {
    var secure: Bool
    var host: String
    var port: Int
    var path: String
    var isIPAddress: Bool

    init(parsing url: String) throws(WebSocketTransportError) {
        let rest: Substring
        if url.hasPrefix("ws://") {
            secure = false
            rest = url.dropFirst(5)
        } else if url.hasPrefix("wss://") {
            secure = true
            rest = url.dropFirst(6)
        } else {
            throw .invalidURL(url, "the scheme must be ws:// or wss://")
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let pathPart = rest.dropFirst(authority.count)
        path = pathPart.isEmpty ? "/" : String(pathPart)
        var hostPart = Substring(authority)
        if let at = hostPart.lastIndex(of: "@") { hostPart = hostPart[hostPart.index(after: at)...] }
        var portText: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw .invalidURL(url, "unclosed [ in the host") }
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
            isIPAddress = true
        } else {
            if let colon = hostPart.lastIndex(of: ":") {
                host = String(hostPart[..<colon])
                portText = hostPart[hostPart.index(after: colon)...]
            } else {
                host = String(hostPart)
            }
            isIPAddress = host.allSatisfy { $0.isNumber || $0 == "." }
        }
        if host.isEmpty { throw .invalidURL(url, "no host") }
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw .invalidURL(url, "port \"\(portText)\" is not a number from 1 to 65535")
            }
            port = number
        } else {
            port = secure ? 443 : 80
        }
    }

    var hostHeader: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return (secure && port == 443) || (!secure && port == 80) ? hostText : "\(hostText):\(port)"
    }

    var description: String { (secure ? "wss://" : "ws://") + hostHeader + path }
}

enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(table[Int(b0 >> 2)])
            out.append(table[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? table[Int((b1 & 0x0F) << 2 | b2 >> 6)] : "=")
            out.append(index + 2 < bytes.count ? table[Int(b2 & 0x3F)] : "=")
            index += 3
        }
        return out
    }
}
