extension ScriptWriter {
    /// `plan.json` as one byte array (``PlanDirectory`` streams it to the file instead).
    ///
    /// The document is compact JSON on one line, ending with a newline; its fields are documented in
    /// docs/plan-directory.md. Every byte is written by `ClustmakeJSON.JSONWriter`.
    public func planJSON() -> [UInt8] {
        var bytes: [UInt8] = []
        PlanJSON.write(self) { chunk in bytes.append(contentsOf: chunk) }
        return bytes
    }
}

extension ScriptWriter {
    /// `plan.json` as one byte array, or `nil` as soon as it grows past `limit` bytes (a plan too large to keep
    /// elsewhere is never held whole in memory).
    public func planJSON(limit: Int) -> [UInt8]? {
        struct TooLarge: Error {}
        var bytes: [UInt8] = []
        do {
            try PlanJSON.write(self, chunkSize: min(1 << 20, max(1, limit))) { (chunk) throws(TooLarge) in
                guard bytes.count + chunk.count <= limit else { throw TooLarge() }
                bytes.append(contentsOf: chunk)
            }
        } catch {
            return nil
        }
        return bytes
    }
}
