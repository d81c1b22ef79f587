import OCPPMessages
import Testing

/// A single-fault mutation of a valid instance, with the error it must produce.
struct Mutation {
    var value: JSONValue
    var code: RPCErrorCode
    var path: String
    var kind: String
}

/// Produces, for a valid `value` of `schema`, mutations that each break exactly one constraint.
func mutations(of value: JSONValue, schema: SchemaNode, path: String) -> [Mutation] {
    func join(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
    var out: [Mutation] = []
    switch schema.resolved {
    case .object(let o):
        guard case .object(let object) = value else { return [] }
        if !o.additionalProperties {
            var m = object
            m["zzUnknownProperty"] = 1
            out.append(Mutation(value: .object(m), code: .formatViolation, path: join("zzUnknownProperty"), kind: "unknown property"))
        }
        for p in o.properties {
            guard let member = object[p.name] else { continue }
            if p.isRequired {
                var m = object
                m[p.name] = nil
                out.append(Mutation(value: .object(m), code: .occurrenceConstraintViolation, path: join(p.name), kind: "missing required"))
            }
            for child in mutations(of: member, schema: p.schema, path: join(p.name)) {
                var m = object
                m[p.name] = child.value
                out.append(Mutation(value: .object(m), code: child.code, path: child.path, kind: child.kind))
            }
        }
    case .array(let a):
        guard case .array(let elements) = value else { return [] }
        out.append(Mutation(value: .object(JSONObject()), code: .typeConstraintViolation, path: path, kind: "object for array"))
        if let minItems = a.minItems, minItems > 0, elements.count == minItems {
            out.append(Mutation(value: .array(Array(elements.dropLast())), code: .occurrenceConstraintViolation, path: path, kind: "below minItems"))
        }
        if let maxItems = a.maxItems, let first = elements.first {
            out.append(Mutation(value: .array(Array(repeating: first, count: maxItems + 1)), code: .occurrenceConstraintViolation, path: path, kind: "above maxItems"))
        }
        if let first = elements.first {
            for child in mutations(of: first, schema: a.items, path: path + "[0]") {
                var m = elements
                m[0] = child.value
                out.append(Mutation(value: .array(m), code: child.code, path: child.path, kind: child.kind))
            }
        }
    case .string(let maxLength):
        out.append(Mutation(value: .int(12), code: .typeConstraintViolation, path: path, kind: "integer for string"))
        if let maxLength {
            out.append(Mutation(value: .string(String(repeating: "é", count: maxLength + 1)), code: .propertyConstraintViolation, path: path, kind: "above maxLength"))
        }
    case .dateTime:
        out.append(Mutation(value: .null, code: .typeConstraintViolation, path: path, kind: "null for date-time"))
        out.append(Mutation(value: .string("2024-02-30T00:00:00Z"), code: .propertyConstraintViolation, path: path, kind: "invalid date-time"))
    case .enumeration:
        out.append(Mutation(value: .bool(true), code: .typeConstraintViolation, path: path, kind: "boolean for enum"))
        out.append(Mutation(value: .string("NotAValueOfThisEnum"), code: .propertyConstraintViolation, path: path, kind: "not in enum"))
    case .integer(let minimum, let maximum):
        out.append(Mutation(value: .double(1.5), code: .typeConstraintViolation, path: path, kind: "1.5 for integer"))
        out.append(Mutation(value: .string("1"), code: .typeConstraintViolation, path: path, kind: "string for integer"))
        if let minimum { out.append(Mutation(value: .int(Int64(minimum) - 1), code: .propertyConstraintViolation, path: path, kind: "below minimum")) }
        if let maximum { out.append(Mutation(value: .int(Int64(maximum) + 1), code: .propertyConstraintViolation, path: path, kind: "above maximum")) }
    case .number:
        out.append(Mutation(value: .string("1.5"), code: .typeConstraintViolation, path: path, kind: "string for number"))
    case .boolean:
        out.append(Mutation(value: .string("true"), code: .typeConstraintViolation, path: path, kind: "string for boolean"))
    case .any, .reference:
        break
    }
    return out
}

@Suite struct GeneratedRoundTripTests {
    @Test func everyMessageHasSyntheticInstances() {
        #expect(syntheticInstances.count == 128)
        #expect(Set(syntheticInstances.map(\.name)).count == 128)
    }

    @Test(arguments: syntheticInstances)
    func roundTrip(_ instance: SyntheticInstance) throws {
        for text in [instance.minimal, instance.maximal] {
            let original = try JSONValue.parse(text)
            try SchemaValidator.validate(original, against: instance.type.schema)
            let decoded = try instance.type.init(validating: original)
            let encoded = decoded.toJSON().serialized()
            let reparsed = try JSONValue.parse(encoded)
            #expect(reparsed == original, "\(instance.name): \(encoded)")
            // Key order is preserved too (schema order in the synthetic instances).
            #expect(encoded == original.serialized(), "\(instance.name)")
            // Decoding again gives an equal value.
            #expect(try instance.type.init(json: reparsed).toJSON() == decoded.toJSON())
        }
    }

    @Test(arguments: syntheticInstances)
    func singleFaultMutationsAreRejectedWithTheRightCode(_ instance: SyntheticInstance) throws {
        var count = 0
        for text in [instance.minimal, instance.maximal] {
            let original = try JSONValue.parse(text)
            for m in mutations(of: original, schema: instance.type.schema, path: "") {
                count += 1
                do {
                    try SchemaValidator.validate(m.value, against: instance.type.schema)
                    Issue.record("\(instance.name): \(m.kind) at \(m.path) was accepted")
                } catch {
                    #expect(error.code == m.code, "\(instance.name): \(m.kind) at \(m.path): \(error)")
                    #expect(error.path == m.path, "\(instance.name): \(m.kind): \(error)")
                }
                // The decoder catches missing members and wrong types on its own, at the same path.
                if m.code == .typeConstraintViolation || (m.code == .occurrenceConstraintViolation && m.kind == "missing required") {
                    do {
                        _ = try instance.type.init(json: m.value)
                        Issue.record("\(instance.name): decoder accepted \(m.kind) at \(m.path)")
                    } catch {
                        #expect(error.code == m.code, "\(instance.name): decoder \(m.kind) at \(m.path): \(error)")
                        #expect(error.path == m.path, "\(instance.name): decoder \(m.kind): \(error)")
                    }
                }
            }
        }
        #expect(count > 0 || instance.type.schema.isTrivial)
    }

    /// Every kind of single-fault mutation is exercised somewhere in the 128 schemas.
    @Test func mutationCoverage() throws {
        var counts: [String: Int] = [:]
        for instance in syntheticInstances {
            for text in [instance.minimal, instance.maximal] {
                for m in mutations(of: try JSONValue.parse(text), schema: instance.type.schema, path: "") {
                    counts[m.kind, default: 0] += 1
                }
            }
        }
        let kinds = ["unknown property", "missing required", "object for array", "below minItems", "above maxItems",
            "integer for string", "above maxLength", "null for date-time", "invalid date-time", "boolean for enum", "not in enum",
            "1.5 for integer", "string for integer", "below minimum", "above maximum", "string for number", "string for boolean"]
        for kind in kinds {
            #expect(counts[kind, default: 0] > 0, "\(kind)")
        }
        print("mutations: \(counts.values.reduce(0, +)) total; " + counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
    }

    @Test(arguments: syntheticInstances)
    func nonObjectPayloadIsFormatViolation(_ instance: SyntheticInstance) {
        for value: JSONValue in [.null, .array([]), .string("{}"), .int(1)] {
            #expect(throws: OCPPValidationError(code: .formatViolation, path: "", reason: "payload must be a JSON object, got \(value.typeName)")) {
                try SchemaValidator.validate(value, against: instance.type.schema)
            }
        }
    }
}

extension SchemaNode {
    /// An object schema with no properties at all (none of OCPP's: every message has customData).
    var isTrivial: Bool {
        if case .object(let o) = self { return o.properties.isEmpty }
        return false
    }
}
