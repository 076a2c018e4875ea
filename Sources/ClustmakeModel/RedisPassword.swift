/// A password that prints as `***` however it is printed.
///
/// `description`, `debugDescription` and the reflection mirror (used by `dump` and by
/// `String(reflecting:)` on containing types) all show `***`, so an endpoint can be interpolated,
/// dumped or logged without leaking it. Only ``RedisPassword/reveal()`` gives the text back.
public struct RedisPassword: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The mask shown instead of the password.
    public static let mask = "***"

    private let value: String

    public init(_ value: String) { self.value = value }

    /// The password itself, for AUTH and for the few places that must pass it on.
    public func reveal() -> String { value }

    public var description: String { Self.mask }
    public var debugDescription: String { Self.mask }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Replaces every occurrence of the password in `text` with `***`.
    ///
    /// Used on hiredis and server text (a server error may echo a command's arguments), so a
    /// password never reaches an error message. An empty password redacts nothing.
    public func redact(_ text: String) -> String {
        guard !value.isEmpty, text.contains(value) else { return text }
        return text.replacing(value, with: Self.mask)
    }
}
