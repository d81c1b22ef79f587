// Messages about files a person edits (board file, device model) are one line: the agent logs them and stops, and a
// key or value from the file may hold any character.

extension String {
    /// The text with line breaks and other control characters written as escapes (`\n`, `\u0000`), so that
    /// whatever a file's keys and values hold, a message quoting them stays one line. The board-file fuzz target's
    /// one-line check (Tests/Fuzz) failed on an unknown key `"a\nb"`: the key went into the message as it was.
    public var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: \.isControlOrLineBreak) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.isControlOrLineBreak:
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension Unicode.Scalar {
    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
    fileprivate var isControlOrLineBreak: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
    }
}
