// A compact, immutable representation of the JSON Schema draft-06 subset used by the OCA OCPP 2.0.1 schemas.
//
// Supported: type object/string/integer/number/boolean/array, properties, required, additionalProperties
// (false or absent), enum (of strings), maxLength, minItems, maxItems, items, minimum, maximum,
// format date-time, $ref to definitions (shared nodes; `reference` for lazily-resolved, possibly recursive
// refs), and an untyped schema (`any`, e.g. DataTransfer's `data`). `default`, `description`, `javaType`,
// `$id`, `comment` and `additionalItems` (meaningless without tuple `items`) are ignored.
//
// Nodes hold their children in final classes, so a definition used in many places is one shared object and
// copying a node is a retain. The generated trees live in `static let`s built once on first use.

/// A schema node.
public enum SchemaNode: Sendable {
    /// No constraint (a schema without `type`).
    case any
    case boolean
    /// `type: integer` with optional inclusive bounds.
    case integer(minimum: Double?, maximum: Double?)
    /// `type: number` with optional inclusive bounds.
    case number(minimum: Double?, maximum: Double?)
    /// `type: string` with optional `maxLength` (counted in Unicode code points, as JSON Schema specifies).
    case string(maxLength: Int?)
    /// `type: string, format: date-time` (RFC 3339).
    case dateTime
    /// `type: string, enum: [...]`.
    case enumeration(EnumSchema)
    case array(ArraySchema)
    case object(ObjectSchema)
    /// A `$ref` resolved on use; lets a schema refer to itself without building an infinite tree.
    case reference(SchemaReference)

    public static let integer = SchemaNode.integer(minimum: nil, maximum: nil)
    public static let number = SchemaNode.number(minimum: nil, maximum: nil)
    public static let string = SchemaNode.string(maxLength: nil)
}

/// `enum` of a string-typed definition.
public final class EnumSchema: Sendable {
    public let name: String
    /// The allowed values in schema order.
    public let values: [String]
    let valueSet: Set<String>

    public init(name: String, values: [String]) {
        self.name = name
        self.values = values
        self.valueSet = Set(values)
    }

    public func contains(_ value: String) -> Bool { valueSet.contains(value) }
}

/// `type: array` with `items`, `minItems`, `maxItems`.
public final class ArraySchema: Sendable {
    public let items: SchemaNode
    public let minItems: Int?
    public let maxItems: Int?

    public init(items: SchemaNode, minItems: Int? = nil, maxItems: Int? = nil) {
        self.items = items
        self.minItems = minItems
        self.maxItems = maxItems
    }
}

/// `type: object` with `properties`, `required` and `additionalProperties`.
public final class ObjectSchema: Sendable {
    public struct Property: Sendable {
        public let name: String
        public let schema: SchemaNode
        public let isRequired: Bool
        public init(_ name: String, _ schema: SchemaNode, required: Bool = false) {
            self.name = name
            self.schema = schema
            self.isRequired = required
        }
    }

    /// The definition name (e.g. "ChargingStationType"), or the message name for a message root.
    public let name: String
    /// Properties in schema order.
    public let properties: [Property]
    /// False when the schema says `additionalProperties: false` (every OCA object but CustomDataType).
    public let additionalProperties: Bool
    let index: [String: Int]

    public init(name: String, properties: [Property], additionalProperties: Bool = false) {
        self.name = name
        self.properties = properties
        self.additionalProperties = additionalProperties
        var index: [String: Int] = [:]
        for (i, p) in properties.enumerated() { index[p.name] = i }
        self.index = index
    }

    public func property(named name: String) -> Property? {
        guard let i = index[name] else { return nil }
        return properties[i]
    }

    public var requiredProperties: [String] { properties.filter(\.isRequired).map(\.name) }
}

/// A `$ref` to a definition, resolved lazily on each use.
public final class SchemaReference: Sendable {
    public let name: String
    let resolver: @Sendable () -> SchemaNode

    public init(name: String, _ resolver: @escaping @Sendable () -> SchemaNode) {
        self.name = name
        self.resolver = resolver
    }

    public var target: SchemaNode { resolver() }
}

extension SchemaNode {
    /// Follows `reference` nodes (at most 64 hops, so a reference cycle without any object in between
    /// resolves to `any` instead of looping).
    public var resolved: SchemaNode {
        var node = self
        var hops = 0
        while case .reference(let r) = node {
            hops += 1
            if hops > 64 { return .any }
            node = r.target
        }
        return node
    }
}
