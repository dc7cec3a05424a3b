package certifier

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Every list answers {"data":[…],"pagination":{"prev":…,"next":…}} with
// limit defaulting to 20 and capped at 100 (spec §2).
const (
	defaultLimit = 20
	maxLimit     = 100
)

type listResponse[T any] struct {
	Data       []T        `json:"data"`
	Pagination pagination `json:"pagination"`
}

// pagination holds opaque cursors; null means there is no such page.
type pagination struct {
	Prev *string `json:"prev"`
	Next *string `json:"next"`
}

// sortKey places an item in a list: by Value, a string that sorts like the
// property it holds (timestamps with fixed millisecond precision,
// YYYY-MM-DD dates), then by ID. IDs are unique, so no two items tie and a
// cursor finds its place again after inserts and deletes: pages are stable.
type sortKey struct {
	Value string `json:"v"`
	ID    string `json:"i"`
}

func (a sortKey) compare(b sortKey) int {
	if c := strings.Compare(a.Value, b.Value); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// cursor is what pagination.prev and .next carry, as base64url JSON. Query
// names the list and its order, so a cursor used with another list or sort
// is refused instead of silently paging the wrong thing.
type cursor struct {
	Query  string  `json:"q"`
	Key    sortKey `json:"k"`
	Before bool    `json:"b,omitempty"` // a prev cursor: the page ends just before Key
}

func (c cursor) encode() *string {
	b, _ := json.Marshal(c) // a struct of strings always marshals
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// parseCursor decodes a cursor given to the list named query; "" is the
// first page.
func parseCursor(s, query string) (*cursor, *apiError) {
	if s == "" {
		return nil, nil
	}
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Query != query {
		return nil, validationError("cursor is not valid for this list; pass back pagination.next or pagination.prev of the same request")
	}
	return &c, nil
}

// parseLimit reads the limit parameter: 1 to 100, 20 when absent.
func parseLimit(raw string, present bool) (int, *apiError) {
	if !present {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, validationError("limit must be an integer between 1 and %d, got %q", maxLimit, raw)
	}
	return checkLimit(n)
}

func checkLimit(n int) (int, *apiError) {
	if n < 1 || n > maxLimit {
		return 0, validationError("limit must be between 1 and %d, got %d", maxLimit, n)
	}
	return n, nil
}

// pageQuery reads ?limit= and ?cursor= of a list endpoint.
func pageQuery(q url.Values, query string) (*cursor, int, *apiError) {
	limit, err := parseLimit(q.Get("limit"), q.Has("limit"))
	if err != nil {
		return nil, 0, err
	}
	c, err := parseCursor(q.Get("cursor"), query)
	return c, limit, err
}

// ordered is a list in the order the client asked for, without copying it:
// at(i) is the i-th item. keep, when set, filters items out while paging, so
// a search over a large candidate list stops as soon as a page is full.
type ordered[T any] struct {
	n    int
	at   func(i int) T
	key  func(T) sortKey
	desc bool
	keep func(T) bool
}

// ascending views a slice sorted by key, in the order asked for.
func ascending[T any](items []T, key func(T) sortKey, desc bool) ordered[T] {
	at := func(i int) T { return items[i] }
	if desc {
		at = func(i int) T { return items[len(items)-1-i] }
	}
	return ordered[T]{n: len(items), at: at, key: key, desc: desc}
}

// cmp compares the i-th item with k in the order of the list.
func (o ordered[T]) cmp(i int, k sortKey) int {
	c := o.key(o.at(i)).compare(k)
	if o.desc {
		return -c
	}
	return c
}

func (o ordered[T]) kept(i int) bool { return o.keep == nil || o.keep(o.at(i)) }

// page returns up to limit items after (or, for a prev cursor, before) the
// cursor, with the cursors of the neighbouring pages when they hold items.
func (o ordered[T]) page(query string, c *cursor, limit int) ([]T, pagination) {
	var idx []int
	if c == nil || !c.Before {
		start := 0
		if c != nil {
			start = sort.Search(o.n, func(i int) bool { return o.cmp(i, c.Key) > 0 })
		}
		for i := start; i < o.n && len(idx) < limit; i++ {
			if o.kept(i) {
				idx = append(idx, i)
			}
		}
	} else {
		end := sort.Search(o.n, func(i int) bool { return o.cmp(i, c.Key) >= 0 })
		for i := end - 1; i >= 0 && len(idx) < limit; i-- {
			if o.kept(i) {
				idx = append(idx, i)
			}
		}
		slices.Reverse(idx)
	}
	items := make([]T, len(idx))
	for j, i := range idx {
		items[j] = o.at(i)
	}
	var p pagination
	if len(idx) == 0 {
		return items, p
	}
	if o.anyKept(idx[0]-1, -1) {
		p.Prev = cursor{Query: query, Key: o.key(items[0]), Before: true}.encode()
	}
	if o.anyKept(idx[len(idx)-1]+1, 1) {
		p.Next = cursor{Query: query, Key: o.key(items[len(items)-1])}.encode()
	}
	return items, p
}

// anyKept reports whether an item is kept from index i on, walking by step.
func (o ordered[T]) anyKept(i, step int) bool {
	for ; i >= 0 && i < o.n; i += step {
		if o.kept(i) {
			return true
		}
	}
	return false
}
