import CLibGit2
import Foundation

/// libgit2 remote callbacks bound to an `OperationContext`: credentials from the context,
/// SSH host keys checked against its known_hosts, and the deadline enforced on every progress tick.
enum RemoteCallbacks {
    static func make(for context: OperationContext) -> git_remote_callbacks {
        var callbacks = git_remote_callbacks()
        git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION))
        callbacks.payload = Unmanaged.passUnretained(context).toOpaque()
        callbacks.credentials = { out, _, usernameFromURL, allowedTypes, payload in
            guard let out, let payload else { return -1 }
            let context = Unmanaged<OperationContext>.fromOpaque(payload).takeUnretainedValue()
            return RemoteCallbacks.credentials(out, usernameFromURL.map { String(cString: $0) }, allowedTypes, context)
        }
        callbacks.certificate_check = { cert, _, host, payload in
            guard let cert, let payload else { return -1 }
            let context = Unmanaged<OperationContext>.fromOpaque(payload).takeUnretainedValue()
            return RemoteCallbacks.checkCertificate(cert, host.map { String(cString: $0) } ?? "", context)
        }
        callbacks.transfer_progress = { stats, payload in
            guard let payload else { return 0 }
            let context = Unmanaged<OperationContext>.fromOpaque(payload).takeUnretainedValue()
            if let stats, let progress = context.progress {
                progress(
                    FetchProgress(
                        url: context.url.description, totalObjects: Int(stats.pointee.total_objects),
                        receivedObjects: Int(stats.pointee.received_objects), indexedObjects: Int(stats.pointee.indexed_objects),
                        receivedBytes: Int(stats.pointee.received_bytes)))
            }
            return context.shouldAbort ? -1 : 0
        }
        callbacks.sideband_progress = { _, _, payload in
            guard let payload else { return 0 }
            let context = Unmanaged<OperationContext>.fromOpaque(payload).takeUnretainedValue()
            return context.shouldAbort ? -1 : 0
        }
        return callbacks
    }

    private static func credentials(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>,
        _ usernameFromURL: String?, _ allowed: UInt32, _ context: OperationContext
    ) -> Int32 {
        let creds = context.credentials
        let user = creds.username ?? usernameFromURL ?? context.url.user ?? "git"
        // libgit2 calls again after the server refused what we gave; a second answer would loop.
        guard context.nextCredentialAttempt() <= 2 else {
            context.record(GitSourceError(.authentication, "\(context.url) refused the credentials"))
            return GIT_EAUTH.rawValue
        }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 && allowed & GIT_CREDENTIAL_SSH_KEY.rawValue == 0 {
            return git_credential_username_new(out, user)
        }
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
            guard let key = creds.sshPrivateKey else {
                context.record(GitSourceError(.authentication, "\(context.url) needs an SSH key; give one with --ssh-key"))
                return GIT_EAUTH.rawValue
            }
            guard FileManager.default.isReadableFile(atPath: key) else {
                context.record(GitSourceError(.invalidInput, "cannot read the SSH key \(key)"))
                return GIT_EAUTH.rawValue
            }
            return git_credential_ssh_key_new(out, user, nil, key, creds.sshPassphrase?.value)
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0, let password = creds.password {
            return git_credential_userpass_plaintext_new(out, user, password.value)
        }
        context.record(GitSourceError(.authentication, "\(context.url) asks for credentials and none were given"))
        return GIT_EAUTH.rawValue
    }

    private static func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>, _ host: String, _ context: OperationContext) -> Int32 {
        guard cert.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            // TLS certificates are verified by libcurl in our HTTP transport, never here.
            return 0
        }
        let hostkey = UnsafeMutableRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        guard hostkey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostkey.hostkey else {
            context.record(GitSourceError(.untrusted, "the SSH server \(host) sent no host key to verify"))
            return GIT_ECERTIFICATE.rawValue
        }
        let key = Data(bytes: raw, count: hostkey.hostkey_len)
        guard let path = context.credentials.knownHosts else {
            context.record(GitSourceError(.untrusted, "the SSH host key of \(host) cannot be verified: give a known_hosts file with --known-hosts"))
            return GIT_ECERTIFICATE.rawValue
        }
        do {
            let knownHosts = try KnownHosts(path: path)
            let port = context.url.port ?? 22
            switch knownHosts.verify(host: host, port: port, keyType: KnownHosts.keyType(hostkey.raw_type), key: key) {
            case .trusted:
                return 0
            case .unknown:
                context.record(GitSourceError(.untrusted, "the SSH host \(KnownHosts.pattern(host: host, port: port)) is not in \(path); refusing to connect"))
            case .mismatch:
                context.record(GitSourceError(.untrusted, "the SSH host key of \(KnownHosts.pattern(host: host, port: port)) does not match the one in \(path); refusing to connect (possible man-in-the-middle)"))
            case .revoked:
                context.record(GitSourceError(.untrusted, "the SSH host key of \(host) is revoked in \(path)"))
            }
        } catch let error as GitSourceError {
            context.record(error)
        } catch {
            context.record(GitSourceError(.invalidInput, "cannot read \(path): \(error)"))
        }
        return GIT_ECERTIFICATE.rawValue
    }
}
