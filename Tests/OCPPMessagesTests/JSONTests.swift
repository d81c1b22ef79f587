import OCPPMessages
import Testing

@Suite struct JSONParserTests {
    @Test func parsesScalarsAndContainers() throws {
        #expect(try JSONValue.parse("null") == .null)
        #expect(try JSONValue.parse(" true ") == .bool(true))
        #expect(try JSONValue.parse("false") == .bool(false))
        #expect(try JSONValue.parse("0") == .int(0))
        #expect(try JSONValue.parse("-0") == .int(0))
        #expect(try JSONValue.parse("-12") == .int(-12))
        #expect(try JSONValue.parse("1.5") == .double(1.5))
        #expect(try JSONValue.parse("1e2") == .double(100))
        #expect(try JSONValue.parse("-2.5E-3") == .double(-0.0025))
        #expect(try JSONValue.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .int(Int64.min))
        #expect(try JSONValue.parse("9223372036854775808") == .double(9223372036854775808.0))
        #expect(try JSONValue.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
        #expect(try JSONValue.parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"") == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try JSONValue.parse("\"\\u00e9\\u20AC\"") == .string("é€"))
        #expect(try JSONValue.parse("\"\\ud83d\\ude00\"") == .string("😀"))
        #expect(try JSONValue.parse("\"é😀\"") == .string("é😀"))
        #expect(try JSONValue.parse("[]") == .array([]))
        #expect(try JSONValue.parse("{}") == .object(JSONObject()))
        let v = try JSONValue.parse(#" { "b" : [1, 2.5, "x", null, true], "a": {"c": {}} } "#)
        #expect(v["b"] == .array([.int(1), .double(2.5), .string("x"), .null, .bool(true)]))
        #expect(v.objectValue?.keys == ["b", "a"])
        #expect(v["a"]?["c"] == .object(JSONObject()))
    }

    @Test func parsesBytes() throws {
        #expect(try JSONParser.parse(Array("[1]".utf8)) == .array([.int(1)]))
        #expect(try JSONValue.parse(utf8: [0x22, 0xC3, 0xA9, 0x22]) == .string("é"))
    }

    @Test(arguments: [
        "", " ", "nul", "tru", "True", "NaN", "Infinity", "-Infinity", "+1", "01", "-01", "1.", ".5", "1e", "1e+", "-",
        "0x10", "1 2", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":1 \"b\":2}",
        "[", "]", "{", "}", "[1", "{\"a\":", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"a\nb\"", "\"tab\there\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud800x\"", "{\"a\":1,\"a\":2}", "[1]x", "{} {}",
        "\u{feff}[]", "1e400", "-1e400", "/* c */ 1", "[1,2]]",
    ])
    func rejectsInvalid(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8Bytes() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22],
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82]]
        {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(utf8: bytes) }
        }
    }

    @Test func limitsNesting() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONValue.parse(ok)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(tooDeep) }
        // Hostile: a million open brackets / objects must fail fast without exhausting the stack.
        #expect(throws: JSONParseError.self) { try JSONValue.parse(String(repeating: "[", count: 1_000_000)) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(String(repeating: "{\"a\":", count: 100_000)) }
    }

    @Test func hostileInputsNeverCrash() {
        // Deterministic pseudo-random byte soup and truncations of a valid document.
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            seed ^= seed << 13
            seed ^= seed >> 7
            seed ^= seed << 17
            return seed
        }
        let alphabet = Array("[]{}\",:\\u0123456789abcdefEe+-.truefalsnl \n\u{7f}".utf8) + [0xC3, 0xA9, 0xFF, 0xED, 0x00]
        for _ in 0..<3000 {
            let n = Int(next() % 40)
            let bytes = (0..<n).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            _ = try? JSONValue.parse(utf8: bytes)
        }
        let doc = Array(#"[2,"id","BootNotification",{"reason":"PowerUp","x":[1.5e3,-0,true,null,"\u00e9\ud83d\ude00"]}]"#.utf8)
        for i in 0...doc.count { _ = try? JSONValue.parse(utf8: doc[0..<i]) }
        #expect(throws: Never.self) { _ = try? JSONValue.parse(String(repeating: "9", count: 100_000)) }
    }
}

@Suite struct JSONSerializerTests {
    @Test func compactOutput() {
        let v: JSONValue = ["b": [1, 2.5, "x", nil, true], "a": ["c": [:]]]
        #expect(v.serialized() == #"{"b":[1,2.5,"x",null,true],"a":{"c":{}}}"#)
        #expect(JSONValue.double(32).serialized() == "32.0")
        #expect(JSONValue.double(.nan).serialized() == "null")
        #expect(JSONValue.string("q\"b\\n\n\u{1}\u{1f}é/").serialized() == #""q\"b\\n\n\u0001\u001fé/""#)
    }

    @Test func roundTrips() throws {
        let texts = [
            #"{"b":[1,2.5,"x",null,true],"a":{"c":{}},"d":-9223372036854775808,"e":1e-05,"f":1.7976931348623157e+308}"#,
            #"["\u0000\u001f\"\\ é😀",0.1,-0.0,5e-324,123456789.123456789]"#,
        ]
        for text in texts {
            let v = try JSONValue.parse(text)
            #expect(try JSONValue.parse(v.serialized()) == v)
        }
        for d in [0.1, 1.0 / 3.0, 1e300, -1e-300, Double.leastNonzeroMagnitude, 1.7976931348623157e308, 12345.625, 2.0] {
            #expect(try JSONValue.parse(JSONValue.double(d).serialized()) == .double(d))
        }
    }

    @Test func objectOrderAndEquality() {
        var o = JSONObject()
        o["z"] = 1
        o["a"] = 2
        o["z"] = 3
        #expect(o.keys == ["z", "a"])
        #expect(o.count == 2)
        #expect(o.serialized() == #"{"z":3,"a":2}"#)
        let p = JSONObject([("a", 2), ("z", 3)])
        #expect(o == p)  // key order does not matter for equality
        #expect(o.hashValue == p.hashValue)
        o["z"] = nil
        #expect(o.keys == ["a"])
        #expect(Array(o.map(\.key)) == ["a"])
    }
}
