extension Duration {
    /// The duration in seconds, as a `Double` (for arithmetic with times kept as seconds, and for JSON).
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
