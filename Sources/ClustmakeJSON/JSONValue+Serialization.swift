internal import CJansson

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension JSONValue {
    /// This value as JSON text, written by jansson.
    ///
    /// Object members keep their order unless `sortKeys` is set. Strings are written as UTF-8,
    /// escaping only what JSON requires (`"`, `\` and control characters). Reals are written with
    /// 17 significant digits, which parse back to exactly the same `Double` (so `0.1` is written
    /// `0.10000000000000001`); ``JSONWriter`` writes the shortest form instead. Non-finite reals
    /// are written as `null`.
    ///
    /// - Parameters:
    ///   - pretty: Whether to put each member and element on its own line, indented by two
    ///     spaces; otherwise the text has no whitespace at all.
    ///   - sortKeys: Whether to write object members sorted by key (bytewise).
    /// - Returns: The JSON text, without a trailing newline.
    public func serialized(pretty: Bool = false, sortKeys: Bool = false) -> String {
        let json = makeJansson()
        defer { json_decref(json) }
        var flags = cjansson_encode_any() | cjansson_real_precision(17)
        flags |= pretty ? cjansson_indent(2) : cjansson_compact()
        if sortKeys { flags |= cjansson_sort_keys() }
        guard let text = json_dumps(json, flags) else {
            // json_dumps fails only when malloc does: every value built by makeJansson is dumpable.
            fatalError("jansson could not serialize a JSON value (out of memory)")
        }
        defer { free(text) }
        return String(cString: text)
    }
}
