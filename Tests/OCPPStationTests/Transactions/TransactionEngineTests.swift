import OCPPMessages
import Testing

@testable import OCPPStation

/// Drives a TransactionEngine on EVSE 1 and keeps what it asks the station to do.
struct EngineHarness {
    var engine: TransactionEngine
    var time = 1_700_000_000.0
    var energyWh = 1000.0
    var powerW = 0.0
    var offline = false
    var events: [TransactionEventRequest] = []
    var records: [String: TransactionRecord] = [:]
    var contactorClosed = false
    var locked = false
    private var ids = 0

    init(start: Set<TxPoint>, stop: Set<TxPoint>, configure: (inout TransactionSettings) -> Void = { _ in }) {
        var settings = TransactionSettings(startPoints: start, stopPoints: stop)
        configure(&settings)
        engine = TransactionEngine(evseIds: [1, 2], settings: settings)
    }

    var context: TransactionContext {
        mutating get {
            ids += 1
            return TransactionContext(
                now: OCPPDateTime(secondsSince1970: time), offline: offline,
                reading: MeterReading(energyWh: energyWh, powerW: powerW, offeredA: 32), newTransactionId: "tx-\(ids)")
        }
    }

    @discardableResult
    mutating func send(_ input: TransactionInput, evse: Int = 1) -> [TransactionEffect] {
        let context = self.context
        let effects = engine.handle(input, evse: evse, context)
        apply(effects)
        return effects
    }

    /// Advances the clock and runs what is due.
    mutating func advance(_ seconds: Double, energy: Double = 0) {
        let end = time + seconds
        while let next = engine.nextDeadline(), next <= end {
            energyWh += energy * (next - time) / seconds
            time = next
            for evse in engine.due(at: time) {
                let context = self.context
                apply(engine.tick(evse: evse, context))
            }
        }
        energyWh += energy * (end - time) / seconds
        time = end
    }

    mutating func apply(_ effects: [TransactionEffect]) {
        for effect in effects {
            switch effect {
            case .queue(let request, let change):
                events.append(request)
                record(change)
            case .persist(let record): records[record.transactionId] = record
            case .contactor(_, let closed): contactorClosed = closed
            case .lock(_, let value): locked = value
            }
        }
    }

    mutating func record(_ change: TransactionRecordChange) {
        switch change {
        case .save(let record): records[record.transactionId] = record
        case .remove(let id): records[id] = nil
        }
    }

    /// Plug, tap, the EV draws power.
    mutating func startCharging() {
        send(.cablePlugged(connector: 1))
        send(.authorized(Self.authorization(), trigger: .authorized))
        send(.evCharging(true))
    }

    /// Energy register values in TxEnded and every minute in Updated events.
    static func sampleEnergyEveryMinute(_ settings: inout TransactionSettings) {
        settings.endedMeasurands = [.energyActiveImportRegister]
        settings.updatedMeasurands = [.energyActiveImportRegister]
        settings.updatedInterval = 60
    }

    static let card = IdTokenType(idToken: "CARD1", type: .iso14443)
    static func authorization(_ token: IdTokenType = card, remoteStartId: Int? = nil) -> SessionAuthorization {
        SessionAuthorization(idToken: token, groupIdToken: nil, remoteStartId: remoteStartId)
    }
}

struct TransactionEngineTests {
    /// The sessions every combination runs: the cable first or the card first, then the EV charges, suspends, and
    /// the cable is unplugged.
    enum Action: Sendable { case plug, authorize, charge, suspend, unplug }
    enum Order: String, Sendable, CaseIterable, CustomStringConvertible {
        case cableFirst, cardFirst
        var description: String { rawValue }
        var actions: [Action] {
            self == .cableFirst ? [.plug, .authorize, .charge, .suspend, .unplug] : [.authorize, .plug, .charge, .suspend, .unplug]
        }
    }

    /// The conditions after each action (StopTxOnEVSideDisconnect: unplugging deauthorizes).
    static func conditions(after action: Action, _ order: Order) -> Set<TxPoint> {
        switch action {
        case .plug: return order == .cableFirst ? [.evConnected] : [.evConnected, .authorized, .powerPathClosed]
        case .authorize: return order == .cableFirst ? [.evConnected, .authorized, .powerPathClosed] : [.authorized]
        case .charge: return [.evConnected, .authorized, .powerPathClosed, .energyTransfer]
        case .suspend: return [.evConnected, .authorized, .powerPathClosed]
        case .unplug: return []
        }
    }

    static let startTriggers: [Action: TriggerReasonEnumType] = [
        .plug: .cablePluggedIn, .authorize: .authorized, .charge: .chargingStateChanged,
    ]

    /// Every non-empty set of TxStartPoint values, as MemberList text.
    static let startPointSets: [String] = subsets(of: TxPoint.allCases)
    /// Every non-empty set of TxStopPoint values (DataSigned is no stop point).
    static let stopPointSets: [Set<TxPoint>] = subsets(of: TxPoint.allCases.filter { $0 != .dataSigned }).map(TxPoint.list)

    static func subsets(of points: [TxPoint]) -> [String] {
        (1..<(1 << points.count)).map { mask in
            points.indices.filter { mask & (1 << $0) != 0 }.map { points[$0].rawValue }.joined(separator: ",")
        }
    }

    /// Each start point set against every stop point set, in both session orders: Started when a start point
    /// occurs, Ended when a stop condition that held is gone (PowerPathClosed = EVConnected or Authorized lost),
    /// the expectation worked out independently of the engine.
    @Test(arguments: startPointSets, Order.allCases)
    func everyStartAndStopPointCombination(startPoints: String, order: Order) {
        let start = TxPoint.list(startPoints)
        for stop in Self.stopPointSets {
            var stopConditions = stop
            if stopConditions.remove(.powerPathClosed) != nil { stopConditions.formUnion([.evConnected, .authorized]) }
            var previous: Set<TxPoint> = []
            var expectedStart: Action?
            var expectedEnd: Action?
            for action in order.actions {
                let now = Self.conditions(after: action, order)
                if expectedStart == nil, !now.subtracting(previous).intersection(start).isEmpty {
                    expectedStart = action
                } else if expectedStart != nil, expectedEnd == nil, !previous.subtracting(now).intersection(stopConditions).isEmpty {
                    expectedEnd = action
                }
                previous = now
            }
            check(start: start, stop: stop, order, expectedStart: expectedStart, expectedEnd: expectedEnd)
        }
    }

    func check(start: Set<TxPoint>, stop: Set<TxPoint>, _ order: Order, expectedStart: Action?, expectedEnd: Action?) {
        var h = EngineHarness(start: start, stop: stop)
        let label = "start \(start.map(\.rawValue).sorted()) stop \(stop.map(\.rawValue).sorted()) \(order)"
        var startedAt: Action?
        var endedAt: Action?
        for action in order.actions {
            let before = h.events.count
            switch action {
            case .plug: h.send(.cablePlugged(connector: 1))
            case .authorize: h.send(.authorized(EngineHarness.authorization(), trigger: .authorized))
            case .charge: h.send(.evCharging(true))
            case .suspend: h.send(.evCharging(false))
            case .unplug: h.send(.cableUnplugged(connector: 1))
            }
            for event in h.events[before...] {
                if event.eventType == .started {
                    #expect(startedAt == nil, "one Started per transaction: \(label)")
                    startedAt = action
                    #expect(event.triggerReason == Self.startTriggers[action], "\(label)")
                }
                if event.eventType == .ended {
                    #expect(endedAt == nil, "one Ended per transaction: \(label)")
                    endedAt = action
                }
            }
        }
        #expect(startedAt == expectedStart, "\(label)")
        #expect(endedAt == expectedEnd, "\(label)")
        // Gap-free seqNo from 0, in one transaction; the idToken reported once it was authorized (E01.FR.10).
        #expect(h.events.map(\.seqNo) == Array(0..<h.events.count), "\(label)")
        #expect(Set(h.events.map(\.transactionInfo.transactionId)).count <= 1, "\(label)")
        if startedAt != nil { #expect(h.events.contains { $0.idToken == EngineHarness.card }, "\(label)") }
        // A transaction that ended has no record left; one that did not, has its record with the next seqNo.
        if endedAt != nil {
            #expect(h.records.isEmpty, "\(label)")
            #expect(!h.contactorClosed && !h.locked, "\(label)")
        } else if startedAt != nil {
            #expect(h.records.values.first?.nextSeqNo == h.events.count, "\(label)")
        }
    }

    /// "start points | stop points".
    @Test(arguments: [
        "EVConnected,Authorized | EVConnected,Authorized",
        "PowerPathClosed | EVConnected,Authorized",
        "Authorized,EnergyTransfer | PowerPathClosed",
        "EVConnected,EnergyTransfer | EnergyTransfer,EVConnected",
        "ParkingBayOccupancy,EVConnected,Authorized,DataSigned,PowerPathClosed,EnergyTransfer | ParkingBayOccupancy,EVConnected,Authorized,PowerPathClosed,EnergyTransfer",
    ])
    func combinationsStartOnceAndEndOnce(points: String) {
        let parts = points.split(separator: "|")
        let start = TxPoint.list(String(parts[0])), stop = TxPoint.list(String(parts[1]))
        #expect(!start.isEmpty && !stop.isEmpty)
        var h = EngineHarness(start: start, stop: stop)
        h.send(.cablePlugged(connector: 1))
        h.send(.authorized(EngineHarness.authorization(), trigger: .authorized))
        h.send(.evCharging(true))
        h.send(.cableUnplugged(connector: 1))
        #expect(h.events.filter { $0.eventType == .started }.count == 1)
        #expect(h.events.last?.eventType == .ended)
        #expect(h.events.map(\.seqNo) == Array(0..<h.events.count))
        #expect(!h.contactorClosed && !h.locked)
    }

    @Test func cableFirstSessionReportsWhatTheSpecAsks() throws {
        var h = EngineHarness(start: [.evConnected, .authorized], stop: [.evConnected, .authorized]) {
            $0.startedMeasurands = [.energyActiveImportRegister]
        }
        h.send(.cablePlugged(connector: 1))
        let started = try #require(h.events.first)
        #expect(started.eventType == .started && started.seqNo == 0 && started.triggerReason == .cablePluggedIn)
        #expect(started.evse == EVSEType(id: 1, connectorId: 1))  // E01.FR.16
        #expect(started.transactionInfo.chargingState == .evConnected)
        #expect(started.idToken == nil)
        // E01.FR.09: Transaction.Begin values.
        #expect(started.meterValue?.first?.sampledValue.first?.context == .transactionBegin)
        #expect(started.meterValue?.first?.sampledValue.first?.value == 1000)
        #expect(started.offline == nil)
        #expect(!h.contactorClosed)

        h.send(.authorized(EngineHarness.authorization(), trigger: .authorized))
        let authorized = h.events[1]
        // E02.FR.20 / E01.FR.10: the idToken with triggerReason Authorized; chargingState changed (E01.FR.18).
        #expect(authorized.eventType == .updated && authorized.triggerReason == .authorized && authorized.seqNo == 1)
        #expect(authorized.idToken == EngineHarness.card)
        #expect(authorized.transactionInfo.chargingState == .suspendedEV)
        #expect(authorized.evse == nil)  // already reported
        #expect(h.contactorClosed && h.locked)

        h.send(.evCharging(true))
        #expect(h.events[2].transactionInfo.chargingState == .charging)
        #expect(h.events[2].triggerReason == .chargingStateChanged)
        #expect(h.events[2].idToken == nil)  // sent once

        h.send(.cableUnplugged(connector: 1))
        let ended = h.events[3]
        #expect(ended.eventType == .ended && ended.triggerReason == .evCommunicationLost && ended.seqNo == 3)
        #expect(ended.transactionInfo.stoppedReason == .evDisconnected)
        #expect(ended.transactionInfo.chargingState == .idle)
        #expect(!h.contactorClosed && !h.locked)  // E07.FR.07
    }

    @Test func eventsGeneratedOfflineSayOffline() {
        var h = EngineHarness(start: [.evConnected], stop: [.evConnected])
        h.offline = true
        h.send(.cablePlugged(connector: 1))
        h.offline = false
        h.send(.cableUnplugged(connector: 1))
        #expect(h.events.map(\.offline) == [true, nil])  // E12.FR.01/02
    }

    @Test func transactionIdsAreFreshUUIDs() {
        var ids = Set<String>()
        for _ in 0..<1000 { ids.insert(TransactionIdGenerator.uuid4()) }
        #expect(ids.count == 1000)
        let id = TransactionIdGenerator.uuid4()
        let parts = id.split(separator: "-").map(\.count)
        #expect(parts == [8, 4, 4, 4, 12])
        #expect(id.split(separator: "-")[2].first == "4")  // version 4
        #expect("89ab".contains(id.split(separator: "-")[3].first!))  // RFC 9562 variant
    }

    // MARK: Stop rules

    @Test func stopBySameTokenEndsWithLocal() {
        var h = EngineHarness(start: [.powerPathClosed], stop: [.evConnected, .authorized])
        h.send(.cablePlugged(connector: 1))
        h.send(.authorized(EngineHarness.authorization(), trigger: .authorized))
        #expect(h.events.map(\.eventType) == [.started])
        h.send(.stopAuthorized(by: EngineHarness.card))
        #expect(h.events.last?.eventType == .ended)
        #expect(h.events.last?.triggerReason == .stopAuthorized)
        #expect(h.events.last?.idToken == EngineHarness.card)  // E07.FR.02
        #expect(h.events.last?.transactionInfo.stoppedReason == .local)
        #expect(!h.contactorClosed && !h.locked)
    }

    @Test func groupTokenMayStop() {
        let group = IdTokenType(idToken: "FLEET", type: .central)
        let authorization = SessionAuthorization(idToken: EngineHarness.card, groupIdToken: group)
        #expect(authorization.mayStop(with: IdTokenType(idToken: "OTHER", type: .iso14443), group: group))
        #expect(!authorization.mayStop(with: IdTokenType(idToken: "OTHER", type: .iso14443), group: nil))
        #expect(authorization.mayStop(with: EngineHarness.card, group: nil))
    }

    @Test func remoteStopWhenAuthorizedIsNotAStopPoint() {
        // F03.FR.02: Updated with RemoteStop, only the energy stops; the transaction ends at its stop point, for the
        // reason it ends then (E06.FR.02/08: the cable came out, EVDisconnected).
        var h = EngineHarness(start: [.evConnected], stop: [.evConnected])
        h.send(.cablePlugged(connector: 1))
        h.send(.authorized(EngineHarness.authorization(remoteStartId: 7), trigger: .remoteStart))
        #expect(h.events[1].triggerReason == .remoteStart && h.events[1].transactionInfo.remoteStartId == 7)  // F01.FR.19/25
        h.send(.remoteStop)
        #expect(h.events[2].eventType == .updated && h.events[2].triggerReason == .remoteStop)
        #expect(h.events[2].transactionInfo.chargingState == .evConnected)
        #expect(!h.contactorClosed)
        h.send(.cableUnplugged(connector: 1))
        #expect(h.events[3].eventType == .ended && h.events[3].transactionInfo.stoppedReason == .evDisconnected)
    }

    @Test func remoteStopWhenAuthorizedIsAStopPoint() {
        var h = EngineHarness(start: [.powerPathClosed], stop: [.powerPathClosed])
        h.send(.authorized(EngineHarness.authorization(remoteStartId: 3), trigger: .remoteStart))
        #expect(h.events.isEmpty)
        h.send(.cablePlugged(connector: 1))
        #expect(h.events.first?.eventType == .started)
        #expect(h.events.first?.transactionInfo.remoteStartId == 3)
        h.send(.remoteStop)
        // F03.FR.03: Ended, RemoteStop, Remote.
        #expect(h.events.last?.eventType == .ended && h.events.last?.triggerReason == .remoteStop)
        #expect(h.events.last?.transactionInfo.stoppedReason == .remote)
    }

    @Test func invalidIdStopsWhenStopTxOnInvalidId() {
        var h = EngineHarness(start: [.powerPathClosed], stop: [.evConnected, .authorized])
        h.send(.cablePlugged(connector: 1))
        h.send(.authorized(EngineHarness.authorization(), trigger: .authorized))
        h.send(.idTokenRejected)
        #expect(h.events.last?.eventType == .ended && h.events.last?.triggerReason == .deauthorized)
        #expect(h.events.last?.transactionInfo.stoppedReason == .deAuthorized)
        #expect(!h.contactorClosed)
    }

    @Test func invalidIdSuspendsOtherwise() {
        // E05.FR.02: SuspendedEVSE, ChargingStateChanged, energy stopped; the transaction goes on.
        var h = EngineHarness(start: [.powerPathClosed], stop: [.evConnected]) { $0.stopTxOnInvalidId = false }
        h.send(.cablePlugged(connector: 1))
        h.send(.authorized(EngineHarness.authorization(), trigger: .authorized))
        h.send(.evCharging(true))
        #expect(h.contactorClosed)
        h.send(.idTokenRejected)
        #expect(h.events.last?.eventType == .updated && h.events.last?.triggerReason == .chargingStateChanged)
        #expect(h.events.last?.transactionInfo.chargingState == .suspendedEVSE)
        #expect(!h.contactorClosed)
    }

    @Test func maxEnergyOnInvalidIdAllowsThatMuchMore() {
        var h = EngineHarness(start: [.powerPathClosed], stop: [.evConnected]) {
            $0.stopTxOnInvalidId = false
            $0.maxEnergyOnInvalidId = 500
            EngineHarness.sampleEnergyEveryMinute(&$0)
        }
        h.startCharging()
        h.send(.idTokenRejected)
        #expect(h.contactorClosed)  // E05.FR.03
        h.advance(60, energy: 300)
        #expect(h.contactorClosed)
        h.advance(60, energy: 300)
        #expect(!h.contactorClosed)
        #expect(h.events.last?.transactionInfo.chargingState == .suspendedEVSE)
    }

    @Test func evConnectionTimeOutEndsAnAuthorizedStart() {
        var h = EngineHarness(start: [.authorized], stop: [.authorized, .evConnected]) { $0.evConnectionTimeOut = 30 }
        h.send(.authorized(EngineHarness.authorization(), trigger: .authorized))
        #expect(h.events.first?.eventType == .started)
        #expect(h.events.first?.evse == EVSEType(id: 1))
        h.advance(29)
        #expect(h.events.count == 1)
        h.advance(2)
        // E03.FR.05
        #expect(h.events.last?.eventType == .ended && h.events.last?.triggerReason == .evConnectTimeout)
        #expect(h.events.last?.transactionInfo.stoppedReason == .timeout)
    }

    @Test func evConnectionTimeOutDropsAnAuthorizationWithoutTransaction() {
        var h = EngineHarness(start: [.powerPathClosed], stop: [.powerPathClosed]) { $0.evConnectionTimeOut = 30 }
        h.send(.authorized(EngineHarness.authorization(), trigger: .authorized))
        h.advance(31)
        h.send(.cablePlugged(connector: 1))
        #expect(h.events.isEmpty)
        #expect(h.engine.session(1)?.authorization == nil)
    }

    @Test func unplugKeepsTheLockUntilTheTokenWhenConfigured() {
        // E09.FR.03: UnlockOnEVSideDisconnect false: unlocked only by the idToken.
        var h = EngineHarness(start: [.powerPathClosed], stop: [.evConnected, .authorized]) { $0.unlockOnEVSideDisconnect = false }
        h.send(.cablePlugged(connector: 1))
        h.send(.authorized(EngineHarness.authorization(), trigger: .authorized))
        #expect(h.locked)
        h.send(.cableUnplugged(connector: 1))
        #expect(h.events.last?.eventType == .ended)
        #expect(h.locked)
        h.send(.stopAuthorized(by: EngineHarness.card))
        #expect(!h.locked)
    }

    @Test func faultSuspendsAndEnergyTransferStopPointEnds() {
        var h = EngineHarness(start: [.powerPathClosed], stop: [.energyTransfer])
        h.startCharging()
        h.send(.faults([.groundFault]))
        #expect(h.events.last?.eventType == .ended)
        #expect(h.events.last?.transactionInfo.stoppedReason == .groundFault)
        #expect(h.events.last?.triggerReason == .abnormalCondition)
        #expect(!h.contactorClosed)
    }

    @Test func immediateResetEndsWhateverTheStopPoints() {
        var h = EngineHarness(start: [.evConnected], stop: [.parkingBayOccupancy])
        h.send(.cablePlugged(connector: 1))
        h.send(.forcedEnd(.immediateReset, trigger: .resetCommand))
        #expect(h.events.last?.eventType == .ended)
        #expect(h.events.last?.transactionInfo.stoppedReason == .immediateReset)
        #expect(h.events.last?.triggerReason == .resetCommand)
    }

    // MARK: Metering (J01/J02)

    @Test func meteringContexts() throws {
        var h = EngineHarness(start: [.powerPathClosed], stop: [.powerPathClosed]) {
            $0.startedMeasurands = [.energyActiveImportRegister]
            $0.updatedMeasurands = [.energyActiveImportRegister, .powerActiveImport]
            $0.updatedInterval = 60
            $0.endedMeasurands = [.energyActiveImportRegister]
            $0.endedInterval = 120
            $0.alignedMeasurands = [.energyActiveImportRegister]
            $0.alignedEndedMeasurands = [.energyActiveImportRegister]
        }
        h.send(.cablePlugged(connector: 1))
        h.send(.authorized(EngineHarness.authorization(), trigger: .authorized))
        h.send(.evCharging(true))
        h.powerW = 7400
        h.advance(240, energy: 480)
        let periodic = h.events.filter { $0.triggerReason == .meterValuePeriodic }
        #expect(periodic.count == 4)
        #expect(periodic.allSatisfy { $0.meterValue?.first?.sampledValue.allSatisfy { $0.context == .samplePeriodic } == true })
        #expect(periodic.first?.meterValue?.first?.sampledValue.map(\.measurand) == [.energyActiveImportRegister, .powerActiveImport])
        #expect(periodic.map { $0.meterValue!.first!.sampledValue.first!.value } == [1120, 1240, 1360, 1480])
        h.send(.alignedSample)
        #expect(h.events.last?.triggerReason == .meterValueClock)
        #expect(h.events.last?.meterValue?.first?.sampledValue.first?.context == .sampleClock)
        h.send(.alignedEndedSample)
        // The TxEnded values are in the record (they survive a crash).
        let record = try #require(h.records.values.first)
        #expect(OpenTransaction(record)?.endedMeterValues.count == 4)  // Begin, 2 periodic, 1 clock
        h.send(.remoteStop)
        let ended = try #require(h.events.last)
        #expect(ended.eventType == .ended)
        let contexts = ended.meterValue?.map { $0.sampledValue.first!.context }
        #expect(contexts == [.transactionBegin, .samplePeriodic, .samplePeriodic, .sampleClock, .transactionEnd])
        #expect(ended.meterValue?.map { $0.sampledValue.first!.value } == [1000, 1240, 1480, 1480, 1480])
        #expect(h.events.map(\.seqNo) == Array(0..<h.events.count))
    }

    @Test func triggerMessageReportsStateAndLatestValues() {
        var h = EngineHarness(start: [.evConnected], stop: [.evConnected]) { $0.updatedMeasurands = [.energyActiveImportRegister] }
        #expect(h.send(.triggered).isEmpty)  // no transaction: nothing
        h.send(.cablePlugged(connector: 1))
        h.send(.triggered)
        // F06.FR.07: triggerReason Trigger, the chargingState (unchanged, yet present), the latest values.
        #expect(h.events.last?.triggerReason == .trigger && h.events.last?.eventType == .updated)
        #expect(h.events.last?.transactionInfo.chargingState == .evConnected)
        #expect(h.events.last?.meterValue?.first?.sampledValue.first?.context == .trigger)
    }

    @Test func aChangedSampleIntervalAppliesAtOnce() {
        var h = EngineHarness(start: [.powerPathClosed], stop: [.powerPathClosed], configure: EngineHarness.sampleEnergyEveryMinute)
        h.startCharging()
        var settings = h.engine.settings
        settings.updatedInterval = 10
        h.engine.apply(settings, now: h.time)
        h.advance(30)
        #expect(h.events.filter { $0.triggerReason == .meterValuePeriodic }.count == 3)
        settings.updatedInterval = 0
        h.engine.apply(settings, now: h.time)
        #expect(h.engine.nextDeadline() == nil)
    }

    @Test func alignedScheduleCountsFromMidnight() {
        let day = 86_400.0 * 3
        #expect(MeterSampler.nextAligned(after: day + 100, interval: 900) == day + 900)
        #expect(MeterSampler.nextAligned(after: day + 900, interval: 900) == day + 1800)
        #expect(MeterSampler.nextAligned(after: day + 86_000, interval: 7000) == day + 86_400)
        #expect(MeterSampler.nextAligned(after: 5, interval: 0) == nil)
    }

    // MARK: After a restart

    @Test func powerLossEndsWithTheLastPersistedReading() throws {
        var h = EngineHarness(start: [.powerPathClosed], stop: [.powerPathClosed], configure: EngineHarness.sampleEnergyEveryMinute)
        h.startCharging()
        h.advance(60, energy: 100)
        let record = try #require(h.records.values.first)
        let restoredAt = h.time + 500
        // A new engine after the restart: the meter went on, but only what was persisted counts.
        let engine = TransactionEngine(evseIds: [1, 2], settings: h.engine.settings)
        let (ended, change) = engine.endedAfterRestart(
            record, reason: .powerLoss, now: OCPPDateTime(secondsSince1970: restoredAt), offline: true)
        #expect(ended.eventType == .ended && ended.seqNo == record.nextSeqNo && ended.seqNo == h.events.count)
        #expect(ended.transactionInfo.stoppedReason == .powerLoss && ended.triggerReason == .abnormalCondition)
        #expect(ended.offline == true)
        #expect(ended.transactionInfo.transactionId == record.transactionId)
        #expect(ended.meterValue?.last?.sampledValue.first?.value == 1100)
        #expect(ended.meterValue?.last?.sampledValue.first?.context == .transactionEnd)
        #expect(ended.meterValue?.last?.timestamp.secondsSince1970 == h.time)
        #expect(change == .remove(transactionId: record.transactionId))
        let reboot = engine.endedAfterRestart(record, reason: .reboot, now: OCPPDateTime(secondsSince1970: restoredAt), offline: false).0
        #expect(reboot.triggerReason == .resetCommand && reboot.transactionInfo.stoppedReason == .reboot)
    }

    @Test func recordStateRoundTrips() throws {
        var h = EngineHarness(start: [.evConnected], stop: [.evConnected]) { $0.endedMeasurands = [.energyActiveImportRegister] }
        h.send(.cablePlugged(connector: 1))
        h.send(.authorized(SessionAuthorization(idToken: EngineHarness.card, groupIdToken: IdTokenType(idToken: "G", type: .central), remoteStartId: 9), trigger: .remoteStart))
        let record = try #require(h.records.values.first)
        let transaction = try #require(OpenTransaction(record))
        #expect(transaction == h.engine.session(1)?.transaction)
    }

    @Test func dataSignedIsNoStopPoint() {
        let key = VariableAttributeKey(component: "TxCtrlr", variable: "TxStopPoint")
        #expect(TransactionSettings.problem(with: "EVConnected,DataSigned", for: key) != nil)
        #expect(TransactionSettings.problem(with: "EVConnected,Authorized", for: key) == nil)
        #expect(TransactionSettings.problem(with: "DataSigned", for: VariableAttributeKey(component: "TxCtrlr", variable: "TxStartPoint")) == nil)
    }
}
