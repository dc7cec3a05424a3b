package certifier

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// maxBodyBytes bounds every request body. The real limit is undocumented;
// 1 MiB is far above any credential or search a client sends.
const maxBodyBytes = 1 << 20

// decodeBody reads a JSON object into v.
//
// Unknown fields are refused with validation_error. The spec is silent on
// them; the real API may ignore them, but a client that misspells a field
// ("expiry_date") would then silently issue a wrong credential, and the
// sandbox is where such a mistake has to show.
func decodeBody(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidJSON("the request body must hold one JSON object and nothing after it")
	}
	return nil
}

// bodyError turns a decoding error into the answer Certifier documents:
// invalid_json when the bytes are not JSON, validation_error when they are
// JSON of the wrong shape.
func bodyError(err error) *apiError {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
		unknown = "json: unknown field "
	)
	switch {
	case errors.Is(err, io.EOF):
		return invalidJSON("the request body is empty; send a JSON object")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return invalidJSON("the request body is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	case errors.As(err, &tooBig):
		return validationError("the request body is larger than %d bytes", tooBig.Limit)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return validationError("the request body must be a JSON object, not %s", typ.Value)
		}
		return validationError("%s must be %s, not %s", typ.Field, kindName(typ.Type), typ.Value)
	case strings.HasPrefix(err.Error(), unknown):
		// encoding/json has no error type for this case; its message is stable.
		return validationError("unknown field %s", strings.TrimPrefix(err.Error(), unknown))
	default:
		return invalidJSON("the request body could not be read: %v", err)
	}
}

// kindName names a Go type the way a JSON user thinks of it.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return kindName(t.Elem())
	default:
		return "a " + t.String()
	}
}

// nullableString reads a field that may be absent, null or a string, such
// as expiryDate, where null means "none" and absence means "the default".
func nullableString(field string, raw json.RawMessage) (value string, present bool, err *apiError) {
	if raw == nil {
		return "", false, nil
	}
	if string(raw) == "null" {
		return "", true, nil
	}
	if jerr := json.Unmarshal(raw, &value); jerr != nil {
		return "", true, validationError("%s must be a string or null", field)
	}
	return value, true, nil
}

// stringMap checks that every value of a JSON object is a string, naming the
// first offending key (in key order, so the message is stable).
func stringMap(field string, m map[string]any) (map[string]string, *apiError) {
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		s, ok := m[k].(string)
		if !ok {
			return nil, validationError("%s[%q] must be a string, not %s", field, k, jsonType(m[k]))
		}
		out[k] = s
	}
	return out, nil
}

// jsonType names the type of a decoded JSON value that is not a string.
func jsonType(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return "null"
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// nullIfEmpty shows an unset optional string as JSON null.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
