package activecampaign

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	defaultLimit = 20
	maxLimit     = 100 // the real API silently clamps larger limits
	maxAPIBody   = 1 << 20
)

// pageParams reads limit and offset the way v3 does: limit defaults to 20 and
// is clamped to 100, offset is zero-based; unreadable values fall back to the
// defaults rather than failing, as the real API does with unknown input.
func pageParams(q url.Values) (limit, offset int) {
	limit = defaultLimit
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, maxLimit)
	}
	if n, err := strconv.Atoi(q.Get("offset")); err == nil && n > 0 {
		offset = n
	}
	return limit, offset
}

// pageBounds clips [offset, offset+limit) to a collection of n items.
func pageBounds(n, limit, offset int) (lo, hi int) {
	lo = min(offset, n)
	hi = min(lo+limit, n)
	return lo, hi
}

// order is one orders[field]=ASC|DESC parameter.
type order struct {
	field string
	desc  bool
}

// orderParams reads the orders[...] parameters in the order they appear in
// the query string, which is the order they apply in (spec §2, pagination).
func orderParams(rawQuery string) []order {
	var out []order
	for _, part := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || !strings.HasPrefix(key, "orders[") || !strings.HasSuffix(key, "]") {
			continue
		}
		out = append(out, order{field: key[len("orders[") : len(key)-1], desc: strings.EqualFold(val, "desc")})
	}
	return out
}

// truthy reads flags such as forceQuery=1 or forceQuery=true.
func truthy(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// parseDateParam reads filters[created_after] and friends: a date, a date
// and time, or ISO-8601 with an offset; times without an offset are in the
// account's zone.
func parseDateParam(v string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (use YYYY-MM-DD or ISO-8601)", v)
}

// decodeBody reads a JSON request body of the real API. Unknown fields are
// ignored as the real API ignores them; the size is capped.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err := dec.Decode(v); err != nil {
		if err == io.EOF {
			err = fmt.Errorf("the body is empty")
		}
		writeBadJSON(w, err)
		return false
	}
	return true
}
