// Package jsonbody reads the REST API's JSON request bodies strictly: one
// value, at most MaxBody bytes, no unknown fields, no text that cannot be
// stored, and an error for each refusal that says what to fix.
//
// It is apart from package api so that its fuzz target (FuzzDecode) builds
// without the store: api imports the service, and so the store, PostgreSQL's
// driver and modernc.org/sqlite, and go test -fuzz instruments every package
// the test binary depends on for coverage, which for those took minutes of
// CPU on a cold build cache (scripts/test has the numbers). Keep it so: this
// package and its tests import nothing of autocred but the root package.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/autocred/autocred"
)

// MaxBody bounds a request body. The largest real one, an automation
// mapping fifty attributes of a thousand characters, is far below.
const MaxBody = 1 << 20

// Decode reads the request body, one JSON value, into dst: at most MaxBody
// bytes, no unknown fields, nothing after the value, and no string that
// cannot be stored (autocred.CheckStorable: a NUL, or bytes that are not
// UTF-8, which encoding/json would otherwise turn into U+FFFD unseen). An
// empty body is an error unless optional, when dst keeps what it holds.
// schema is the document that describes the fields (the API's
// openapi.json), which the error for an unknown field names.
func Decode(w http.ResponseWriter, r *http.Request, dst any, optional bool, schema string) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		return Error(err, schema)
	}
	if err := checkStorable(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if optional && errors.Is(err, io.EOF) {
			return nil
		}
		return Error(err, schema)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return Error(err, schema)
		}
		return autocred.Errorf(autocred.EINVALID, "the request body has more after its JSON value; send exactly one JSON object")
	}
	return nil
}

// checkStorable refuses a JSON body with a string (a value or a key) that
// cannot be stored, naming the field ("action.recipient_name",
// "action.custom_attributes.custom.course"; "[2]" for an array's third
// element). A body that is not valid JSON passes, for the decoder to
// refuse with its own message.
func checkStorable(body []byte) error {
	if bytes.IndexByte(body, 0) < 0 && !bytes.Contains(body, []byte(`\u0000`)) && utf8.Valid(body) {
		return nil // the common case, in one pass
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type level struct {
		path  string
		array bool
		index int  // the next element's index, in an array
		key   bool // in an object: the next string is a key
	}
	var stack []level
	field := func(key string) string { // the path of the value that comes next
		if len(stack) == 0 {
			return ""
		}
		l := &stack[len(stack)-1]
		if l.array {
			l.index++
			return fmt.Sprintf("%s[%d]", l.path, l.index-1)
		}
		if l.path == "" {
			return key
		}
		return l.path + "." + key
	}
	key := ""
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or not JSON: decode says which
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				stack = append(stack, level{path: field(key), array: d == '[', key: d == '{'})
			default:
				stack = stack[:top]
			}
			if len(stack) > 0 && !stack[len(stack)-1].array {
				stack[len(stack)-1].key = true
			}
			continue
		}
		if top >= 0 && !stack[top].array && stack[top].key {
			s := tok.(string)
			if err := storableToken(body[start:dec.InputOffset()], s); err != nil {
				if stack[top].path == "" {
					return autocred.Errorf(autocred.EINVALID, "the request body has a field whose name %s", err)
				}
				return autocred.FieldErrorf(stack[top].path, "has a key that %s", err)
			}
			key, stack[top].key = s, false
			continue
		}
		path := field(key)
		if s, ok := tok.(string); ok {
			if err := storableToken(body[start:dec.InputOffset()], s); err != nil {
				if path == "" {
					return autocred.Errorf(autocred.EINVALID, "the request body %s", err)
				}
				return autocred.FieldErrorf(path, "%s", err)
			}
		}
		if top >= 0 && !stack[top].array {
			stack[top].key = true
		}
	}
}

// storableToken checks one JSON string, raw as sent and decoded: a NUL
// shows in the decoded value, bytes that are not UTF-8 only in the raw one.
func storableToken(raw []byte, decoded string) error {
	if utf8.Valid(raw) {
		return autocred.CheckStorable(decoded)
	}
	// Where the bad bytes are, in characters of the value: the decoded
	// text before them (escapes are ASCII, so the cut is never inside one).
	open := bytes.IndexByte(raw, '"')
	bad := open + 1
	for bad < len(raw) {
		r, size := utf8.DecodeRune(raw[bad:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		bad += size
	}
	var before string
	_ = json.Unmarshal(append(bytes.Clone(raw[open:bad]), '"'), &before)
	return autocred.CheckStorable(before + "\xff")
}

// Error turns a JSON decoding error into one that says what to fix; schema
// is as for Decode.
func Error(err error, schema string) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var wrongType *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return autocred.Errorf(autocred.ETOOLARGE, "the request body is larger than %d bytes", tooLarge.Limit)
	case errors.Is(err, io.EOF):
		return autocred.Errorf(autocred.EINVALID, "the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return autocred.Errorf(autocred.EINVALID, "the request body is not valid JSON: it ends in the middle of a value")
	case errors.As(err, &syntax):
		return autocred.Errorf(autocred.EINVALID, "the request body is not valid JSON: %s (at byte %d)", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset)
	case errors.As(err, &wrongType):
		if wrongType.Field == "" {
			return autocred.Errorf(autocred.EINVALID, "the request body must be %s, not a JSON %s", jsonKind(wrongType.Type), wrongType.Value)
		}
		return autocred.FieldErrorf(wrongType.Field, "must be %s, not a JSON %s", jsonKind(wrongType.Type), wrongType.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no error type for this one; its text is
		// `json: unknown field "name"`.
		return autocred.Errorf(autocred.EINVALID, "the request body has an unknown field %s; the fields are described in %s",
			strings.TrimPrefix(err.Error(), "json: unknown field "), schema)
	}
	return autocred.Errorf(autocred.EINVALID, "the request body could not be read")
}

// jsonKind names the JSON a Go type reads, for messages.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
