// A transaction between its Started and its Ended event, as it is persisted in the transaction record's state
// (TransactionRecord.state): enough to continue it, or to end it after an unclean stop with the last meter reading.
public import OCPPMessages

/// Who is authorized on an EVSE, and how (a tapped card, a RequestStartTransaction).
public struct SessionAuthorization: Sendable, Hashable {
    public var idToken: IdTokenType
    public var groupIdToken: IdTokenType?
    /// F01: the CSMS's id for a remote start, echoed in the next TransactionEvent (F01.FR.25).
    public var remoteStartId: Int?
    /// H01.FR.15: the reservation this authorization used, sent in the next TransactionEvent.
    public var reservationId: Int?
    /// F01.FR.10: the TxProfile of a RequestStartTransaction, for the transaction it starts.
    public var chargingProfile: ChargingProfileType?

    public init(
        idToken: IdTokenType, groupIdToken: IdTokenType? = nil, remoteStartId: Int? = nil, reservationId: Int? = nil,
        chargingProfile: ChargingProfileType? = nil
    ) {
        self.idToken = idToken
        self.groupIdToken = groupIdToken
        self.remoteStartId = remoteStartId
        self.reservationId = reservationId
        self.chargingProfile = chargingProfile
    }

    /// E08.FR.01/02: the same idToken, or one with the same groupIdToken, may stop the transaction.
    public func mayStop(with token: IdTokenType, group: IdTokenType?) -> Bool {
        if token.idToken == idToken.idToken && token.type == idToken.type { return true }
        guard let mine = groupIdToken, let group else { return false }
        return mine.idToken == group.idToken && mine.type == group.type
    }
}

public struct OpenTransaction: Sendable, Hashable {
    public var id: String
    public var evseId: Int
    /// The seqNo the next event gets (Part 2 "Sequence Number Generation": 0 in Started, +1 per event).
    public var nextSeqNo = 0
    public var connectorId: Int?
    public var chargingState: ChargingStateEnumType = .idle
    /// The idToken last reported in an event (E01.FR.10: sent once known).
    public var reportedIdToken: IdTokenType?
    public var groupIdToken: IdTokenType?
    public var evseReported = false
    /// A remoteStartId not yet reported (F01.FR.25).
    public var pendingRemoteStartId: Int?
    /// A reservationId not yet reported (H01.FR.15).
    public var pendingReservationId: Int?
    /// F01.FR.10: the charging profile the transaction obeys (from RequestStartTransaction).
    public var txProfile: ChargingProfileType?
    /// When the transaction started (station clock, seconds since 1970).
    public var startedAt: Double
    /// The last meter reading persisted with this record, and when it was taken: what an Ended event after a power
    /// loss carries (never more energy than was read).
    public var lastReading: MeterReading
    public var lastReadingAt: Double
    /// Meter values for the Ended event (J02: TxEndedMeasurands every TxEndedInterval, clock-aligned
    /// AlignedDataTxEndedMeasurands); kept here so that they survive a crash.
    public var endedMeterValues: [MeterValueType] = []
    /// Why the transaction will end when it does, when something before its end decided it (a remote stop while
    /// Authorized is not a stop point, F03.FR.02).
    public var stopReason: ReasonEnumType?
    /// E05.FR.03: energy allowed after the CSMS rejected the idToken (register value, Wh).
    public var invalidIdEnergyLimitWh: Double?
    public var nextUpdatedSample: Double?
    public var nextEndedSample: Double?

    public init(id: String, evseId: Int, startedAt: Double, reading: MeterReading) {
        self.id = id
        self.evseId = evseId
        self.startedAt = startedAt
        self.lastReading = reading
        self.lastReadingAt = startedAt
    }

    // MARK: Persistence

    public func record() -> TransactionRecord {
        TransactionRecord(transactionId: id, evseId: evseId, nextSeqNo: nextSeqNo, state: stateJSON().serialized())
    }

    func stateJSON() -> JSONValue {
        var o = JSONObject()
        o["connectorId"] = connectorId.map { .int(Int64($0)) }
        o["chargingState"] = .string(chargingState.rawValue)
        o["idToken"] = reportedIdToken?.toJSON()
        o["groupIdToken"] = groupIdToken?.toJSON()
        o["evseReported"] = .bool(evseReported)
        o["remoteStartId"] = pendingRemoteStartId.map { .int(Int64($0)) }
        o["reservationId"] = pendingReservationId.map { .int(Int64($0)) }
        o["txProfile"] = txProfile?.toJSON()
        o["startedAt"] = .double(startedAt)
        o["energyWh"] = .double(lastReading.energyWh)
        o["powerW"] = .double(lastReading.powerW)
        o["offeredA"] = .double(lastReading.offeredA)
        o["readingAt"] = .double(lastReadingAt)
        o["endedMeterValues"] = .array(endedMeterValues.map { $0.toJSON() })
        o["stopReason"] = stopReason.map { .string($0.rawValue) }
        o["invalidIdEnergyLimitWh"] = invalidIdEnergyLimitWh.map { .double($0) }
        o["nextUpdatedSample"] = nextUpdatedSample.map { .double($0) }
        o["nextEndedSample"] = nextEndedSample.map { .double($0) }
        return .object(o)
    }

    /// Reads a persisted record back; nil when its state is not one this engine wrote.
    public init?(_ record: TransactionRecord) {
        guard let json = try? JSONParser.parse(record.state), let startedAt = json["startedAt"]?.doubleValue else { return nil }
        self.init(
            id: record.transactionId, evseId: record.evseId, startedAt: startedAt,
            reading: MeterReading(
                energyWh: json["energyWh"]?.doubleValue ?? 0, powerW: json["powerW"]?.doubleValue ?? 0,
                offeredA: json["offeredA"]?.doubleValue ?? 0))
        nextSeqNo = record.nextSeqNo
        connectorId = json["connectorId"]?.intValue.map { Int($0) }
        chargingState = json["chargingState"]?.stringValue.flatMap(ChargingStateEnumType.init(rawValue:)) ?? .idle
        reportedIdToken = json["idToken"].flatMap { try? IdTokenType(json: $0) }
        groupIdToken = json["groupIdToken"].flatMap { try? IdTokenType(json: $0) }
        evseReported = json["evseReported"]?.boolValue ?? false
        pendingRemoteStartId = json["remoteStartId"]?.intValue.map { Int($0) }
        pendingReservationId = json["reservationId"]?.intValue.map { Int($0) }
        txProfile = json["txProfile"].flatMap { try? ChargingProfileType(json: $0) }
        lastReadingAt = json["readingAt"]?.doubleValue ?? startedAt
        endedMeterValues = json["endedMeterValues"]?.arrayValue?.compactMap { try? MeterValueType(json: $0) } ?? []
        stopReason = json["stopReason"]?.stringValue.flatMap(ReasonEnumType.init(rawValue:))
        invalidIdEnergyLimitWh = json["invalidIdEnergyLimitWh"]?.doubleValue
        nextUpdatedSample = json["nextUpdatedSample"]?.doubleValue
        nextEndedSample = json["nextEndedSample"]?.doubleValue
    }
}

/// Transaction ids: random UUIDs (RFC 9562 version 4) from the system's random source, so no two transactions of
/// this station share one, across reboots and a factory reset of its data directory too (E01.FR.08).
public enum TransactionIdGenerator {
    public static func uuid4<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // variant 10
        let digits = Array("0123456789abcdef")
        var text = ""
        for (index, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(index) { text.append("-") }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }

    public static func uuid4() -> String {
        var generator = SystemRandomNumberGenerator()
        return uuid4(using: &generator)
    }
}
