import Foundation
import Manifests
import Yams

extension AgentConfigFile {
    /// An application's `helm:` in the shape of Argo CD's `spec.source.helm`:
    ///
    /// ```yaml
    /// helm:
    ///   releaseName: shop                 # default: the application's name
    ///   valueFiles: [values-production.yaml]
    ///   values: |                         # or a mapping
    ///     replicaCount: 3
    ///   parameters:
    ///     - {name: image.tag, value: "1.4.2"}
    ///     - {name: podAnnotations.build, value: "0042", forceString: true}
    ///   skipCrds: false
    ///   skipTests: false
    ///   enabled: true                     # false refuses a chart instead of rendering it
    /// ```
    static func readHelm(_ node: Node, field: String, problem: (String, String) -> Void) -> HelmSettings {
        var settings = HelmSettings()
        guard let mapping = node.mapping else {
            problem(field, "must be a mapping (releaseName, valueFiles, values, parameters, skipCrds, skipTests, enabled)")
            return settings
        }
        func flag(_ value: Node, _ name: String) -> Bool {
            switch value.string?.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default:
                problem("\(field).\(name)", "'\(value.string ?? "")' is not true or false")
                return false
            }
        }
        for (key, value) in mapping {
            let name = key.string ?? "?"
            switch name {
            case "releaseName":
                if let text = value.string, !text.isEmpty { settings.releaseName = text } else { problem("\(field).releaseName", "must be a name") }
            case "valueFiles":
                guard let list = value.sequence else {
                    problem("\(field).valueFiles", "must be a list of paths relative to the chart's directory")
                    continue
                }
                for (index, item) in list.enumerated() {
                    guard let path = item.string, !path.isEmpty, !path.hasPrefix("/") else {
                        problem("\(field).valueFiles[\(index)]", "must be a path relative to the chart's directory")
                        continue
                    }
                    settings.valueFiles.append(path)
                }
            case "values":
                if value.mapping != nil {
                    settings.values = (try? Yams.serialize(node: value)) ?? ""
                } else if let text = value.string {
                    settings.values = text
                } else {
                    problem("\(field).values", "must be YAML text or a mapping")
                }
            case "parameters":
                guard let list = value.sequence else {
                    problem("\(field).parameters", "must be a list of {name, value}")
                    continue
                }
                for (index, item) in list.enumerated() {
                    guard let entry = item.mapping, let parameterName = entry["name"]?.string, !parameterName.isEmpty,
                        let parameterValue = entry["value"]?.string
                    else {
                        problem("\(field).parameters[\(index)]", "must have a name and a value")
                        continue
                    }
                    let forceString = entry["forceString"].map { flag($0, "parameters[\(index)].forceString") } ?? false
                    settings.parameters.append(HelmSettings.Parameter(name: parameterName, value: parameterValue, forceString: forceString))
                }
            case "skipCrds": settings.skipCRDs = flag(value, name)
            case "skipTests": settings.skipTests = flag(value, name)
            case "enabled": settings.enabled = flag(value, name)
            case "repository":
                settings.repositoryCredentials = readRepositoryCredentials(value, field: "\(field).repository", flag: flag, problem: problem)
            default:
                problem("\(field).\(name)", "unknown field (known: releaseName, valueFiles, values, parameters, skipCrds, skipTests, enabled, repository)")
            }
        }
        return settings
    }

    /// `helm.repository`: `username`, `passwordFile`, `caFile`, `insecureSkipTLSVerify`, as a Git
    /// source's credentials; the files must be readable when the file is loaded.
    static func readRepositoryCredentials(
        _ node: Node, field: String, flag: (Node, String) -> Bool, problem: (String, String) -> Void
    ) -> HelmSettings.RepositoryCredentials {
        var credentials = HelmSettings.RepositoryCredentials()
        guard let mapping = node.mapping else {
            problem(field, "must be a mapping (username, passwordFile, caFile, insecureSkipTLSVerify)")
            return credentials
        }
        for (key, value) in mapping {
            let name = key.string ?? "?"
            switch name {
            case "username": credentials.username = value.string
            case "passwordFile", "caFile":
                guard let path = value.string, FileManager.default.isReadableFile(atPath: path) else {
                    problem("\(field).\(name)", "cannot read \(value.string ?? "the file")")
                    continue
                }
                if name == "passwordFile" { credentials.passwordFile = path } else { credentials.caFile = path }
            case "insecureSkipTLSVerify": credentials.insecureSkipTLSVerify = flag(value, "repository.insecureSkipTLSVerify")
            default: problem("\(field).\(name)", "unknown field (known: username, passwordFile, caFile, insecureSkipTLSVerify)")
            }
        }
        if credentials.passwordFile != nil, credentials.username == nil { problem("\(field).passwordFile", "needs a username") }
        return credentials
    }
}
