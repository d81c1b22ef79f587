// F01.FR.08-11: the charging profile a RequestStartTransaction may carry, kept for the transaction it starts and
// obeyed while it runs: the limit of its schedule's current period, from the transaction's start (Relative), from
// startSchedule (Absolute) or repeating daily/weekly from it (Recurring), within validFrom/validTo. Only this
// profile: the rest of smart charging (SetChargingProfile, stacking, composite schedules) is not built yet.
public import OCPPMessages

public enum TxProfile {
    /// Nominal phase voltage for a schedule in W.
    static let nominalVoltage = 230.0

    /// Why a profile cannot be used (the reasonCode for F01.FR.26), nil when it can.
    public static func problem(with profile: ChargingProfileType) -> String? {
        // F01.FR.09 TxProfile; F01.FR.11 no transactionId.
        guard profile.chargingProfilePurpose == .txProfile, profile.transactionId == nil else { return "InvalidProfile" }
        guard let schedule = profile.chargingSchedule.first else { return "InvalidSchedule" }
        let starts = schedule.chargingSchedulePeriod.map(\.startPeriod)
        guard starts.first == 0, zip(starts, starts.dropFirst()).allSatisfy({ $0 < $1 }),
            schedule.chargingSchedulePeriod.allSatisfy({ $0.limit >= 0 })
        else { return "InvalidSchedule" }
        if profile.chargingProfileKind != .relative && schedule.startSchedule == nil { return "InvalidSchedule" }
        if profile.chargingProfileKind == .recurring && profile.recurrencyKind == nil { return "InvalidProfile" }
        return nil
    }

    /// The limit in amperes per phase at `now` (nil: the profile sets none now, the hardware's maximum applies) and
    /// when it may change next (station clock, seconds since 1970).
    public static func limit(_ profile: ChargingProfileType, transactionStart: Double, now: Double) -> (amps: Double?, next: Double?) {
        guard let schedule = profile.chargingSchedule.first else { return (nil, nil) }
        if let from = profile.validFrom?.secondsSince1970, now < from { return (nil, from) }
        if let to = profile.validTo?.secondsSince1970, now >= to { return (nil, nil) }
        var origin: Double
        switch profile.chargingProfileKind {
        case .relative:
            origin = transactionStart
        case .absolute:
            origin = schedule.startSchedule?.secondsSince1970 ?? transactionStart
        case .recurring:
            origin = schedule.startSchedule?.secondsSince1970 ?? transactionStart
            let cycle: Double = profile.recurrencyKind == .weekly ? 7 * 86_400 : 86_400
            if now > origin { origin += ((now - origin) / cycle).rounded(.down) * cycle }
        }
        let elapsed = now - origin
        if elapsed < 0 { return (nil, origin) }
        if let duration = schedule.duration, elapsed >= Double(duration) {
            return (nil, profile.chargingProfileKind == .recurring ? origin + (profile.recurrencyKind == .weekly ? 7 * 86_400 : 86_400) : nil)
        }
        let periods = schedule.chargingSchedulePeriod
        guard let index = periods.lastIndex(where: { Double($0.startPeriod) <= elapsed }) else { return (nil, nil) }
        let period = periods[index]
        let amps = schedule.chargingRateUnit == .a
            ? period.limit : period.limit / (nominalVoltage * Double(period.numberPhases ?? 3))
        var next = index + 1 < periods.count ? origin + Double(periods[index + 1].startPeriod) : nil
        if let duration = schedule.duration { next = min(next ?? .infinity, origin + Double(duration)) }
        if let to = profile.validTo?.secondsSince1970 { next = min(next ?? .infinity, to) }
        return (amps, next)
    }
}
