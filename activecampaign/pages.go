package activecampaign

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// maxPageSize is the v3 API's largest page; it answers 20 items when no
// limit is given (spec §2 "Pagination rules").
const maxPageSize = 100

// maxPages bounds one collection read: 100,000 fields or field values is
// far more than an account has, so an answer that goes on past it is not a
// collection this client understands.
const maxPages = 1000

// readAll reads every page of the v3 collection at path, whose items sit
// under key, with limit=100 and a growing offset. It stops
//
//   - at meta.total, when the answer gives one (the server may answer
//     fewer items than asked for and still have more);
//   - at a short page, when it does not;
//   - at an empty page, or a page that brings no item not seen before (a
//     server that ignores offset answers the same page again, and
//     re-reading it would loop to maxPages).
//
// id(item) identifies an item for that last check.
func readAll[T any](ctx context.Context, c *Client, endpoint, path, key string, id func(T) ID) ([]T, error) {
	var out []T
	seen := map[ID]bool{}
	for offset, pages := 0, 0; ; pages++ {
		if pages == maxPages {
			return nil, fmt.Errorf("activecampaign %s: still more after %d pages of %d; stopped", endpoint, maxPages, maxPageSize)
		}
		q := url.Values{"limit": {strconv.Itoa(maxPageSize)}, "offset": {strconv.Itoa(offset)}}
		var page map[string]json.RawMessage
		if err := c.get(ctx, endpoint, path, q, &page); err != nil {
			return nil, err
		}
		var items []T
		if raw, ok := page[key]; ok {
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, fmt.Errorf("activecampaign %s: unreadable %s: %w", endpoint, key, err)
			}
		}
		var meta struct {
			Total count `json:"total"`
		}
		if raw, ok := page["meta"]; ok {
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, fmt.Errorf("activecampaign %s: unreadable meta: %w", endpoint, err)
			}
		}
		fresh := 0
		for _, it := range items {
			if k := id(it); !seen[k] {
				seen[k] = true
				out = append(out, it)
				fresh++
			}
		}
		offset += len(items)
		switch {
		case fresh == 0: // empty, or the same page again
			return out, nil
		case meta.Total > 0:
			if offset >= int(meta.Total) {
				return out, nil
			}
		case len(items) < maxPageSize:
			return out, nil
		}
	}
}
