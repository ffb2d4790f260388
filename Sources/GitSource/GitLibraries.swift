import CLibCurl
import CLibGit2

/// Versions of the C libraries GitSource runs on.
public enum GitLibraries {
    /// libgit2's version, e.g. `1.5.1`.
    public static var libgit2Version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        git_libgit2_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// libcurl's version string, e.g. `libcurl/7.88.1 OpenSSL/3.0.19 ...`.
    public static var libcurlVersion: String {
        String(cString: curl_version())
    }
}
