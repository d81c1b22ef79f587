import OCPPMessages
import Testing

@testable import OCPPStation

/// When monitors trip (N07, N08), without I/O: values and times in, events out.
struct MonitorBookTests {
    let power = VariableAttributeKey(component: "EVSE", evseId: 1, variable: "Power")
    let state = VariableAttributeKey(component: "EVSE", evseId: 1, variable: "AvailabilityState")

    func run(_ book: inout MonitorBook, _ values: [VariableAttributeKey: String], at time: Double = 0) -> [(Int, EventTriggerEnumType, String, Bool)] {
        book.evaluate(now: time) { values[$0] }.map { ($0.monitor.id, $0.trigger, $0.actualValue, $0.cleared) }
    }

    @Test func thresholdsTripBeyondNotOnTheValueAndClear() {
        var book = MonitorBook([
            VariableMonitor(id: 1, key: power, type: .upperThreshold, value: 5000, severity: 4),
            VariableMonitor(id: 2, key: power, type: .lowerThreshold, value: 100, severity: 4),
        ])
        #expect(run(&book, [power: "5000"]).isEmpty)  // N07.FR.16: on the threshold is not beyond it
        #expect(run(&book, [power: "5001"]).map(\.0) == [1])
        #expect(run(&book, [power: "6000"]).isEmpty)  // still beyond: no second notice
        let cleared = run(&book, [power: "4000"])
        #expect(cleared.count == 1 && cleared[0].3)  // N07.FR.02
        #expect(run(&book, [power: "99"]).map(\.0) == [2])  // N07.FR.17
    }

    @Test func deltaOnNumbersAndOnText() {
        var book = MonitorBook([
            VariableMonitor(id: 1, key: power, type: .delta, value: 1000, severity: 5),
            VariableMonitor(id: 2, key: state, type: .delta, value: 1, severity: 5),
        ])
        #expect(run(&book, [power: "0", state: "Available"]).isEmpty)  // the first look sets the reference
        #expect(run(&book, [power: "1000", state: "Available"]).isEmpty)  // not more than 1000
        #expect(run(&book, [power: "1001", state: "Occupied"]).map(\.0) == [1, 2])  // N07.FR.18/19
        #expect(run(&book, [power: "1500", state: "Occupied"]).isEmpty)  // measured from the last notice
    }

    @Test func periodicAndClockAligned() {
        var book = MonitorBook([
            VariableMonitor(id: 1, key: power, type: .periodic, value: 60, severity: 8),
            VariableMonitor(id: 2, key: power, type: .periodicClockAligned, value: 900, severity: 8),
        ])
        #expect(run(&book, [power: "7"], at: 1000).isEmpty)
        #expect(book.nextDue == 1060)
        #expect(run(&book, [power: "7"], at: 1060).map { [$0.0: $0.1] } == [[1: .periodic]])  // N08.FR.05/06
        // N08.FR.07: at whole multiples of 900 s.
        #expect(run(&book, [power: "7"], at: 1800).map(\.0) == [1, 2])
        #expect(book.monitors[2]?.nextDue == 2700)
    }

    @Test func idsSkipTheHardWiredRangeAndMonitorsRoundTripThroughTheirStoredText() {
        var book = MonitorBook(
            [VariableMonitor(id: 900_000, key: power, type: .delta, value: 1, severity: 1, kind: .hardWiredMonitor)],
            customIdsBelow: 900_000)
        #expect(book.newId() == 1)
        var monitor = VariableMonitor(id: 7, key: power, type: .upperThreshold, value: 2.5, severity: 3, transaction: true)
        monitor.tripped = true
        book.put(monitor)
        #expect(book.newId() == 8)
        let restored = VariableMonitor(storedText: monitor.storedText)
        #expect(restored == monitor)
    }
}
