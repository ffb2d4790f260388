import CLibCurl
import Foundation

/// The libcurl the process runs on.
public enum CurlLibrary {
    /// libcurl's version string, e.g. `libcurl/7.88.1 OpenSSL/3.0.19 ...`.
    public static var version: String {
        String(cString: curl_version())
    }

    /// Starts opening libcurl (and the libraries it needs) and initialising it (`curl_global_init`,
    /// which initialises OpenSSL and reads its configuration) on a thread of its own, and returns
    /// at once; the first transfer waits until that is done. libcurl is opened on first use, not
    /// at exec (CDynamicLibrary): started before the command line is parsed, the opening is off a
    /// command's critical path on a machine with a second core.
    public static func openInBackground() {
        Thread.detachNewThread { initialize() }
    }

    /// Opens and initialises libcurl now, on this thread, if it is not yet: for a caller that times
    /// what follows and must not count the opening in it.
    public static func open() { initialize() }

    private static let globalInit: Void = { _ = sluice_curl_global_init() }()

    /// Initialises libcurl once (`curl_global_init`), before the first handle is made.
    static func initialize() { _ = globalInit }
}
