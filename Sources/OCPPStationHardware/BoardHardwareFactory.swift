// From a board file to a running backend.
public import Logging
public import NIOCore
public import OCPPStation

extension BoardConfiguration {
    /// The backend for this board's HAL. `dataDirectory` holds hardware state that outlives the agent
    /// (for the simulated board: `sim-board.json` and the control socket `sim.sock`).
    /// GPIO lines go through `gpioDriver` (default: libgpiod v1); Modbus meters on the same serial device share one
    /// bus. Throws, naming the line or device, when a part cannot be opened.
    /// `parts`: a manufacturer's own HAL parts per EVSE id, taken over the ones the board file describes (the rest
    /// comes from this package's backends); `idTokenReader`: its own reader, taken over the board file's.
    public func makeHardware(
        dataDirectory: String, eventLoopGroup: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "ocpp-station.board"), gpioDriver: (any GPIODriver)? = nil,
        parts manufacturerParts: [Int: EVSEParts] = [:], idTokenReader: (any IdTokenReader)? = nil
    ) throws -> any BoardHardware {
        var gpio: [Int: EVSEParts] = [:]
        var meters: [Int: MeterPoller] = [:]
        var buses: [String: ModbusRTULink] = [:]
        let driver = gpioDriver ?? LibgpiodDriver()
        for evse in evses {
            if let lines = evse.gpio {
                gpio[evse.id] = try lines.makeParts(driver: driver, lockConnector: evse.connectors.first(where: \.hasLock)?.id ?? 1)
            }
            if let modbus = evse.meter.modbus {
                let bus = buses[modbus.settings.device] ?? ModbusRTULink(settings: modbus.settings)
                buses[modbus.settings.device] = bus
                meters[evse.id] = MeterPoller(
                    meter: ModbusRTUMeter(settings: modbus.settings, map: modbus.map, link: bus),
                    interval: .milliseconds(modbus.pollIntervalMs))
            }
        }
        var parts = boardFileParts.merging(gpio) { sysfs, lines in sysfs.overridden(by: lines) }
        for (evse, own) in manufacturerParts { parts[evse] = (parts[evse] ?? EVSEParts()).overridden(by: own) }
        switch hal {
        case .sim:
            return try SimulatedBoard(
                configuration: self, dataDirectory: dataDirectory, eventLoopGroup: eventLoopGroup, logger: logger,
                meters: meters, parts: parts,
                idTokenReader: idTokenReader ?? rfid?.evdev.map { EvdevIdTokenReader(configuration: $0, logger: logger) as any IdTokenReader })
        }
    }

    /// The sysfs parts the board file describes: control pilots (PWM) and proximity pilots (IIO ADC).
    var boardFileParts: [Int: EVSEParts] {
        var parts: [Int: EVSEParts] = [:]
        for evse in evses {
            var evseParts = EVSEParts()
            evseParts.controlPilot = evse.controlPilot.map { SysfsPWMControlPilot(configuration: $0, sysfsRoot: sysfsRoot) }
            for connector in evse.connectors {
                if let pilot = connector.proximityPilot {
                    evseParts.proximityPilots[connector.id] = IIOProximityPilot(configuration: pilot, sysfsRoot: sysfsRoot)
                }
            }
            if evseParts.controlPilot != nil || !evseParts.proximityPilots.isEmpty { parts[evse.id] = evseParts }
        }
        return parts
    }

    /// The files the board's backend may keep in the data directory, beside the agent's own.
    public var dataDirectoryFileNames: [String] {
        switch hal {
        case .sim: return SimulatedBoard.dataDirectoryFileNames
        }
    }
}

extension SimulatedBoard {
    /// What the simulated board keeps in the data directory: its state file and its control socket.
    public static let dataDirectoryFileNames = [stateFileName, socketFileName]
    /// A temp file that only a crash or power cut between write and rename leaves behind; `init` removes it.
    public static let leftoverFileNames = [stateFileName + ".tmp"]
}
