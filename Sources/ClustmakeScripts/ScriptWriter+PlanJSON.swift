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
