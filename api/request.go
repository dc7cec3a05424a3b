package api

import (
	"net/http"
	"strconv"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/jsonbody"
)

// schema describes the request bodies' fields: an error for an unknown
// field names it.
const schema = prefix + "/openapi.json"

// decode reads the request body, one JSON value, into dst, strictly
// (jsonbody.Decode says how); an empty body is an error unless optional,
// when dst keeps what it holds.
func decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	return jsonbody.Decode(w, r, dst, optional, schema)
}

// decodeError turns a JSON decoding error into one that says what to fix.
func decodeError(err error) error { return jsonbody.Error(err, schema) }

// pathID reads the {id} of a path: a positive integer.
func pathID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, autocred.FieldErrorf("id", "%q is not an id: ids are positive integers", s)
	}
	return id, nil
}
