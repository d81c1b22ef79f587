import OCPPMessages
import Testing

@testable import OCPPStation

/// H01/H03 as value types: which EVSEs reservations hold, and who may use them.
struct ReservationsTests {
    let evses = [
        EVSEDescription(id: 1, connectors: [ConnectorDescription(id: 1, type: "cType2")]),
        EVSEDescription(id: 2, connectors: [ConnectorDescription(id: 1, type: "cCCS2")]),
    ]
    let driver = IdTokenType(idToken: "DRIVER", type: .iso14443)
    let group = IdTokenType(idToken: "FLEET", type: .central)

    @Test func aSpecificReservationHoldsItsEVSEForItsTokenOrGroup() {
        let reservations = Reservations([Reservation(id: 1, expiresAt: 100, idToken: driver, groupIdToken: group, evseId: 2)])
        #expect(reservations.heldEVSEs(evses, free: [1, 2]).keys.sorted() == [2])
        let held = reservations.heldEVSEs(evses, free: [1, 2])[2]!
        #expect(held[0].isFor(driver, group: nil))
        #expect(held[0].isFor(IdTokenType(idToken: "MATE", type: .iso14443), group: group))  // H03.FR.04
        #expect(!held[0].isFor(IdTokenType(idToken: "MATE", type: .iso14443), group: nil))
    }

    @Test func anyEVSEReservationsHoldTheFreeEVSEsOnlyWhenNoneIsSpare() {
        let one = Reservations([Reservation(id: 1, expiresAt: 100, idToken: driver)])
        #expect(one.heldEVSEs(evses, free: [1, 2]).isEmpty)  // one of two free EVSEs is spare
        #expect(one.heldEVSEs(evses, free: [2]).keys.sorted() == [2])  // H01.FR.20: the last free one is Reserved
        let byType = Reservations([Reservation(id: 2, expiresAt: 100, idToken: driver, connectorType: "cCCS2")])
        #expect(byType.heldEVSEs(evses, free: [1, 2]).keys.sorted() == [2])  // H01.FR.24
    }

    @Test func expiredReservationsAreRemovedAndTheStateRoundTrips() {
        var reservations = Reservations([
            Reservation(id: 1, expiresAt: 100, idToken: driver, evseId: 1),
            Reservation(id: 2, expiresAt: 200, idToken: driver, groupIdToken: group, connectorType: "cCCS2"),
        ])
        #expect(Reservations(json: reservations.toJSON()) == reservations)
        let expired = reservations.removeExpired(now: 150)
        #expect(expired.map(\.id) == [1])
        #expect(reservations.nextExpiry == 200)
    }
}

/// G03/G04: availability as a value type.
struct OperationalStateTests {
    @Test func inoperativeStationEVSEOrConnectorAndScheduledChanges() {
        var state = OperationalState()
        state.set(.inoperative, for: .init(evse: 1, connector: 1))
        #expect(!state.isOperative(evse: 1, connector: 1) && state.isOperative(evse: 1))
        state.set(.inoperative, for: .init())
        #expect(!state.isOperative(evse: 2, connector: 1) && !state.isOperative(evse: 2))
        state.schedule(.operative, for: .init())
        let whileBusy = state.applyScheduled(busy: { _ in true })
        #expect(!whileBusy)
        let once = state.applyScheduled(busy: { _ in false })
        #expect(once)
        #expect(state.isOperative(evse: 2) && !state.isOperative(evse: 1, connector: 1))
        #expect(OperationalState(json: state.toJSON()) == state)
    }
}
