/// Writes JSON text token by token into a byte buffer, for outputs too large to build as a
/// ``JSONValue`` first (the plan of a million jobs).
///
/// The writer puts in the commas, colons and (when pretty) the newlines and indentation; the
/// caller says what comes next:
///
/// ```swift
/// var writer = JSONWriter(pretty: true)
/// writer.beginObject()
/// writer.key("jobs")
/// writer.beginArray()
/// for job in jobs {
///     writer.beginObject()
///     writer.key("id"); writer.string(job.id)
///     writer.key("cost"); writer.double(job.cost)
///     writer.endObject()
///     if writer.bytes.count > 1 << 20 { try file.write(writer.takeBytes()) }
/// }
/// writer.endArray()
/// writer.endObject()
/// ```
///
/// The text follows RFC 8259 and matches what ``JSONValue/serialized(pretty:sortKeys:)`` writes,
/// byte for byte, except for reals:
/// - Strings are UTF-8, escaping only `"`, `\` and the control characters U+0000...U+001F (as
///   `\b \f \n \r \t` or `\u00XX`). U+2028 and U+2029 are left as they are, which JSON allows.
///   A string may hold U+0000; it is written `\u0000` (this module reads it back in strings, but
///   jansson rejects it in object keys).
/// - Reals are written in the shortest form that reads back as the same `Double` (`0.1`, `1.0`,
///   `1e+16`), always with a `.` or an exponent so they stay reals. NaN and infinities have no
///   JSON form and are written as `null`.
/// - Compact output has no whitespace; pretty output puts each member and element on its own
///   line, indented, with `": "` after keys, and no newline after the last token.
///
/// Calling the methods out of order (a value where a key is due, `endArray()` in an object, a
/// second top-level value) is a programming error and stops the program.
public struct JSONWriter: Sendable {
    /// The text written so far (or since the last ``takeBytes()``).
    public internal(set) var bytes: [UInt8] = []

    /// Spaces per level when pretty printing; 0 for compact output.
    private let indentWidth: Int
    /// The open arrays and objects, innermost last.
    private var open: [Container] = []
    /// Whether the top-level value is complete.
    public private(set) var isComplete = false

    private struct Container {
        var isObject: Bool
        /// Members or elements started so far.
        var count = 0
        /// In an object: a key has been written and its value is due.
        var expectsValue = false
    }

    /// Creates a writer.
    ///
    /// - Parameters:
    ///   - pretty: Whether to put each member and element on its own line, indented.
    ///   - indentWidth: Spaces per nesting level when `pretty` is set.
    ///   - capacity: Bytes to reserve in the buffer up front.
    public init(pretty: Bool = false, indentWidth: Int = 2, reservingCapacity capacity: Int = 0) {
        precondition(indentWidth >= 0, "JSONWriter indentWidth must not be negative")
        self.indentWidth = pretty ? max(indentWidth, 0) : 0
        bytes.reserveCapacity(capacity)
    }

    /// The text written so far, as a `String`.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// How many arrays and objects are open.
    public var depth: Int { open.count }

    /// Returns the text written so far and empties the buffer, keeping the writer's place, so a
    /// large document can be written out in pieces.
    public mutating func takeBytes() -> [UInt8] {
        let taken = bytes
        bytes.removeAll(keepingCapacity: true)
        return taken
    }

    // MARK: Containers

    /// Opens an object: write members with ``key(_:)`` and a value each, then ``endObject()``.
    public mutating func beginObject() {
        beginValue()
        bytes.append(UInt8(ascii: "{"))
        open.append(Container(isObject: true))
    }

    /// Closes the innermost object.
    public mutating func endObject() {
        guard let last = open.last, last.isObject, !last.expectsValue else {
            preconditionFailure("JSONWriter.endObject() without an open object awaiting a key")
        }
        endContainer(UInt8(ascii: "}"))
    }

    /// Opens an array: write its elements, then ``endArray()``.
    public mutating func beginArray() {
        beginValue()
        bytes.append(UInt8(ascii: "["))
        open.append(Container(isObject: false))
    }

    /// Closes the innermost array.
    public mutating func endArray() {
        guard let last = open.last, !last.isObject else {
            preconditionFailure("JSONWriter.endArray() without an open array")
        }
        endContainer(UInt8(ascii: "]"))
    }

    /// Writes the key of the next member of the innermost object; its value comes next.
    public mutating func key(_ key: String) {
        guard var container = open.last, container.isObject, !container.expectsValue else {
            preconditionFailure("JSONWriter.key(\"\(key)\") outside an object or where a value is due")
        }
        if container.count > 0 { bytes.append(UInt8(ascii: ",")) }
        newline(depth: open.count)
        container.count += 1
        container.expectsValue = true
        open[open.count - 1] = container
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        if indentWidth > 0 { bytes.append(UInt8(ascii: " ")) }
    }

    // MARK: Scalars

    /// Writes a string value.
    public mutating func string(_ value: String) {
        beginValue()
        writeString(value)
        endValue()
    }

    /// Writes an integer value.
    public mutating func int(_ value: Int64) {
        beginValue()
        writeInteger(value)
        endValue()
    }

    /// Writes an integer value.
    public mutating func int(_ value: Int) {
        int(Int64(value))
    }

    /// Writes a real value in its shortest round-trip form, or `null` if it is not finite.
    public mutating func double(_ value: Double) {
        beginValue()
        writeDouble(value)
        endValue()
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        beginValue()
        append(value ? "true" : "false")
        endValue()
    }

    /// Writes `null`.
    public mutating func null() {
        beginValue()
        append("null")
        endValue()
    }

    /// Writes a whole value, its object members in their order.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let bool): self.bool(bool)
        case .int(let int): self.int(int)
        case .double(let double): self.double(double)
        case .string(let string): self.string(string)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let object):
            beginObject()
            for (key, member) in object {
                self.key(key)
                self.value(member)
            }
            endObject()
        }
    }

    // MARK: Structure

    /// Puts in what must precede a value here (comma, newline and indentation), or stops the
    /// program if no value may come here.
    private mutating func beginValue() {
        guard var container = open.last else {
            precondition(!isComplete, "JSONWriter: a second top-level value")
            return
        }
        if container.isObject {
            precondition(container.expectsValue, "JSONWriter: a value in an object where a key is due")
            container.expectsValue = false
        } else {
            if container.count > 0 { bytes.append(UInt8(ascii: ",")) }
            newline(depth: open.count)
            container.count += 1
        }
        open[open.count - 1] = container
    }

    private mutating func endValue() {
        if open.isEmpty { isComplete = true }
    }

    private mutating func endContainer(_ closer: UInt8) {
        let container = open.removeLast()
        if container.count > 0 { newline(depth: open.count) }
        bytes.append(closer)
        endValue()
    }

    private mutating func newline(depth: Int) {
        guard indentWidth > 0 else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * indentWidth))
    }
}
