import ClustmakeScripts
import PropertyBased
import Testing

@Suite struct ShellQuoteTests {
    /// Characters that mean something to some shell, plus plain ones and non-ASCII.
    static let hostileCharacters: [Character] =
        Array(
            "'\"$()`\\\n\t\r *?[]~!#&;|<>{}=%-,.:/@+^ aZ9é日🙂") + ["\u{7}", "\u{1B}", "\u{A0}", "\u{202E}"]

    static let hostileWords = Gen<Character?>.element(of: hostileCharacters).map { $0! }.string(of: 0...12)

    @Test(
        "safe words are left as they are",
        arguments: [
            "compmake", "/usr/local/bin/compmake", "--hostname=nessa", "a_b.c-d+e=f:g,h@i%j", "13000:localhost:6379",
        ])
    func safeWords(word: String) {
        #expect(ShellQuote.quote(word) == word)
        #expect(ShellQuote.isSafe(word))
    }

    @Test(
        "other words are single-quoted with '\\'' for embedded quotes",
        arguments: [
            ("", "''"), ("a b", "'a b'"), ("it's", "'it'\\''s'"), ("$(rm -rf ~)", "'$(rm -rf ~)'"), ("~", "'~'"),
            ("*", "'*'"), ("'", "\\'"), ("'a b'", "\\''a b'\\'"), ("a\\'b", "'a'\\\\\\''b'"), ("é", "'é'"),
            ("-n", "-n"), ("a\nb", "'a\nb'"),
        ])
    func quotedWords(word: String, quoted: String) {
        #expect(ShellQuote.quote(word) == quoted)
    }

    @Test("join quotes each word and separates them by one space")
    func join() {
        #expect(ShellQuote.join(["printf", "%s\\n", "a b", "c"]) == "printf '%s\\n' 'a b' c")
        #expect(ShellQuote.join([String]()) == "")
    }

    @Test("a quoted hostile word reads back unchanged in sh, once and twice quoted")
    func roundTripInShell() async throws {
        await propertyCheck(count: 40, input: Self.hostileWords.array(of: 1...25)) { words in
            for shell in ["sh", "bash"] {
                expectRoundTrip(words, shell: shell, twice: false)
            }
            // Twice quoted: what ssh's remote shell sees after the local shell removed one level.
            expectRoundTrip(words, shell: "sh", twice: true)
        }
    }

    /// Runs one script printing every quoted word between NUL separators and compares the output.
    private func expectRoundTrip(_ words: [String], shell: String, twice: Bool) {
        var script = ""
        for word in words {
            let quoted = twice ? ShellQuote.quote(ShellQuote.quote(word)) : ShellQuote.quote(word)
            script += twice ? "eval \"printf '%s\\\\0' \"\(quoted)\n" : "printf '%s\\0' \(quoted)\n"
        }
        do {
            let syntax = try Shell.run([shell, "-n", "-c", script])
            #expect(syntax.status == 0, "\(shell) -n rejected: \(syntax.stderr)\n\(script)")
            let result = try Shell.run([shell, "-c", script])
            #expect(result.status == 0, "\(shell) failed: \(result.stderr)")
            let printed = result.stdout.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(
                String.init)
            #expect(printed == words, "\(shell) read back other words from:\n\(script)")
        } catch {
            Issue.record("cannot run \(shell): \(error)")
        }
    }
}
