#if canImport(Glibc)
    import Glibc
#endif

/// The sanitizer the running test build was compiled with (`swift build --sanitize address` or `thread`, as
/// `scripts/sanitize.sh` builds it), or none: the test build is instrumented as a whole, so the test process and
/// the `clustmake`, `compmake` and worker executables it starts are instrumented alike.
///
/// Found at run time: each sanitizer's runtime defines its entry point (`__asan_init`, `__tsan_init`) in the
/// process, and an uninstrumented build has neither. A test whose bound measures the instrumented code's own cost
/// (a peak resident set) uses it to account for the sanitizer's shadow memory (docs/testing.md "Sanitizers").
public enum Sanitizer: String, Sendable {
    case address
    case thread

    /// The sanitizer of this process, or `nil` when it is not instrumented.
    public static let active: Sanitizer? = {
        if dlsym(nil, "__asan_init") != nil { return .address }
        if dlsym(nil, "__tsan_init") != nil { return .thread }
        return nil
    }()
}
