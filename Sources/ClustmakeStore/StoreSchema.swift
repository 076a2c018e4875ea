/// The version of the redis schema this build reads and writes (docs/redis-schema.md).
///
/// Every namespace records the version it was written with (`compmake:{NS}:schema`). Every reader and writer
/// checks it first and stops with ``StoreError/Code/schemaMismatch`` on any other value, so an old worker never
/// misreads a newer layout or the other way round. Changing a key or an encoding means a new version, a new line
/// in the document's history and a test that pins it.
public enum StoreSchema {
    /// The schema version written by `clustmake push` and expected by every reader and writer.
    public static let version = 1

    /// How many entries the event stream keeps (approximately; `XADD … MAXLEN ~`).
    public static let eventStreamLength = 100_000

    /// How many bytes of each output stream an attempt keeps in redis: the last 64 KiB.
    public static let outputTailBytes = 64 * 1024
}
