// The board file's Linux-interface parts: the control pilot's PWM channel (sysfs PWM class), the proximity pilot's ADC
// channel (sysfs IIO) and the RFID reader's input device (evdev). Read as strictly as the rest: every error names the
// field and the reason.

extension BoardConfiguration {
    /// An EVSE's `"controlPilot": {"pwmChip": 0, "pwmChannel": 0, "frequencyHz": 1000}`.
    static func decodeControlPilot(_ fields: HWJSONFields) throws(HWJSONFieldError) -> PWMChannelConfiguration {
        try fields.rejectUnknownKeys(allowed: ["pwmChip", "pwmChannel", "frequencyHz"])
        guard let chip = try integer(fields, "pwmChip", in: 0...1023) else {
            throw HWJSONFieldError(field: fields.fieldPath("pwmChip"), reason: "is required (N of /sys/class/pwm/pwmchipN)")
        }
        guard let channel = try integer(fields, "pwmChannel", in: 0...1023) else {
            throw HWJSONFieldError(field: fields.fieldPath("pwmChannel"), reason: "is required (M of pwmchipN/pwmM)")
        }
        // IEC 61851-1: 1 kHz ± 0.5 %.
        let frequency = try integer(fields, "frequencyHz", in: 995...1005) ?? 1000
        return PWMChannelConfiguration(chip: chip, channel: channel, frequencyHz: frequency)
    }

    /// A connector's `"proximityPilot": {"iioDevice": 0, "channel": 1, "pullUpOhms": 330, "supplyMillivolts": 3300}`.
    static func decodeProximityPilot(_ fields: HWJSONFields) throws(HWJSONFieldError) -> ProximityPilotConfiguration {
        try fields.rejectUnknownKeys(allowed: ["iioDevice", "channel", "pullUpOhms", "supplyMillivolts"])
        guard let device = try integer(fields, "iioDevice", in: 0...1023) else {
            throw HWJSONFieldError(field: fields.fieldPath("iioDevice"), reason: "is required (N of /sys/bus/iio/devices/iio:deviceN)")
        }
        guard let channel = try integer(fields, "channel", in: 0...1023) else {
            throw HWJSONFieldError(field: fields.fieldPath("channel"), reason: "is required (X of in_voltageX_raw)")
        }
        func positive(_ key: String) throws(HWJSONFieldError) -> Double {
            let value = try fields.number(key)
            if !(value > 0 && value.isFinite) {
                throw HWJSONFieldError(field: fields.fieldPath(key), reason: "must be greater than 0, got \(jsonNumber(value))")
            }
            return value
        }
        return ProximityPilotConfiguration(
            device: device, channel: channel, pullUpOhms: try positive("pullUpOhms"),
            supplyMillivolts: try positive("supplyMillivolts"))
    }

    /// `"rfid": {"type": "evdev", "device": "/dev/input/by-id/...-event-kbd", "digits": "decimal", "evse": 1}`.
    static func decodeEvdevReader(_ fields: HWJSONFields, evseCount: Int) throws(HWJSONFieldError) -> EvdevReaderConfiguration {
        try fields.rejectUnknownKeys(allowed: ["type", "device", "digits", "evse"])
        let device = try fields.string("device")
        if !device.hasPrefix("/") {
            throw HWJSONFieldError(field: fields.fieldPath("device"), reason: "must be an absolute path such as /dev/input/event0, got \(jsonQuoted(device))")
        }
        var configuration = EvdevReaderConfiguration(device: device)
        if let digits = try fields.optionalString("digits") {
            guard let value = EvdevReaderConfiguration.Digits(rawValue: digits) else {
                throw HWJSONFieldError(field: fields.fieldPath("digits"), reason: "\(jsonQuoted(digits)) is not hex or decimal")
            }
            configuration.digits = value
        }
        configuration.evse = try integer(fields, "evse", in: 1...evseCount)
        return configuration
    }

    /// No PWM channel and no ADC channel may be used twice on the board.
    static func checkDuplicateChannels(_ evses: [EVSE]) throws(HWJSONFieldError) {
        var pwm: [PWMChannelConfiguration: String] = [:]
        var adc: [String: String] = [:]
        for (index, evse) in evses.enumerated() {
            if var channel = evse.controlPilot {
                channel.frequencyHz = 0
                let path = "evses[\(index)].controlPilot"
                if let first = pwm[channel] {
                    throw HWJSONFieldError(field: path, reason: "pwmchip\(channel.chip)/pwm\(channel.channel) is already used by \(first)")
                }
                pwm[channel] = path
            }
            for (connectorIndex, connector) in evse.connectors.enumerated() {
                guard let pilot = connector.proximityPilot else { continue }
                let key = "iio:device\(pilot.device)/in_voltage\(pilot.channel)"
                let path = "evses[\(index)].connectors[\(connectorIndex)].proximityPilot"
                if let first = adc[key] { throw HWJSONFieldError(field: path, reason: "\(key) is already used by \(first)") }
                adc[key] = path
            }
        }
    }
}
