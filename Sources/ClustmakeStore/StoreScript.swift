import ClustmakeModel

/// One of ``StoreScripts``: its Lua source and the name redis gives it in its script cache.
///
/// The store runs a script by name (`EVALSHA`), sending a few dozen bytes instead of its 3–7 KB of source; when
/// redis does not know the name (`NOSCRIPT`: it restarted, or its cache was flushed with `SCRIPT FLUSH`), the store
/// sends the source once (`EVAL`), which puts it back in the cache.
///
/// The name is written out beside each script (`StoreScript(sha1: "…", source)`) rather than computed: hashing the
/// sources was a quarter of the instructions a worker runs for a job, on every start. `ScriptCacheTests` checks every
/// name against its source and against redis's own `SCRIPT LOAD`, and prints the right name when one is stale. The
/// source is assembled only when it is sent.
struct StoreScript: Sendable {
    /// The SHA-1 of the source in hex: what `SCRIPT LOAD` replies and `EVALSHA` takes.
    let sha1: String
    private let assemble: @Sendable () -> String

    /// The Lua source, assembled on each use (only when redis lacks the script, and in tests).
    var source: String { assemble() }

    /// A script named `sha1`, whose source `source` builds.
    init(sha1: String, _ source: @escaping @Sendable @autoclosure () -> String) {
        self.sha1 = sha1
        self.assemble = source
    }
}
