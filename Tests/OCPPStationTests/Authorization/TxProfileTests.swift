import OCPPMessages
import Testing

@testable import OCPPStation

/// F01.FR.08-11, 26: the TxProfile of a RequestStartTransaction.
struct TxProfileTests {
    func profile(
        _ kind: ChargingProfileKindEnumType = .relative, purpose: ChargingProfilePurposeEnumType = .txProfile,
        unit: ChargingRateUnitEnumType = .a, periods: [(Int, Double)] = [(0, 16), (60, 8)], start: Double? = nil
    ) -> ChargingProfileType {
        ChargingProfileType(
            id: 1, stackLevel: 0, chargingProfilePurpose: purpose, chargingProfileKind: kind,
            chargingSchedule: [ChargingScheduleType(
                id: 1, startSchedule: start.map { OCPPDateTime(secondsSince1970: $0) }, chargingRateUnit: unit,
                chargingSchedulePeriod: periods.map { ChargingSchedulePeriodType(startPeriod: $0.0, limit: $0.1) })])
    }

    @Test func onlyATxProfileWithAUsableScheduleIsTaken() {
        #expect(TxProfile.problem(with: profile()) == nil)
        #expect(TxProfile.problem(with: profile(purpose: .txDefaultProfile)) == "InvalidProfile")
        #expect(TxProfile.problem(with: profile(periods: [(10, 16)])) == "InvalidSchedule")
        #expect(TxProfile.problem(with: profile(.absolute)) == "InvalidSchedule")  // no startSchedule
    }

    @Test func theLimitFollowsThePeriodsFromTheTransactionStart() {
        let relative = profile()
        #expect(TxProfile.limit(relative, transactionStart: 1000, now: 1030) == (16, 1060))
        #expect(TxProfile.limit(relative, transactionStart: 1000, now: 1060) == (8, nil))
        let watts = profile(unit: .w, periods: [(0, 6900)])
        #expect(TxProfile.limit(watts, transactionStart: 0, now: 5).amps == 10)  // 6900 W / (230 V x 3)
        let absolute = profile(.absolute, start: 2000)
        #expect(TxProfile.limit(absolute, transactionStart: 1000, now: 1500) == (nil, 2000))
        #expect(TxProfile.limit(absolute, transactionStart: 1000, now: 2070).amps == 8)
    }
}

/// What a transaction keeps of its authorization survives in its record: the reservationId not yet reported
/// (H01.FR.15) and the TxProfile (F01.FR.10).
struct TransactionRecordFleetTests {
    @Test func reservationIdAndTxProfileRoundTrip() throws {
        var transaction = OpenTransaction(id: "T-1", evseId: 1, startedAt: 100, reading: MeterReading(energyWh: 0))
        transaction.pendingReservationId = 7
        transaction.txProfile = TxProfileTests().profile()
        let restored = try #require(OpenTransaction(transaction.record()))
        #expect(restored.pendingReservationId == 7)
        #expect(restored.txProfile == transaction.txProfile)
    }
}
