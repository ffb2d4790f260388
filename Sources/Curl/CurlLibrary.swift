import CLibCurl

/// The libcurl the process runs on.
public enum CurlLibrary {
    /// libcurl's version string, e.g. `libcurl/7.88.1 OpenSSL/3.0.19 ...`.
    public static var version: String {
        String(cString: curl_version())
    }

    private static let globalInit: Void = { _ = sluice_curl_global_init() }()

    /// Initialises libcurl once (`curl_global_init`), before the first handle is made.
    static func initialize() { _ = globalInit }
}
