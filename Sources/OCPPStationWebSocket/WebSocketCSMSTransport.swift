// OCPP-J over WebSocket (Part 4 §3): the HTTP upgrade with the `ocpp2.0.1` subprotocol, then swift-websocket's
// WSCore runs the WebSocket itself (framing, ping/pong, close handshake, graceful shutdown).
//
// The upgrade is done here rather than with WSClient because the station must check which subprotocol the CSMS
// selected (Part 4 §3.3: refuse to talk when it is not ocpp2.0.1), and WSClient does not expose the response headers.
public import Logging
public import NIOCore
public import NIOPosix
internal import NIOHTTP1
internal import NIOWebSocket
public import NIOSSL
@_spi(WSInternal) internal import WSCore
internal import Synchronization
public import OCPPStation

public struct WebSocketCSMSTransport: CSMSTransport {
    public struct Configuration: Sendable {
        /// The full endpoint: `<csms-url>/<station-id>` with the id percent-encoded (see `endpoint(csmsURL:stationId:)`).
        public var url: String
        /// TLS for `wss://`; nil uses the system trust roots (security profiles 2 and 3 set their own).
        public var tlsConfiguration: TLSConfiguration?
        /// HTTP Basic authentication (security profiles 1 and 2): user is the station id.
        public var basicAuthentication: (user: String, password: String)?
        /// WebSocket ping interval (OCPPCommCtrlr.WebSocketPingInterval); nil or zero disables pings.
        public var pingInterval: Duration?
        /// Largest OCPP-J message accepted from the CSMS.
        public var maxMessageSize: Int
        public var connectTimeout: Duration

        public init(
            url: String, tlsConfiguration: TLSConfiguration? = nil, basicAuthentication: (user: String, password: String)? = nil,
            pingInterval: Duration? = nil, maxMessageSize: Int = 1 << 20, connectTimeout: Duration = .seconds(10)
        ) {
            self.url = url
            self.tlsConfiguration = tlsConfiguration
            self.basicAuthentication = basicAuthentication
            self.pingInterval = pingInterval
            self.maxMessageSize = maxMessageSize
            self.connectTimeout = connectTimeout
        }
    }

    public static let subprotocol = "ocpp2.0.1"

    let configuration: Configuration
    let endpoint: Endpoint
    let early = EarlyConnection()
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger

    public init(configuration: Configuration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger)
        throws(WebSocketTransportError)
    {
        self.configuration = configuration
        self.endpoint = try Endpoint(parsing: configuration.url)
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// `<csmsURL>/<stationId>`, the station id percent-encoded (Part 4 §3.1.1, errata 2025-01).
    public static func endpoint(csmsURL: String, stationId: String) -> String {
        var base = csmsURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/" + percentEncode(stationId)
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

    enum UpgradeResult: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case wrongSubprotocol(String?)
        case notUpgraded
    }

    /// The WebSocket ping interval for the next connections (OCPPCommCtrlr.WebSocketPingInterval; 0 disables).
    public func setPingInterval(_ interval: Duration?) {
        early.pingInterval.withLock { $0 = interval }
    }

    /// Starts opening the first connection now (TCP, TLS and the HTTP upgrade) so that it overlaps with the caller's
    /// own start-up work; the next `withConnection` takes it over. Nothing is sent on it before then.
    public func startConnecting() {
        let task = Task { try await self.openUpgrade() }
        early.slot.withLock { $0 = task }
    }

    /// Connects and starts the HTTP upgrade; the future completes when the CSMS answered the upgrade.
    func openUpgrade() async throws -> EventLoopFuture<UpgradeResult> {
        let sslContext: NIOSSLContext?
        if endpoint.secure {
            do {
                sslContext = try NIOSSLContext(configuration: configuration.tlsConfiguration ?? .makeClientConfiguration())
            } catch {
                throw WebSocketTransportError.tls("\(error)")
            }
        } else {
            sslContext = nil
        }
        let endpoint = self.endpoint
        let maxMessageSize = configuration.maxMessageSize
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.hostHeader)
        headers.add(name: "Sec-WebSocket-Protocol", value: Self.subprotocol)
        if let auth = configuration.basicAuthentication {
            headers.add(name: "Authorization", value: "Basic " + Base64.encode(Array("\(auth.user):\(auth.password)".utf8)))
        }
        let requestHeaders = headers

        let upgrade: EventLoopFuture<UpgradeResult>
        do {
            let bootstrap = ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout.components.seconds) * 1_000_000_000))
            // An IP literal needs no name resolution (saves a getaddrinfo round on every connect).
            let address = endpoint.isIPAddress ? try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) : nil
            let initializer: @Sendable (any Channel) -> EventLoopFuture<EventLoopFuture<UpgradeResult>> = { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext {
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
                                    let asyncChannel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                                        wrappingChannelSynchronously: channel)
                                    guard selected == Self.subprotocol else {
                                        channel.close(promise: nil)
                                        return .wrongSubprotocol(selected)
                                    }
                                    return .websocket(asyncChannel)
                                }
                            })
                        let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.path, headers: requestHeaders)
                        var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(
                            upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                                upgradeRequestHead: request, upgraders: [upgrader],
                                notUpgradingCompletionHandler: { channel in
                                    channel.close(promise: nil)
                                    return channel.eventLoop.makeSucceededFuture(.notUpgraded)
                                }))
                        pipeline.leftOverBytesStrategy = .forwardBytes
                        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                    }
                }
            if let address {
                upgrade = try await bootstrap.connect(to: address, channelInitializer: initializer)
            } else {
                upgrade = try await bootstrap.connect(host: endpoint.host, port: endpoint.port, channelInitializer: initializer)
            }
        } catch {
            throw WebSocketTransportError.connect(endpoint.description, "\(error)")
        }
        return upgrade
    }

    public func withConnection(_ session: @escaping @Sendable (CSMSConnection) async throws -> Void) async throws {
        let pending = early.slot.withLock { slot -> Task<EventLoopFuture<UpgradeResult>, any Error>? in
            defer { slot = nil }
            return slot
        }
        logger.debug("connecting to \(endpoint.description)")
        let upgrade: EventLoopFuture<UpgradeResult>
        if let pending {
            upgrade = try await pending.value
        } else {
            upgrade = try await openUpgrade()
        }
        let endpoint = self.endpoint
        let maxMessageSize = configuration.maxMessageSize
        let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
        do {
            switch try await upgrade.get() {
            case .websocket(let upgraded): channel = upgraded
            case .wrongSubprotocol(let selected):
                // Part 4 §3.3: without ocpp2.0.1 selected, the station does not talk.
                throw WebSocketTransportError.subprotocol(selected)
            case .notUpgraded: throw WebSocketTransportError.upgradeRefused(endpoint.description)
            }
        } catch let error as WebSocketTransportError {
            throw error
        } catch {
            throw WebSocketTransportError.upgradeRefused("\(endpoint.description): \(error)")
        }
        logger.info("connected to \(endpoint.description)")

        let autoPing: AutoPingSetup
        if let interval = early.pingInterval.withLock({ $0 }) ?? configuration.pingInterval, interval > .zero {
            autoPing = .enabled(timePeriod: interval)
        } else {
            autoPing = .disabled
        }
        let sessionError = SessionErrorBox()
        _ = try await WebSocketHandler.handle(
            type: .client,
            configuration: .init(
                extensions: [], autoPing: autoPing, closeTimeout: .seconds(3), validateUTF8: true,
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
                    do {
                        try await session(connection)
                    } catch {
                        sessionError.set(error)
                    }
                    group.cancelAll()
                }
            })
        if let error = sessionError.get() { throw error }
        logger.info("connection to \(endpoint.description) closed")
    }

    struct Context: WebSocketContext {
        let logger: Logger
    }
}

/// The connection `startConnecting()` opened ahead of the first `withConnection`.
final class EarlyConnection: Sendable {
    let slot = Mutex<Task<EventLoopFuture<WebSocketCSMSTransport.UpgradeResult>, any Error>?>(nil)
    /// Set once the device model is read (OCPPCommCtrlr.WebSocketPingInterval); used from the next connection on.
    let pingInterval = Mutex<Duration?>(nil)
}

/// Carries the session's error out of the WebSocket handler (which only reports WebSocket-level errors).
final class SessionErrorBox: Sendable {
    private let storage = Mutex<(any Error)?>(nil)
    func set(_ error: any Error) { storage.withLock { $0 = error } }
    func get() -> (any Error)? { storage.withLock { $0 } }
}

/// Why a connection to the CSMS could not be made or used.
public struct WebSocketTransportError: Error, Sendable, CustomStringConvertible {
    public let description: String

    static func invalidURL(_ url: String, _ reason: String) -> Self { .init(description: "invalid CSMS URL \(url): \(reason)") }
    static func connect(_ endpoint: String, _ reason: String) -> Self { .init(description: "cannot connect to \(endpoint): \(reason)") }
    static func tls(_ reason: String) -> Self { .init(description: "TLS configuration: \(reason)") }
    static func subprotocol(_ selected: String?) -> Self {
        .init(description: "the CSMS did not select the ocpp2.0.1 subprotocol (it selected \(selected.map { "\"\($0)\"" } ?? "none"))")
    }
    static func upgradeRefused(_ endpoint: String) -> Self { .init(description: "WebSocket upgrade refused by \(endpoint)") }
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
