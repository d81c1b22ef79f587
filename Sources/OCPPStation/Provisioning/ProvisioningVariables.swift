// The variables of block B the station acts on: OCPPCommCtrlr.HeartbeatInterval and ClockCtrlr (DateTime, TimeSource).
internal import OCPPMessages

extension ChargingStation {
    static let provisioningVariables: [VariableBinding] = [
        // A new interval counts from now: the heartbeat timer recomputes its deadline at once.
        .onSet("OCPPCommCtrlr", "HeartbeatInterval") { station, _, _ in
            station.heartbeatWakeup.wake()
            return .applied
        },
    ]

    static let clockVariables: [VariableBinding] = [
        .live("ClockCtrlr", "DateTime") { station, _ in station.now().description },
        // B01.FR.06: only with Heartbeat as the time source is the CSMS's clock adopted; with another source first the
        // station's own clock counts again from now.
        .onSet("ClockCtrlr", "TimeSource") { station, _, _ in
            if !station.timeFromCSMS { station.clockOffset = 0 }
            return .applied
        },
    ]

    /// Whether the CSMS's currentTime sets the clock (B01.FR.06): the first source in ClockCtrlr.TimeSource that
    /// this station has is Heartbeat. The station has Heartbeat and the system clock (RealTimeClock, or NTP run by
    /// the operating system); GPS, MobileNetwork and RadioTimeTransmitter are skipped.
    var timeFromCSMS: Bool {
        let sources = (deviceModel.string("ClockCtrlr", "TimeSource") ?? "Heartbeat").split(separator: ",").map { String($0).trimmingSpaces }
        for source in sources {
            switch source {
            case "Heartbeat": return true
            case "RealTimeClock", "NTP": return false
            default: continue
            }
        }
        return true
    }
}
