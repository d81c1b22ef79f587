// The current limit each EVSE's hardware is given: the TxProfile of its transaction while one runs (F01.FR.10),
// otherwise the hardware's own maximum (as the board reported it at start).
internal import OCPPMessages
internal import Logging

/// What the station told the hardware, per EVSE.
struct ChargingLimits: Sendable, Hashable {
    /// The board's own limit at start, restored when no profile applies.
    var hardware: [Int: Double] = [:]
    var applied: [Int: Double] = [:]
    /// When a TxProfile's limit changes next, as of the last application: a deadline that stays until it is acted on
    /// (the timer must not lose it by recomputing it after the instant passed).
    var nextChange: Double?
}

extension ChargingStation {
    /// The hardware's own limits. Only a TxProfile changes them, and it is undone when its transaction ends: the
    /// limit the board reports at start is its own, unless a transaction with a TxProfile was cut (a crash, a power
    /// cut); for that EVSE the limit remembered from an earlier start is taken, and the board is set back to it.
    func loadChargingLimits() async {
        var remembered: [Int: Double] = [:]
        if let json = await persisted(forKey: StoreKeys.hardwareLimits) {
            for item in json.arrayValue ?? [] {
                if let evse = item["evse"]?.intValue, let amps = item["amps"]?.doubleValue { remembered[Int(evse)] = amps }
            }
        }
        let cut = Set(((try? await outbox.transactions()) ?? []).filter { OpenTransaction($0)?.txProfile != nil }.map(\.evseId))
        for (evse, state) in physical {
            chargingLimits.applied[evse] = state.limitA
            chargingLimits.hardware[evse] = cut.contains(evse) ? remembered[evse] ?? state.limitA : state.limitA
        }
        if chargingLimits.hardware != remembered {
            let json = JSONValue.array(chargingLimits.hardware.sorted { $0.key < $1.key }.map { evse, amps in
                var o = JSONObject()
                o["evse"] = .int(Int64(evse))
                o["amps"] = .double(amps)
                return .object(o)
            })
            _ = await persist(json, forKey: StoreKeys.hardwareLimits)
        }
        await applyChargingLimits()
    }

    /// Sets each EVSE's limit to what its transaction's TxProfile says now, only where it changed.
    func applyChargingLimits() async {
        let time = now().secondsSince1970
        var nextChange: Double?
        for evse in board.evses.map(\.id) {
            guard let hardware = chargingLimits.hardware[evse] else { continue }
            var profiled: Double?
            if let transaction = engine.session(evse)?.transaction, let profile = transaction.txProfile {
                let (amps, next) = TxProfile.limit(profile, transactionStart: transaction.startedAt, now: time)
                profiled = amps
                if let next { nextChange = min(nextChange ?? next, next) }
            }
            let wanted = min(profiled ?? hardware, hardware)
            guard chargingLimits.applied[evse] != wanted else { continue }
            do {
                try await board.setCurrentLimit(evse: evse, amps: wanted)
                chargingLimits.applied[evse] = wanted
                logger.info("EVSE \(evse): current limit \(wanted) A")
            } catch {
                logger.error("EVSE \(evse): cannot set the current limit: \(error)")
            }
        }
        chargingLimits.nextChange = nextChange
    }
}
