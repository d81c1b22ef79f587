import OCPPMessages
import Testing

@Suite struct DateTimeTests {
    @Test func parsesValid() throws {
        let a = try #require(OCPPDateTime(rfc3339: "1970-01-01T00:00:00Z"))
        #expect(a.secondsSince1970 == 0)
        let b = try #require(OCPPDateTime(rfc3339: "2013-02-01T20:53:32.486Z"))
        #expect(abs(b.secondsSince1970 - 1_359_752_012.486) < 1e-6)
        let c = try #require(OCPPDateTime(rfc3339: "2013-02-01T22:53:32.486+02:00"))
        #expect(abs(c.secondsSince1970 - b.secondsSince1970) < 1e-6)
        let d = try #require(OCPPDateTime(rfc3339: "2013-02-01T15:23:32.486-05:30"))
        #expect(abs(d.secondsSince1970 - b.secondsSince1970) < 1e-6)
        #expect(OCPPDateTime(rfc3339: "2024-02-29T12:00:00z")?.secondsSince1970 == 1_709_208_000)
        #expect(OCPPDateTime(rfc3339: "2000-02-29T00:00:00Z") != nil)
        #expect(OCPPDateTime(rfc3339: "1969-12-31T23:59:59Z")?.secondsSince1970 == -1)
        #expect(OCPPDateTime(rfc3339: "2016-12-31T23:59:60Z") != nil)  // leap second
        #expect(c.description == "2013-02-01T22:53:32.486+02:00")
    }

    @Test(arguments: [
        "", "2013-02-01", "2013-02-01T20:53:32", "2013-02-01 20:53:32Z", "2013-2-01T20:53:32Z", "2013-02-01T20:53Z",
        "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2013-13-01T00:00:00Z", "2013-00-01T00:00:00Z", "2013-04-31T00:00:00Z",
        "2013-02-00T00:00:00Z", "2013-02-01T24:00:00Z", "2013-02-01T23:60:00Z", "2013-02-01T23:59:61Z", "2013-02-01T20:53:32.Z",
        "2013-02-01T20:53:32+0200", "2013-02-01T20:53:32+24:00", "2013-02-01T20:53:32+02:60", "2013-02-01T20:53:32ZZ",
        "2013-02-01T20:53:32.486Z ", "+2013-02-01T20:53:32Z", "２０13-02-01T20:53:32Z", "2013-02-01T20:53:32+02",
    ])
    func rejectsInvalid(_ text: String) {
        #expect(OCPPDateTime(rfc3339: text) == nil)
    }

    @Test func formats() {
        #expect(OCPPDateTime(secondsSince1970: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(OCPPDateTime(secondsSince1970: 1_359_752_012.486).rfc3339 == "2013-02-01T20:53:32.486Z")
        #expect(OCPPDateTime(secondsSince1970: 1_709_208_000).rfc3339 == "2024-02-29T12:00:00.000Z")
        #expect(OCPPDateTime(secondsSince1970: -0.001).rfc3339 == "1969-12-31T23:59:59.999Z")
        #expect(OCPPDateTime(secondsSince1970: 951_782_399.9996).rfc3339 == "2000-02-29T00:00:00.000Z")
        #expect(OCPPDateTime(secondsSince1970: .infinity).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(OCPPDateTime(secondsSince1970: 1e15).rfc3339 == "9999-12-31T23:59:59.999Z")
    }

    @Test func formatParseRoundTrip() throws {
        // Every ~97 days across 1900...2100 plus odd milliseconds.
        var t = -2_208_988_800.0
        while t < 4_102_444_800 {
            let d = OCPPDateTime(secondsSince1970: t + 0.123)
            let p = try #require(OCPPDateTime(rfc3339: d.rfc3339))
            #expect(abs(p.secondsSince1970 - d.secondsSince1970) < 1e-6)
            t += 97 * 86_400 + 3_601
        }
    }
}
