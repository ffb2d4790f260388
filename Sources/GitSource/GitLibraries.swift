import CLibGit2
import Curl

/// Versions of the C libraries GitSource runs on.
public enum GitLibraries {
    /// libgit2's version, e.g. `1.5.1`.
    public static var libgit2Version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        git_libgit2_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }

    /// libcurl's version string, e.g. `libcurl/7.88.1 OpenSSL/3.0.19 ...` (the Curl module's
    /// ``CurlLibrary/version``, which GitSource's HTTP transport runs on).
    public static var libcurlVersion: String {
        CurlLibrary.version
    }
}
