import Foundation
import KubeModel
import Yams

extension JSONValue {
    /// Reads a YAML (or JSON) document, as `application/apply-patch+yaml` bodies come.
    static func parseYAMLDocument(_ bytes: [UInt8]) throws(APIStatus) -> JSONValue {
        if let json = try? JSONValue.parse(bytes) { return json }
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            guard let node = try Yams.compose(yaml: text) else { return .null }
            return try JSONValue(yaml: node)
        } catch let status as APIStatus {
            throw status
        } catch {
            throw APIStatus.badRequest("error decoding YAML: \(error)")
        }
    }

    init(yaml node: Node) throws {
        switch node {
        case .scalar(let scalar):
            switch scalar.tag.description {
            case Tag.Name.null.rawValue: self = .null
            case Tag.Name.bool.rawValue: self = .bool(Bool.construct(from: scalar) ?? false)
            case Tag.Name.int.rawValue:
                if let number = Int.construct(from: scalar) { self = .int(Int64(number)) } else { self = .string(scalar.string) }
            case Tag.Name.float.rawValue:
                if let number = Double.construct(from: scalar) { self = .double(number) } else { self = .string(scalar.string) }
            default: self = .string(scalar.string)
            }
        case .sequence(let sequence):
            self = .array(try sequence.map { try JSONValue(yaml: $0) })
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else { throw APIStatus.badRequest("error decoding YAML: a mapping key is not a scalar") }
                members[keyScalar.string] = try JSONValue(yaml: value)
            }
            self = .object(members)
        case .alias:
            throw APIStatus.badRequest("error decoding YAML: aliases are not supported")
        }
    }
}
