import Foundation

/// The cheap "anything new?" check for HTTP(S) remotes: one protocol v2 `ls-refs` request with
/// `ref-prefix`, so the answer holds only the refs a spec needs (a few hundred bytes), where a v0
/// advertisement lists every ref. Servers without v2 get the v0 advertisement instead.
enum SmartHTTPRefLister {
    /// Lists refs with protocol v2, or returns nil when the server does not speak it.
    static func listV2(_ context: OperationContext, prefixes: [String]) throws -> RemoteListing? {
        var body: [UInt8] = []
        body += PktLine.encode("command=ls-refs\n")
        body += PktLine.encode("agent=git/2.0-sluice\n")
        body += PktLine.delimiter
        body += PktLine.encode("symrefs\n")
        body += PktLine.encode("peel\n")
        for prefix in prefixes { body += PktLine.encode("ref-prefix \(prefix)\n") }
        body += PktLine.flush
        let url = base(context) + "/git-upload-pack"
        let request = SmartHTTP.request(url, context: context, headers: [
            ("Git-Protocol", "version=2"),
            ("Content-Type", "application/x-git-upload-pack-request"),
            ("Accept", "application/x-git-upload-pack-result"),
        ], body: body)
        let response = try SmartHTTP.send(request, context: context)
        if [401, 403, 404].contains(response.status) {
            throw SmartHTTP.statusError(response.status, url: url, context: context)
        }
        guard response.status == 200, response.contentType?.lowercased().hasPrefix("application/x-git-upload-pack-result") == true,
              response.body.count >= 4, response.body.suffix(4).elementsEqual(PktLine.flush),
              let packets = try? PktLine.decode(response.body) else { return nil }
        var raw: [(oid: String, name: String, symref: String?)] = []
        for packet in packets {
            guard let packet else { break }
            let line = String(decoding: packet, as: UTF8.self).trimmingCharacters(in: .newlines)
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 2, fields[0].count == 40, fields[0].allSatisfy(\.isHexDigit) else { return nil }
            var symref: String?
            var peeled: String?
            for attribute in fields.dropFirst(2) {
                if attribute.hasPrefix("symref-target:") { symref = String(attribute.dropFirst("symref-target:".count)) }
                if attribute.hasPrefix("peeled:") { peeled = String(attribute.dropFirst("peeled:".count)) }
            }
            raw.append((fields[0], fields[1], symref))
            if let peeled { raw.append((peeled, fields[1] + "^{}", nil)) }
        }
        return RemoteListing.fold(raw, prefixes: prefixes, method: "protocol v2 ls-refs")
    }

    /// Lists refs from the v0 advertisement (`GET info/refs`), keeping those under `prefixes`.
    static func listV0(_ context: OperationContext, prefixes: [String]) throws -> RemoteListing {
        let url = base(context) + "/info/refs?service=git-upload-pack"
        let response = try SmartHTTP.send(SmartHTTP.request(url, context: context, headers: [("Accept", "*/*")]), context: context)
        guard response.status == 200 else { throw SmartHTTP.statusError(response.status, url: url, context: context) }
        guard response.contentType?.lowercased().hasPrefix("application/x-git-upload-pack-advertisement") == true else {
            throw GitSourceError(.protocolError, "\(RepositoryURL.redact(url)) does not speak Git's smart HTTP protocol")
        }
        let packets = try PktLine.decode(response.body)
        var raw: [(oid: String, name: String, symref: String?)] = []
        var headTarget: String?
        for packet in packets {
            guard let packet else { continue }
            var line = String(decoding: packet, as: UTF8.self)
            if line.hasPrefix("#") { continue }
            if let nul = line.firstIndex(of: "\0") {
                let capabilities = line[line.index(after: nul)...].split(separator: " ")
                for cap in capabilities where cap.hasPrefix("symref=HEAD:") {
                    headTarget = String(cap.dropFirst("symref=HEAD:".count)).trimmingCharacters(in: .newlines)
                }
                line = String(line[..<nul])
            }
            let fields = line.trimmingCharacters(in: .newlines).split(separator: " ").map(String.init)
            guard fields.count == 2, fields[0].count == 40 else { continue }
            if fields[1] == "capabilities^{}" { continue }
            raw.append((fields[0], fields[1], fields[1] == "HEAD" ? headTarget : nil))
        }
        return RemoteListing.fold(raw, prefixes: prefixes, method: "protocol v0 advertisement")
    }

    private static func base(_ context: OperationContext) -> String {
        var url = context.url.gitURL
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
