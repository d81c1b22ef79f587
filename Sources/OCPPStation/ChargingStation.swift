// The charging station: composes the blocks and routes to them. It owns the device model, the registration state
// and the connection loop; the transaction engine (Transactions/), metering (Metering/) and authorization
// (Authorization/) keep their own state in their own types, and the station feeds them inputs in order. Each
// functional block adds its part in an extension, in its own folder.
public import Logging
internal import OCPPMessages
internal import ServiceLifecycle
internal import Synchronization

public actor ChargingStation: StationView {
    /// Why `run()` returned.
    public enum Outcome: Sendable, Hashable {
        /// Graceful shutdown (SIGTERM) finished.
        case stopped
        /// The CSMS asked for a reset (B11); the caller reboots (re-executes the agent or runs the board's reboot command).
        case reset
    }

    /// Signals to the session driver. They survive across connections; the driver treats them as hints and
    /// re-reads state, so a stale or repeated signal does no harm.
    enum Signal: Sendable {
        case statusChanged
        case trigger(MessageTriggerEnumType, evseId: Int?, connectorId: Int?)
        case bootRetryDue(generation: Int)
        case heartbeatDue
        case reset
        case shutdown
        /// Close this connection and open the next one at once (a new password or certificate, A01/A02).
        case reconnect
        /// The CertSigning* back-off expired without a CertificateSigned (A02.FR.17).
        case certificateSigningDue(generation: Int)
    }

    /// What the station processes in order, whether or not a connection is open: hardware events and the work
    /// that CSMS requests leave behind (a remote start runs after its response is sent).
    enum Input: Sendable {
        case hardware(HardwareEvent)
        case remoteStart(RequestStartTransactionRequest, evse: Int)
        case remoteStop(transactionId: String)
        case transactionEventAnswered(transactionId: String, idToken: IdTokenType?, TransactionEventResponse)
        case timersDue
        case triggeredTransactionEvent(evse: Int?)
        case reset(ResetEnumType)
        case resetEVSE(Int)
        /// Something a scheduled reset waits for changed (a reservation ended).
        case idleChanged
    }

    // Ports
    let board: any BoardHardware
    let store: any StationStore
    let outbox: any MessageOutbox
    let transport: any CSMSTransport
    let wallClock: any WallClock
    public nonisolated let logger: Logger

    // State
    var deviceModel: DeviceModel
    /// What variables do besides holding a value: validators, effects on set, live values (DeviceModel/).
    var variables = VariableRegistry(ChargingStation.variableBindings)
    /// The variable monitors (block N, Monitoring/) and what wakes their timer.
    var monitoring = MonitorBook()
    let monitorWakeup = Wakeup()
    var boot = BootStateMachine()
    var bootReason: BootReasonEnumType = .powerUp
    var engine: TransactionEngine
    /// The contactor's interlock (Safety/): the engine grants energy, the interlock closes the contactor.
    var safety: SafetyInterlock
    var faultEventCauses = FaultEventCauses()
    let authorizerOverride: (any IdTokenAuthorizer)?
    /// The Local Authorization List and the authorization cache (Authorization/), persisted in `authorizationStore`.
    var localAuthorization = LocalAuthorization()
    let authorizationStore: any AuthorizationStore
    /// Beyond this many queued messages, intermediate Updated TransactionEvents are thinned (E12.FR.04/05).
    let queueCapacity: Int
    /// How many messages the outbox holds (read at start, then counted), so a commit needs no count query.
    var queuedCount = 0
    var resetWhenIdle = false
    /// A scheduled reset is going ahead (its events are being delivered).
    var scheduledResetGoing = false
    /// What ChangeAvailability set (Availability/), persisted.
    var operationalState = OperationalState()
    /// The current limit given to each EVSE (SmartCharging/).
    var chargingLimits = ChargingLimits()
    /// The reservations held (Reservation/), persisted.
    var reservations = Reservations()
    /// The embedding firmware's DataTransfer handlers, by vendorId (DataTransfer/).
    var dataTransferHandlers: [String: DataTransferHandler] = [:]
    /// When the last clock-aligned samples were taken (station clock, seconds since 1970).
    var lastAlignedSample: Double = 0
    var lastAlignedEndedSample: Double = 0
    let inputs: AsyncStream<Input>
    let inputSink: AsyncStream<Input>.Continuation
    /// Wakes the outbox delivery (a commit, the boot accepted) and whoever waits for a delivery.
    let outboxWakeup = Wakeup()
    let deliveredWakeup = Wakeup()
    /// Wakes the transaction timer when deadlines may have moved.
    let timerWakeup = Wakeup()
    /// Wakes the connection loop's back-off wait when a reset is due.
    let resetWakeup = Wakeup()
    var statusRetryTask: Task<Void, Never>?
    var clockOffset: Double = 0
    var physical: [Int: EVSEPhysicalState] = [:]
    /// The last status the CSMS acknowledged per (evse, connector).
    var reportedStatus: [ConnectorKey: ConnectorStatusEnumType] = [:]
    var offlineSince: ContinuousClock.Instant?
    var resetRequested = false
    var bootRetryGeneration = 0
    var session: RPCSession?
    var sessionOpened = false
    var lastBootAction: BootStateMachine.Action?
    /// When the BootNotification may go again after Pending or Rejected; kept across reconnects (B02.FR.04, B03.FR.02).
    var bootRetryAt: ContinuousClock.Instant?
    let heartbeatWakeup = Wakeup()
    // Connection and security (Provisioning/Connection.swift, Security/)
    let provisioning: ConnectionProvisioning
    var networkProfiles = NetworkProfiles()
    let securityLog: (any SecurityEventLog)?
    var reconnectRequested = false
    /// The station's certificates, keys and trust stores (Security/, CertificateManagement/).
    let certificates: any CertificateStorage
    var certificateSigning = CertificateSigning()
    /// Whether a CSMS root certificate is installed (profiles 2 and 3 need one, A05.FR.03).
    var hasCSMSRootCertificate: Bool
    /// Whether the station has a certificate of its own (profile 3 needs one, A05.FR.02).
    var hasStationCertificate: Bool

    /// Where signals go: the driver of the current connection. Each connection gets a fresh stream, because an
    /// AsyncStream ends for good when a task waiting on it is cancelled (as the driver is when a connection drops).
    let signalSink = SignalSink()

    struct ConnectorKey: Hashable, Sendable {
        var evse: Int
        var connector: Int
    }

    /// The default `queueCapacity`: 200,000 messages, twice the 100,000 queued events the station must hold; on the
    /// sim board's SQLite file that is about 100 MB.
    public static let defaultQueueCapacity = 200_000

    /// - Parameters:
    ///   - outbox: the durable queue of TransactionEvent and SecurityEventNotification messages, and the open
    ///     transaction records.
    ///   - authorizer: decides on presented idTokens the local list and the cache do not decide; default:
    ///     AuthorizeRequest to the CSMS.
    ///   - authorizationStore: where the authorization cache and the Local Authorization List are kept; default: in
    ///     memory (lost on restart).
    ///   - queueCapacity: beyond this many queued messages, intermediate Updated TransactionEvents are thinned
    ///     (E12.FR.04/05); Started and Ended are never dropped.
    public init(
        deviceModel: DeviceModel,
        board: any BoardHardware,
        store: any StationStore,
        outbox: any MessageOutbox,
        transport: any CSMSTransport,
        wallClock: any WallClock = SystemWallClock(),
        authorizer: (any IdTokenAuthorizer)? = nil,
        authorizationStore: (any AuthorizationStore)? = nil,
        queueCapacity: Int = ChargingStation.defaultQueueCapacity,
        provisioning: ConnectionProvisioning = ConnectionProvisioning(stationId: "CS001", csmsURL: "ws://127.0.0.1/ocpp", securityProfile: 0),
        securityLog: (any SecurityEventLog)? = nil,
        certificates: (any CertificateStorage)? = nil,
        logger: Logger
    ) {
        self.provisioning = provisioning
        self.certificates = certificates ?? InMemoryCertificateStorage()
        self.hasCSMSRootCertificate = provisioning.hasCSMSRootCertificate
        self.hasStationCertificate = provisioning.hasStationCertificate
        self.securityLog = securityLog
        self.deviceModel = deviceModel
        self.board = board
        self.store = store
        self.outbox = outbox
        self.engine = TransactionEngine(evseIds: board.evses.map(\.id), settings: TransactionSettings(deviceModel))
        self.safety = SafetyInterlock(evseIds: board.evses.map(\.id))
        self.authorizerOverride = authorizer
        self.authorizationStore = authorizationStore ?? InMemoryAuthorizationStore()
        self.queueCapacity = max(1, queueCapacity)
        (self.inputs, self.inputSink) = AsyncStream.makeStream(of: Input.self, bufferingPolicy: .unbounded)
        self.transport = transport
        self.wallClock = wallClock
        self.logger = logger
    }

    // MARK: Time

    /// Now, by the clock the CSMS set (B01.FR.06).
    func now() -> OCPPDateTime {
        OCPPDateTime(secondsSince1970: wallClock.systemSecondsSince1970() + clockOffset)
    }

    func adoptCSMSTime(_ time: OCPPDateTime) {
        // TimeSource Heartbeat: take the CSMS's clock (B01.FR.06); another source first: keep the station's own.
        guard timeFromCSMS else { return }
        clockOffset = time.secondsSince1970 - wallClock.systemSecondsSince1970()
    }

    var messageTimeout: Duration {
        .seconds(deviceModel.integer("OCPPCommCtrlr", "MessageTimeout", instance: "Default") ?? 30)
    }

    var heartbeatInterval: Duration {
        .seconds(max(1, deviceModel.integer("OCPPCommCtrlr", "HeartbeatInterval") ?? 300))
    }

    // MARK: Running

    /// Runs the station until a graceful shutdown or a reset. Connects, boots, reconnects with back-off.
    public func run() async -> Outcome {
        return await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                // Loading the state runs while the first connection is being opened: the BootNotification waits for
                // both, and neither waits for the other.
                let events = board.events
                let sink = inputSink
                group.addTask {
                    for await event in events { sink.yield(.hardware(event)) }
                }
                // The inputs are processed, and the timers run, once the state is loaded; hardware events that come
                // meanwhile wait in the stream.
                let inputs = inputs
                group.addTask { [weak self] in
                    await self?.prepare()
                    await withTaskGroup(of: Void.self) { inner in
                        inner.addTask { [weak self] in
                            for await input in inputs {
                                await self?.process(input)
                                await self?.evaluateMonitors()  // N07: monitors see what the input changed
                            }
                        }
                        inner.addTask { [weak self] in await self?.transactionTimer() }
                        inner.addTask { [weak self] in await self?.monitorTimer() }
                    }
                }
                let outcome = await connectionLoop()
                group.cancelAll()
                return outcome
            }
        } onGracefulShutdown: { [signalSink] in
            signalSink.yield(.shutdown)
        }
    }

    /// The boot reason and the variables the CSMS changed are loaded: the BootNotification may go.
    var prepared = false
    let preparedWakeup = Wakeup()
    /// The hardware state, the transactions left open and the boot's security event are handled too: the blocks may
    /// act. This is not on the BootNotification's path (it may commit, and a commit waits for fsync).
    var recovered = false
    let recoveredWakeup = Wakeup()

    func waitUntilPrepared() async {
        while !prepared && !Task.isCancelled {
            await preparedWakeup.wait()
        }
    }

    /// Waits for `recovered`. Several tasks wait for it at start, so each looks again every few milliseconds rather
    /// than rely on being woken.
    func waitUntilRecovered() async {
        while !recovered && !Task.isCancelled {
            await recoveredWakeup.wait(until: ContinuousClock.now + .milliseconds(20))
        }
    }

    /// Loads what the last run left behind: first the boot reason and the variables the CSMS changed (all the
    /// BootNotification needs), then the hardware state, the transactions an unclean stop left open and the boot's
    /// security event.
    func prepare() async {
        do {
            if let reason = try await store.value(forKey: StoreKeys.bootReason), let parsed = BootReasonEnumType(rawValue: reason) {
                bootReason = parsed
            }
            // B11.FR.02, G03.FR.08: Unavailable survives the reboot, and is what the first StatusNotifications say.
            await loadOperationalState()
            await loadReservations()  // B11.FR.05: Reserved survives the reboot
            for (key, value) in try await store.variableValues() {
                switch deviceModel.write(value, to: key) {
                case .accepted: break
                default: logger.warning("stored value \(value) for \(key) no longer fits the device model; using the file's value")
                }
            }
        } catch {
            logger.error("cannot read the station's state: \(error); booting with the device model's values")
        }
        await loadNetworkProfiles()
        await loadCertificates()
        prepared = true
        preparedWakeup.wake()
        defer {
            recovered = true
            recoveredWakeup.wake()
        }
        for state in await board.physicalState() {
            physical[state.evse] = state
            engine.restore(evse: state.evse, evCharging: state.evCharging, faults: state.faults)
            // The hardware outlives the agent: no power path and no lock survive a restart without an authorization.
            // Faults still active are reported again.
            await performSafety(safety.restore(evse: state.evse, faults: state.faults, contactorClosed: state.contactorClosed))
            if let plugged = state.connectors.first(where: \.plugged) {
                await applySafety(.lockRequired(hasLock(evse: state.evse, connector: plugged.id)), evse: state.evse)
                await applySafety(.controlPilot(state.evCharging ? .c : .b), evse: state.evse)
            }
            if state.locked { await perform([.lock(evse: state.evse, locked: false)]) }
        }
        await loadAuthorization()
        await loadChargingLimits()
        await recoverTransactions()
        for state in physical.values.sorted(by: { $0.evse < $1.evse }) {
            guard let connector = state.connectors.first(where: \.plugged)?.id else { continue }
            await step(state.evse) { $0.handle(.cablePlugged(connector: connector), evse: state.evse, $1) }
        }
        // Part 2 block A, security events: StartupOfTheDevice after a power-up, ResetOrReboot after a reset; queued
        // with the time it happened and delivered after a crash too (A04.FR.02).
        await securityEvent(bootReason == .powerUp ? "StartupOfTheDevice" : "ResetOrReboot")
        await loadMonitors()
    }

    /// One connection: a reader answering the CSMS, and the driver doing the station's own work.
    func runSession(_ connection: CSMSConnection) async throws {
        sessionOpened = true
        await connectionOpened()
        if boot.registration == .accepted && networkProfiles.switchedSinceRegistration {
            // Errata B10.FR.10: connected through another network connection profile than the one the CSMS
            // accepted: register again, though the station did not reboot; nothing else goes before that.
            boot.registerAgain()
        }
        let rpc = RPCSession(
            send: connection.send,
            dispatch: { [weak self] action, frame in
                guard let self else { return .failure(OCPPCallError(.internalError, "station stopped")) }
                return await self.dispatch(action, frame)
            },
            refuseUnknown: { [weak self] name in await self?.boot.refusal(forActionNamed: name) },
            logger: logger)
        session = rpc
        defer { session = nil }
        let signals = signalSink.open()
        defer { signalSink.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await text in connection.incoming {
                    try await rpc.receive(text)
                }
            }
            group.addTask { [self] in
                await self.heartbeatTimer(rpc)
            }
            group.addTask { [self] in
                try await self.drive(rpc, signals)
            }
            group.addTask { [self] in
                await self.deliverOutbox(rpc)
            }
            // Whichever ends first ends the session: the CSMS closed, or the driver is done (reset, shutdown).
            _ = try await group.next()
            group.cancelAll()
            bootRetryTask?.cancel()
            statusRetryTask?.cancel()
            await rpc.close()
        }
    }

    /// The station's side of a session: boot, then report status, heartbeat and serve triggers.
    func drive(_ rpc: RPCSession, _ signals: AsyncStream<Signal>) async throws {
        await waitUntilPrepared()
        if Task.isShuttingDownGracefully { return }
        var iterator = signals.makeAsyncIterator()
        if boot.registration != .accepted {
            if let retryAt = bootRetryAt, retryAt > ContinuousClock.now {
                // B02.FR.04, B03.FR.02: a new connection does not cut short the interval the CSMS gave.
                scheduleBootRetry(after: retryAt - ContinuousClock.now)
            } else {
                try await sendBootNotification(rpc)
            }
        } else {
            // Reconnected after being accepted: no new BootNotification (B01.FR.03 asks for one per boot only).
            if let since = offlineSince,
                ContinuousClock.now - since > .seconds(deviceModel.integer("OCPPCommCtrlr", "OfflineThreshold") ?? 60)
            {
                // Offline longer than OfflineThreshold: report every connector again.
                reportedStatus.removeAll()
            }
            offlineSince = nil
            await afterAccepted(rpc)
        }
        while let signal = await iterator.next() {
            await waitUntilRecovered()
            switch signal {
            case .shutdown:
                return
            case .reset:
                if resetRequested { return }
            case .reconnect:
                if reconnectRequested { return }
            case .statusChanged:
                if boot.maySendUnprompted { await reportStatusChanges(rpc) }
            case .heartbeatDue:
                if boot.maySendUnprompted, ContinuousClock.now >= (await rpc.lastSent) + heartbeatInterval {
                    await sendHeartbeat(rpc)
                }
                heartbeatWakeup.wake()
            case .bootRetryDue(let generation):
                if generation == bootRetryGeneration && boot.registration != .accepted {
                    try await sendBootNotification(rpc)
                }
            case .trigger(let message, let evseId, let connectorId):
                try await sendTriggered(message, evseId: evseId, connectorId: connectorId, rpc)
            case .certificateSigningDue(let generation):
                if boot.maySendTriggered { await certificateSigningDue(generation: generation, rpc) }
            }
            if Task.isCancelled { return }
        }
    }

    /// Sends BootNotification; on Accepted finishes the boot, otherwise schedules the retry.
    func sendBootNotification(_ rpc: RPCSession) async throws {
        var action: BootStateMachine.Action
        do {
            let response = try await rpc.call(bootNotificationRequest(), timeout: messageTimeout) { [weak self] response in
                await self?.bootAnswered(response)
            }
            action = lastBootAction ?? boot.received(response)
            logger.info("BootNotification \(response.status.rawValue), interval \(response.interval) s")
        } catch let failure as RPCCallFailure {
            if case .connectionClosed = failure.kind { throw failure }
            logger.warning("BootNotification failed: \(failure)")
            action = boot.failed()
        }
        lastBootAction = nil
        switch action {
        case .registered(let interval):
            bootRetryAt = nil
            networkProfiles.registeredSlot = networkProfiles.attemptedSlot
            if let interval {
                // B01.FR.04: adopt the CSMS's heartbeat interval.
                setStationValue(String(interval.components.seconds), for: StoreKeys.heartbeatInterval)
            }
            offlineSince = nil
            heartbeatWakeup.wake()
            await afterAccepted(rpc)
        case .retry(let wait):
            bootRetryAt = ContinuousClock.now + wait
            scheduleBootRetry(after: wait)
        }
    }

    func scheduleBootRetry(after wait: Duration) {
        bootRetryGeneration += 1
        let generation = bootRetryGeneration
        let sink = signalSink
        scheduleBootRetry {
            try? await Task.sleep(for: wait)
            sink.yield(.bootRetryDue(generation: generation))
        }
    }

    /// The registration takes effect as soon as the answer arrives, before the CSMS's next frame is read (a CALL
    /// right after Rejected must get SecurityError, B03.FR.08).
    func bootAnswered(_ response: BootNotificationResponse) {
        adoptCSMSTime(response.currentTime)
        lastBootAction = boot.received(response)
    }

    /// A pending boot retry runs as its own task so the driver keeps serving the CSMS meanwhile. It is cancelled
    /// with the session.
    var bootRetryTask: Task<Void, Never>?
    func scheduleBootRetry(_ body: @escaping @Sendable () async -> Void) {
        bootRetryTask?.cancel()
        bootRetryTask = Task { await body() }
    }

    /// After BootNotification Accepted (first time this boot, or on a reconnect).
    func afterAccepted(_ rpc: RPCSession) async {
        bootRetryTask?.cancel()
        await waitUntilRecovered()  // the security event queued and the hardware read: what is reported now
        // B01.FR.08: queued messages leave only now. The boot's security event goes before the statuses; a long
        // queue (after an outage) holds the status report back by at most MessageTimeout.
        outboxWakeup.wake()
        await waitForOutboxDelivered(timeout: messageTimeout)
        await reportStatusChanges(rpc)
        await checkCertificateExpiry(rpc)
    }

    /// Sleeps until the connection has been silent for the heartbeat interval, then signals the driver. Woken early
    /// when the interval changes (BootNotification Accepted, SetVariables), so it never polls.
    func heartbeatTimer(_ rpc: RPCSession) async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let deadline = await rpc.lastSent + heartbeatInterval
            if clock.now >= deadline {
                signalSink.yield(.heartbeatDue)
                // The heartbeat (or anything else) moves lastSent; wait for the driver before recomputing.
                await heartbeatWakeup.wait()
                continue
            }
            let wakeup = heartbeatWakeup
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await Task.sleep(until: deadline, clock: clock) }
                group.addTask { await wakeup.wait() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    // MARK: CALLs from the CSMS

    func dispatch(_ action: OCPPAction, _ frame: RPCFrame) async -> Result<CallReply, OCPPCallError> {
        if let refusal = boot.refusal(for: action) { return .failure(refusal) }
        await waitUntilRecovered()  // a few milliseconds at start at most: every block answers from its real state
        do {
            return .success(try await handle(action, frame))
        } catch let error as OCPPCallError {
            return .failure(error)
        } catch {
            logger.error("handler for \(action.rawValue) failed: \(error)")
            return .failure(OCPPCallError(.internalError, "\(action.rawValue) failed"))
        }
    }

    /// Every block's CALL handlers. A block lists its own in its folder (`ActionRoute`); adding a block adds a line here.
    static let routes = ActionRouter([
        authorizationRoutes,
        availabilityRoutes,
        certificateManagementRoutes,
        dataTransferRoutes,
        diagnosticsRoutes,
        localAuthorizationListRoutes,
        deviceModelRoutes,
        monitoringRoutes,
        provisioningRoutes,
        remoteControlRoutes,
        reservationRoutes,
        securityRoutes,
        transactionRoutes,
    ])

    /// A known action that no block handles answers NotSupported (Part 4 §4.3: "Requested Action is recognized but
    /// not supported by the receiver").
    func handle(_ action: OCPPAction, _ frame: RPCFrame) async throws -> CallReply {
        guard let route = Self.routes.route(for: action) else {
            throw OCPPCallError(.notSupported, "\(action.rawValue) is not supported by this station yet")
        }
        return try await route.handle(self, frame)
    }
}

/// The continuation of the current connection's signal stream; signals while no connection is open are dropped (the
/// next connection re-reads the state they point at).
final class SignalSink: Sendable {
    private let current = Mutex<AsyncStream<ChargingStation.Signal>.Continuation?>(nil)

    func yield(_ signal: ChargingStation.Signal) {
        current.withLock { $0 }?.yield(signal)
    }

    func open() -> AsyncStream<ChargingStation.Signal> {
        let (stream, continuation) = AsyncStream.makeStream(of: ChargingStation.Signal.self, bufferingPolicy: .unbounded)
        let previous = current.withLock { current -> AsyncStream<ChargingStation.Signal>.Continuation? in
            defer { current = continuation }
            return current
        }
        previous?.finish()
        return stream
    }

    func close() {
        current.withLock { current -> AsyncStream<ChargingStation.Signal>.Continuation? in
            defer { current = nil }
            return current
        }?.finish()
    }
}

enum StoreKeys {
    static let bootReason = "bootReason"
    static let operationalState = "operationalState"
    static let reservations = "reservations"
    static let hardwareLimits = "hardwareLimits"
    static let heartbeatInterval = VariableAttributeKey(component: "OCPPCommCtrlr", variable: "HeartbeatInterval")
}
