import ClustmakeModel
import ClustmakeScripts
import Foundation
import Testing

/// Every redis URL that README.md and docs/*.md show, read out of the documents and parsed by the one parser
/// (`RedisLocation`) and by the job lines' `RedisAddress`, so a documented form cannot fail.
@Suite struct DocumentedRedisURLTests {
    /// The repository's root, from this file's place.
    static let root: URL = {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX))
        let path =
            realpath(#filePath, &resolved) != nil
            ? String(decoding: resolved.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : #filePath
        return URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }()

    /// Each `redis://…` and `unix://…` in the documents, with the document it is in.
    static let documented: [(document: String, url: String)] = {
        let docs =
            (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path))?
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 } ?? []
        var found: [(String, String)] = []
        for document in ["README.md"] + docs {
            let text = (try? String(contentsOf: root.appendingPathComponent(document), encoding: .utf8)) ?? ""
            for scheme in ["redis://", "unix://"] {
                var rest = text[...]
                while let start = rest.range(of: scheme) {
                    let url = rest[start.lowerBound...].prefix { !" \t\n`'\")|,".contains($0) }
                    found.append((document, String(url)))
                    rest = rest[start.upperBound...]
                }
            }
        }
        return found
    }()

    /// The concrete URLs a documented form stands for: each `[optional part]` with and without it, and the
    /// placeholders `user`, `password`, `host`, `port`, `db` (and the job line's `REDISHOST`, `REDISPORT`, `TUNNEL`,
    /// `N`) replaced by values.
    static func instances(of form: String) -> [String] {
        var forms = [form]
        // An optional userinfo, `[user@]` or `[user:password@]`: the form without it and with it.
        if let open = form.firstIndex(of: "["), let close = form[open...].firstIndex(of: "]"),
            form[open...close].hasSuffix("@]")
        {
            let before = form[..<open]
            let after = form[form.index(after: close)...]
            forms = [String(before + after), String(before + form[form.index(after: open)..<close] + after)]
        }
        return forms.map { form in
            var text = form.replacingOccurrences(of: "user:password@", with: "alice:s3cret@")
                .replacingOccurrences(of: "//user@", with: "//alice@")
                .replacingOccurrences(of: "//host", with: "//db.lab").replacingOccurrences(of: "@host", with: "@db.lab")
                .replacingOccurrences(of: "//REDISHOST", with: "//db.lab").replacingOccurrences(
                    of: ":port", with: ":6380"
                )
                .replacingOccurrences(of: ":REDISPORT", with: ":6380").replacingOccurrences(
                    of: ":TUNNEL", with: ":13000"
                )
                .replacingOccurrences(of: "?db=N", with: "?db=3")
            if text.hasSuffix("/db") || text.hasSuffix("/N") {
                text = String(text.dropLast(text.hasSuffix("/N") ? 1 : 2)) + "3"
            }
            return text
        }
    }

    @Test("the documents show redis URLs, and the forms with placeholders among them")
    func found() {
        #expect(Self.documented.count >= 10, "\(Self.documented)")
        #expect(Self.documented.contains { $0.url == "redis://[user@]host:port/db" })
        #expect(
            Self.instances(of: "redis://[user@]host:port/db") == [
                "redis://db.lab:6380/3", "redis://alice@db.lab:6380/3",
            ])
    }

    @Test("every redis URL the documents show parses, and job lines can carry it")
    func everyDocumentedURLParses() throws {
        for (document, form) in Self.documented {
            for url in Self.instances(of: form) {
                let location: RedisLocation
                do {
                    location = try RedisLocation(parsing: url)
                } catch {
                    Issue.record("\(document): \(url) (from \(form)): \(error)")
                    continue
                }
                if form.hasSuffix("/db") || form.hasSuffix("/N") {
                    #expect(location.database == 3, "\(document): \(url)")
                }
                if form.contains("[user@]") && url.contains("alice@") {
                    #expect(location.username == "alice" && location.password == nil, "\(document): \(url)")
                }
                let address = try RedisAddress(parsing: url)
                #expect(address.database == location.database, "\(document): \(url)")
            }
        }
    }
}
