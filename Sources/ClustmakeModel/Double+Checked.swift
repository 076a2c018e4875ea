/// The one checked conversion of a `Double` to a whole number: `Int64(someDouble)` traps (SIGILL) on a value that
/// is not finite or does not fit, and a value read from a file or from redis can be anything.
extension Double {
    /// This value rounded to the nearest whole number (half away from zero), or `nil` when it is not finite or
    /// outside `Int64`'s range.
    public var roundedInt64: Int64? {
        let whole = rounded()
        guard whole.isFinite, whole >= -0x1p63, whole < 0x1p63 else { return nil }
        return Int64(whole)
    }
}
