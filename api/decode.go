package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/autocred/autocred"
)

// maxBody bounds a request body. The largest real one, an automation
// mapping fifty attributes of a thousand characters, is far below.
const maxBody = 1 << 20

// decode reads the request body, one JSON value, into dst: at most maxBody
// bytes, no unknown fields, nothing after the value. An empty body is an
// error unless optional, when dst keeps what it holds.
func decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if optional && errors.Is(err, io.EOF) {
			return nil
		}
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return decodeError(err)
		}
		return autocred.Errorf(autocred.EINVALID, "the request body has more after its JSON value; send exactly one JSON object")
	}
	return nil
}

// decodeError turns a JSON decoding error into one that says what to fix.
func decodeError(err error) error {
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
		return autocred.Errorf(autocred.EINVALID, "the request body has an unknown field %s; the fields are described in %s/openapi.json",
			strings.TrimPrefix(err.Error(), "json: unknown field "), prefix)
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

// pathID reads the {id} of a path: a positive integer.
func pathID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, autocred.FieldErrorf("id", "%q is not an id: ids are positive integers", s)
	}
	return id, nil
}
