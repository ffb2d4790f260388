import Foundation
import KubeModel

/// Reads the Kubernetes protobuf bodies that kubectl's typed clients send for
/// `kubectl create namespace|configmap|secret|serviceaccount` (content type
/// `application/vnd.kubernetes.protobuf`). Without the generated schemas of every kind only
/// these are decoded, field by field from Kubernetes' `generated.proto`; other kinds are refused
/// with 415, and every other client path (unstructured, as `kubectl apply` uses) sends JSON.
enum ProtobufBody {
    static let contentType = "application/vnd.kubernetes.protobuf"
    private static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    static func decode(_ bytes: [UInt8]) throws(APIStatus) -> JSONValue {
        guard bytes.count >= 4, Array(bytes.prefix(4)) == magic else {
            throw APIStatus.badRequest("the protobuf body lacks the Kubernetes envelope")
        }
        let envelope = try fields(bytes[4...])
        let typeMeta = try fields((envelope.bytes(1) ?? [])[...])
        let apiVersion = typeMeta.string(1) ?? ""
        let kind = typeMeta.string(2) ?? ""
        let raw = try fields((envelope.bytes(2) ?? [])[...])
        var object: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind)]
        object["metadata"] = try objectMeta(raw.bytes(1) ?? [])
        switch (apiVersion, kind) {
        case ("v1", "Namespace"):
            let spec = try fields((raw.bytes(2) ?? [])[...])
            let finalizers = spec.strings(1)
            if !finalizers.isEmpty { object[path: ["spec", "finalizers"]] = .array(finalizers.map(JSONValue.string)) }
        case ("v1", "ConfigMap"):
            let data = try raw.map(2) { JSONValue.string(String(decoding: $0, as: UTF8.self)) }
            if !data.isEmpty { object["data"] = .object(data) }
            let binary = try raw.map(3) { JSONValue.string(Data($0).base64EncodedString()) }
            if !binary.isEmpty { object["binaryData"] = .object(binary) }
            if let immutable = raw.varint(4) { object["immutable"] = .bool(immutable != 0) }
        case ("v1", "Secret"):
            let data = try raw.map(2) { JSONValue.string(Data($0).base64EncodedString()) }
            if !data.isEmpty { object["data"] = .object(data) }
            if let type = raw.string(3) { object["type"] = .string(type) }
            let stringData = try raw.map(4) { JSONValue.string(String(decoding: $0, as: UTF8.self)) }
            if !stringData.isEmpty { object["stringData"] = .object(stringData) }
            if let immutable = raw.varint(5) { object["immutable"] = .bool(immutable != 0) }
        case ("v1", "ServiceAccount"):
            break
        default:
            throw APIStatus(
                reason: "UnsupportedMediaType", code: 415,
                message: "LocalCluster reads protobuf bodies only for Namespace, ConfigMap, Secret and ServiceAccount (got \(apiVersion) \(kind)); send application/json")
        }
        return object
    }

    private static func objectMeta(_ bytes: [UInt8]) throws(APIStatus) -> JSONValue {
        let meta = try fields(bytes[...])
        var result = JSONValue.emptyObject
        for (number, name) in [(1, "name"), (2, "generateName"), (3, "namespace")] {
            if let value = meta.string(number), !value.isEmpty { result[name] = .string(value) }
        }
        let labels = try meta.map(11) { JSONValue.string(String(decoding: $0, as: UTF8.self)) }
        if !labels.isEmpty { result["labels"] = .object(labels) }
        let annotations = try meta.map(12) { JSONValue.string(String(decoding: $0, as: UTF8.self)) }
        if !annotations.isEmpty { result["annotations"] = .object(annotations) }
        let finalizers = meta.strings(14)
        if !finalizers.isEmpty { result["finalizers"] = .array(finalizers.map(JSONValue.string)) }
        return result
    }

    /// The fields of one message: varints and length-delimited values by field number.
    struct Fields {
        var varints: [Int: UInt64] = [:]
        var delimited: [Int: [[UInt8]]] = [:]

        func bytes(_ number: Int) -> [UInt8]? { delimited[number]?.last }
        func string(_ number: Int) -> String? { bytes(number).map { String(decoding: $0, as: UTF8.self) } }
        func strings(_ number: Int) -> [String] { (delimited[number] ?? []).map { String(decoding: $0, as: UTF8.self) } }
        func varint(_ number: Int) -> UInt64? { varints[number] }

        /// A `map<string, T>` field: repeated entries with key 1 and value 2.
        func map(_ number: Int, _ value: ([UInt8]) -> JSONValue) throws(APIStatus) -> [String: JSONValue] {
            var result: [String: JSONValue] = [:]
            for entry in delimited[number] ?? [] {
                let fields = try ProtobufBody.fields(entry[...])
                result[fields.string(1) ?? ""] = value(fields.bytes(2) ?? [])
            }
            return result
        }
    }

    static func fields(_ bytes: ArraySlice<UInt8>) throws(APIStatus) -> Fields {
        var result = Fields()
        var index = bytes.startIndex
        func varint() throws(APIStatus) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.endIndex {
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
                if shift > 63 { break }
            }
            throw APIStatus.badRequest("the protobuf body is truncated or malformed")
        }
        while index < bytes.endIndex {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: result.varints[number] = try varint()
            case 1: index += 8
            case 5: index += 4
            case 2:
                let length = Int(try varint())
                guard length >= 0, index + length <= bytes.endIndex else { throw APIStatus.badRequest("the protobuf body is truncated") }
                result.delimited[number, default: []].append(Array(bytes[index..<(index + length)]))
                index += length
            default:
                throw APIStatus.badRequest("the protobuf body has an unsupported wire type")
            }
        }
        return result
    }
}
