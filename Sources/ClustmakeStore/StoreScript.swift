import ClustmakeModel

/// One of ``StoreScripts``: its Lua source and the name redis gives it in its script cache.
///
/// The store runs a script by name (`EVALSHA`), sending a few dozen bytes instead of its 3–7 KB of source; when
/// redis does not know the name (`NOSCRIPT`: it restarted, or its cache was flushed with `SCRIPT FLUSH`), the store
/// sends the source once (`EVAL`), which puts it back in the cache.
struct StoreScript: Sendable {
    /// The Lua source.
    let source: String
    /// The SHA-1 of the source in hex: what `SCRIPT LOAD` replies and `EVALSHA` takes.
    let sha1: String

    init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hex(of: source)
    }
}
