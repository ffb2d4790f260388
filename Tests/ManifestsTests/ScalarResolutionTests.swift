import KubeModel
import Manifests
import Testing

/// Plain YAML scalars mean what they mean to `kubectl` (go-yaml v2, YAML 1.1 flavoured).
@Suite struct ScalarResolutionTests {
    static let cases: [(String, JSONValue)] = [
        ("web", "web"),
        ("true", true), ("True", true), ("yes", true), ("Yes", true), ("on", true), ("ON", true), ("y", true),
        ("false", false), ("no", false), ("off", false), ("n", false),
        ("null", .null), ("~", .null), ("", .null),
        ("42", 42), ("-7", -7), ("+5", 5), ("0x1F", 31), ("0o17", 15), ("017", 15), ("0b101", 5), ("1_000", 1000),
        ("0755", 493), ("0o755", 493), ("-0o17", -15), ("0X1f", 31), ("0B11", 3), ("-0b11", -3), ("0x_1F", 31),
        // A whole float is an integer once kubectl has sent it as JSON (`1e3` is `1000`).
        ("09", 9), ("1.5", 1.5), ("1.0", 1), ("1e3", 1000), ("1.5e3", 1500), (".5", 0.5), ("-2.5e-1", -0.25), ("1e21", .double(1e21)),
        ("18446744073709551615", .double(18446744073709551615)),
        ("9223372036854775807", .int(Int64.max)), ("-9223372036854775808", .int(Int64.min)),
        // Timestamps, versions, quantities and sexagesimals stay strings.
        ("2024-01-31", "2024-01-31"), ("2001-12-14T21:59:43.10Z", "2001-12-14T21:59:43.10Z"), ("1.2.3", "1.2.3"),
        ("10Mi", "10Mi"), ("12:30", "12:30"), ("1:20", "1:20"), ("190:20:30", "190:20:30"), ("._5", "._5"), ("0x", "0x"), ("1e", "1e"), ("-x", "-x"), ("Yes!", "Yes!"), ("NO_PROXY", "NO_PROXY"),
        ("'true'", "true"), ("\"42\"", "42"), ("!!str 42", "42"), ("!!int \"42\"", 42), ("!!float 1", 1), ("!!bool yes", true), ("!!binary aGVsbG8=", "hello"),
        ("!!null ''", .null), ("!custom 7", 7),
    ]

    @Test(arguments: cases)
    func plainScalarsResolveAsKubectlReadsThem(_ text: String, _ expected: JSONValue) throws {
        let documents = try JSONValue.parseYAMLStream("value: \(text)\n")
        #expect(documents == [["value": expected]])
    }

    @Test(arguments: [".inf", "-.Inf", ".nan"])
    func infinitiesAndNaNAreRefusedBecauseJSONCannotHoldThem(_ text: String) {
        #expect(throws: ManifestError.self) { try JSONValue.parseYAMLStream("value: \(text)\n") }
    }

    @Test func keysThatLookLikeOtherTypesBecomeTheirJSONText() throws {
        let documents = try JSONValue.parseYAMLStream("1: a\nyes: b\n'0o7': d\n0x1F: e\n1.50: f\n1e6: g\n0.0001: h\n1e-5: i\n.inf: j\n")
        #expect(documents == [["1": "a", "true": "b", "0o7": "d", "31": "e", "1.5": "f", "1e+06": "g", "0.0001": "h", "1e-05": "i", ".inf": "j"]])
    }

    @Test func aNullKeyIsRefusedAsKubectlRefusesIt() {
        // sigs.k8s.io/yaml: "Unsupported map key of type: <nil>".
        #expect(throws: ManifestError.self) { try JSONValue.parseYAMLStream("~: a\n") }
    }

    @Test func keysThatMeanTheSameAreDuplicates() {
        #expect(throws: ManifestError.self) { try JSONValue.parseYAMLStream("true: a\nyes: b\n") }
    }
}
