internal import CJansson

// Conversions between `JSONValue` and jansson trees. Neither direction lets a `json_t` escape:
// callers own what `makeJansson()` returns and release it in a `defer`.

extension JSONValue {
    /// Deep-copies the jansson value `json` (borrowed: not released here).
    init(copying json: UnsafeMutablePointer<json_t>) {
        switch cjansson_typeof(json) {
        case JSON_OBJECT:
            var object = JSONObject(minimumCapacity: json_object_size(json))
            var iterator = json_object_iter(json)
            while let current = iterator {
                let key = JanssonText.string(json_object_iter_key(current), count: json_object_iter_key_len(current))
                // Keys are unique byte strings in jansson, and JSONObject compares bytes too.
                object.appendNew(key: key, value: JSONValue(copying: json_object_iter_value(current)))
                iterator = json_object_iter_next(json, current)
            }
            self = .object(object)
        case JSON_ARRAY:
            let count = json_array_size(json)
            var array: [JSONValue] = []
            array.reserveCapacity(count)
            for index in 0..<count {
                array.append(JSONValue(copying: json_array_get(json, index)))
            }
            self = .array(array)
        case JSON_STRING:
            self = .string(JanssonText.string(json_string_value(json), count: json_string_length(json)))
        case JSON_INTEGER:
            self = .int(Int64(json_integer_value(json)))
        case JSON_REAL:
            self = .double(json_real_value(json))
        case JSON_TRUE:
            self = .bool(true)
        case JSON_FALSE:
            self = .bool(false)
        default:
            self = .null
        }
    }

    /// A new jansson tree equal to this value, as a **new reference** the caller must release.
    ///
    /// Non-finite doubles become `null`, since JSON has no form for them.
    func makeJansson() -> UnsafeMutablePointer<json_t> {
        let made: UnsafeMutablePointer<json_t>?
        switch self {
        case .null:
            made = json_null()
        case .bool(let value):
            made = cjansson_boolean(value)
        case .int(let value):
            made = json_integer(json_int_t(value))
        case .double(let value):
            made = value.isFinite ? json_real(value) : json_null()
        case .string(let value):
            // Swift strings are valid UTF-8, so jansson need not check them again.
            made = JanssonText.withCString(value) { json_stringn_nocheck($0, $1) }
        case .array(let elements):
            made = json_array()
            if let made {
                for element in elements {
                    // json_array_append_new steals the element's reference.
                    json_array_append_new(made, element.makeJansson())
                }
            }
        case .object(let object):
            made = json_object()
            if let made {
                for (key, value) in object {
                    // json_object_setn_new_nocheck steals the value's reference.
                    _ = JanssonText.withCString(key) { json_object_setn_new_nocheck(made, $0, $1, value.makeJansson()) }
                }
            }
        }
        guard let made else {
            // jansson returns NULL here only when malloc fails.
            fatalError("jansson could not allocate a JSON value (out of memory)")
        }
        return made
    }
}

/// Moving text between Swift strings and jansson's C buffers.
enum JanssonText {
    /// A `String` made from `count` UTF-8 bytes at `pointer`, copied once.
    static func string(_ pointer: UnsafePointer<CChar>?, count: Int) -> String {
        guard let pointer, count > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Calls `body` with `string` as a C string and its length in bytes. The length counts
    /// everything, so jansson's length-taking functions see a `\0` inside the string too.
    static func withCString<R>(_ string: String, _ body: (UnsafePointer<CChar>, Int) -> R) -> R {
        string.withCString { body($0, string.utf8.count) }
    }
}
