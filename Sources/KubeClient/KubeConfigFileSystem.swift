#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file operations configuration loading needs, with `strerror` reasons short enough to
/// put in an error message after the file and field.
enum KubeConfigFileSystem {
    /// Why a file could not be read.
    struct Problem: Error, Sendable {
        /// `strerror`'s text, e.g. "No such file or directory".
        var reason: String
        /// True when the file does not exist.
        var isMissing: Bool
    }

    /// What identifies one version of a file: a rotated file (rewritten, or a symlink swapped
    /// the way the kubelet rotates projected tokens) gets a different stamp.
    struct Stamp: Sendable, Hashable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
    }

    /// Files larger than this are not configuration (and are not read into memory).
    static let maximumSize = 16 << 20

    /// The whole file, following symlinks.
    static func contents(_ path: String) -> Result<[UInt8], Problem> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(problem(errno)) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(problem(errno))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumSize {
                return .failure(Problem(reason: "larger than \(maximumSize >> 20) MiB", isMissing: false))
            }
        }
    }

    /// The file's text, as UTF-8.
    static func text(_ path: String) -> Result<String, Problem> {
        contents(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The file's stamp, following symlinks; nil when it cannot be examined.
    static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Stamp(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec))
    }

    /// True when `path` names an existing regular file (or a symlink to one).
    static func isFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    private static func problem(_ code: Int32) -> Problem {
        Problem(reason: String(cString: strerror(code)), isMissing: code == ENOENT || code == ENOTDIR)
    }
}
