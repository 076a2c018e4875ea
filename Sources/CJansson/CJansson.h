// The jansson API for Swift, plus `cjansson_` shims for what the Clang importer cannot import.
//
// Only ClustmakeJSON imports this module. jansson's function-like macros (json_typeof,
// json_is_*, json_boolean, JSON_INDENT, JSON_REAL_PRECISION) are not visible to Swift, and its
// flag macros are plain ints while the functions take size_t, so they are re-exposed below as
// static inline functions (a system-library target cannot hold a .c file).
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#if JANSSON_VERSION_HEX < 0x020e00
#error "clustmake needs jansson 2.14 or later (json_object_getn, json_object_iter_key_len)"
#endif

// MARK: - Type tests (json_typeof and json_is_* are macros)

static inline json_type cjansson_typeof(const json_t *json) { return json_typeof(json); }
static inline bool cjansson_is_object(const json_t *json) { return json_is_object(json); }
static inline bool cjansson_is_array(const json_t *json) { return json_is_array(json); }
static inline bool cjansson_is_string(const json_t *json) { return json_is_string(json); }
static inline bool cjansson_is_integer(const json_t *json) { return json_is_integer(json); }
static inline bool cjansson_is_real(const json_t *json) { return json_is_real(json); }
static inline bool cjansson_is_number(const json_t *json) { return json_is_number(json); }
static inline bool cjansson_is_true(const json_t *json) { return json_is_true(json); }
static inline bool cjansson_is_false(const json_t *json) { return json_is_false(json); }
static inline bool cjansson_is_boolean(const json_t *json) { return json_is_boolean(json); }
static inline bool cjansson_is_null(const json_t *json) { return json_is_null(json); }

/// `json_boolean(value)`: a new reference to the true or false singleton.
static inline json_t *cjansson_boolean(bool value) { return json_boolean(value); }

// MARK: - Errors

/// `json_error_code(error)`: shares its name with the enum type, which makes it awkward to call
/// from Swift.
static inline enum json_error_code cjansson_error_code(const json_error_t *error) {
    return json_error_code(error);
}

// MARK: - Decoding flags, as size_t

static inline size_t cjansson_reject_duplicates(void) { return JSON_REJECT_DUPLICATES; }
static inline size_t cjansson_disable_eof_check(void) { return JSON_DISABLE_EOF_CHECK; }
static inline size_t cjansson_decode_any(void) { return JSON_DECODE_ANY; }
static inline size_t cjansson_decode_int_as_real(void) { return JSON_DECODE_INT_AS_REAL; }
static inline size_t cjansson_allow_nul(void) { return JSON_ALLOW_NUL; }

// MARK: - Encoding flags, as size_t

/// `JSON_INDENT(n)`: pretty-print with `n` spaces (0...31) per level.
static inline size_t cjansson_indent(size_t n) { return JSON_INDENT(n); }
/// `JSON_REAL_PRECISION(n)`: significant digits for reals (0...31; 0 means jansson's default, 17).
static inline size_t cjansson_real_precision(size_t n) { return JSON_REAL_PRECISION(n); }
static inline size_t cjansson_compact(void) { return JSON_COMPACT; }
static inline size_t cjansson_ensure_ascii(void) { return JSON_ENSURE_ASCII; }
static inline size_t cjansson_sort_keys(void) { return JSON_SORT_KEYS; }
static inline size_t cjansson_encode_any(void) { return JSON_ENCODE_ANY; }
static inline size_t cjansson_escape_slash(void) { return JSON_ESCAPE_SLASH; }

// MARK: - Limits

/// The deepest nesting of arrays and objects the parser accepts.
static inline int cjansson_parser_max_depth(void) { return JSON_PARSER_MAX_DEPTH; }
