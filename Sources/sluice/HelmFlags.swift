import ArgumentParser
import Foundation
import Manifests

/// How a Helm chart in the application's path is rendered (Docs/sources.md): Argo CD's
/// `spec.source.helm` as flags.
struct HelmFlags: ParsableArguments {
    @Option(name: .customLong("helm-values"), help: ArgumentHelp(
        "A values file for a Helm chart, relative to the chart's directory in the repository; repeat for more, applied in order.",
        valueName: "file"))
    var valueFiles: [String] = []

    @Option(name: .customLong("helm-set"), help: ArgumentHelp("A Helm parameter, as helm's --set; repeat for more.", valueName: "key=value"))
    var parameters: [String] = []

    @Option(name: .customLong("helm-set-string"), help: ArgumentHelp("A Helm parameter kept a string, as helm's --set-string.", valueName: "key=value"))
    var stringParameters: [String] = []

    @Option(help: "The Helm release name (default: the application's name).")
    var releaseName: String?

    @Flag(name: .customLong("helm-skip-crds"), help: "Leave a chart's crds/ directory out.")
    var skipCRDs = false

    @Flag(name: .customLong("helm-skip-tests"), help: "Leave a chart's test hooks out.")
    var skipTests = false

    @Flag(name: .customLong("no-helm"), help: "Refuse a Helm chart instead of rendering it.")
    var noHelm = false

    @Option(name: .customLong("helm-repo-username"), help: "User for the chart repositories of a chart's dependencies.")
    var repositoryUsername: String?

    @Option(name: .customLong("helm-repo-password-file"), help: ArgumentHelp("File holding the chart repositories' password.", valueName: "file"))
    var repositoryPasswordFile: String?

    @Option(name: .customLong("helm-repo-ca-file"), help: ArgumentHelp("PEM file of CAs to trust for the chart repositories.", valueName: "file"))
    var repositoryCAFile: String?

    @Flag(name: .customLong("helm-repo-insecure-skip-tls-verify"), help: "Do not verify the chart repositories' certificates.")
    var repositoryInsecure = false

    func validate() throws {
        for assignment in parameters + stringParameters where HelmSettings.Parameter(assignment: assignment) == nil {
            throw ValidationError("--helm-set: '\(assignment)' is not key=value")
        }
        if repositoryPasswordFile != nil, repositoryUsername == nil {
            throw ValidationError("--helm-repo-password-file needs --helm-repo-username")
        }
        for (flag, file) in [("--helm-repo-password-file", repositoryPasswordFile), ("--helm-repo-ca-file", repositoryCAFile)] {
            if let file, !FileManager.default.isReadableFile(atPath: file) { throw ValidationError("\(flag): cannot read \(file)") }
        }
        for file in valueFiles where file.isEmpty || file.hasPrefix("/") {
            throw ValidationError("--helm-values: '\(file)' must be a path relative to the chart's directory in the repository")
        }
    }

    /// The settings these flags give.
    var settings: HelmSettings {
        HelmSettings(
            enabled: !noHelm, releaseName: releaseName, valueFiles: valueFiles,
            parameters: parameters.compactMap { HelmSettings.Parameter(assignment: $0) }
                + stringParameters.compactMap { HelmSettings.Parameter(assignment: $0) }.map { HelmSettings.Parameter(name: $0.name, value: $0.value, forceString: true) },
            skipCRDs: skipCRDs, skipTests: skipTests,
            repositoryCredentials: HelmSettings.RepositoryCredentials(
                username: repositoryUsername, passwordFile: repositoryPasswordFile, caFile: repositoryCAFile,
                insecureSkipTLSVerify: repositoryInsecure))
    }
}
