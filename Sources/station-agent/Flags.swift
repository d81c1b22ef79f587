// The command line: `--flag value` or `--flag=value`, each flag at most once, unknown flags refused.

/// A one-line error for stderr.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Flags {
    private var values: [String: String] = [:]
    private(set) var positional: [String] = []
    private(set) var help = false

    init(parsing arguments: ArraySlice<String>, allowed: Set<String>, positionals: Bool) throws(Failure) {
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "-h" || argument == "--help" {
                help = true
                continue
            }
            guard argument.hasPrefix("-") else {
                guard positionals else { throw Failure("unexpected argument \(argument)") }
                positional.append(argument)
                continue
            }
            var name = argument
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            guard allowed.contains(name) else { throw Failure("unknown option \(name)") }
            if value == nil {
                guard index < arguments.endIndex else { throw Failure("\(name): missing value") }
                value = arguments[index]
                index += 1
            }
            if values[name] != nil { throw Failure("\(name): given more than once") }
            values[name] = value
        }
    }

    subscript(name: String) -> String? { values[name] }

    func required(_ name: String) throws(Failure) -> String {
        guard let value = values[name] else { throw Failure("missing \(name)") }
        if value.isEmpty { throw Failure("\(name): empty value") }
        return value
    }

    func integer(_ name: String) throws(Failure) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text) else { throw Failure("\(name) \(text): not an integer") }
        return value
    }

    func number(_ name: String) throws(Failure) -> Double? {
        guard let text = values[name] else { return nil }
        guard let value = Double(text), value.isFinite else { throw Failure("\(name) \(text): not a number") }
        return value
    }
}
