package activecampaign

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/autocred/autocred"
)

// Segment is a segment a user can pick.
type Segment struct {
	// ID is a UUID for saved segments (the "audiences" of the app) and a
	// decimal number for legacy segments, which /audiences lists too.
	ID     string
	Name   string
	Legacy bool // a numeric id
	// Members is the last count ActiveCampaign computed, or -1 when it
	// gives none (segments /audiences does not list).
	Members int
}

// IsLegacyID tells whether a segment id is a legacy numeric one.
func IsLegacyID(id string) bool {
	_, err := strconv.ParseUint(id, 10, 63)
	return err == nil
}

// Segments lists the segments a user can pick, each once, sorted by name.
// Both lists are read, every page of each: GET /audiences (the saved
// segments of the app's Audiences page, by UUID or, for older segments, by
// numeric id: Pipedream's test event shows segment id "1") and GET
// /segments (legacy segments; Pipedream PR #18896 found it returns "only
// legacy/hidden segments"). A segment on both lists keeps the name and
// count of /audiences: that is the page users see today, and /segments has
// no counts. A segment /segments marks hidden ("1": kept by the app for an
// automation's conditions, not shown to users) is left out unless
// /audiences lists it.
func (c *Client) Segments(ctx context.Context) ([]Segment, error) {
	saved, err := c.audiences(ctx)
	if err != nil {
		return nil, err
	}
	legacy, err := c.legacySegments(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Segment, 0, len(saved)+len(legacy))
	seen := make(map[string]bool, len(saved)+len(legacy))
	for _, s := range saved {
		if !seen[s.ID] {
			seen[s.ID] = true
			out = append(out, s)
		}
	}
	for _, s := range legacy {
		if !seen[s.ID] && !s.hidden {
			seen[s.ID] = true
			out = append(out, s.Segment)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// audiences reads every page of GET /audiences. It stops at the last page
// the answer names, or at an empty page, or when a page repeats ids
// already read (a server that ignores page would otherwise loop forever).
func (c *Client) audiences(ctx context.Context) ([]Segment, error) {
	const pageSize = 1000
	var out []Segment
	seen := map[string]bool{}
	for page := 1; ; page++ {
		var resp struct {
			Data []struct {
				ID         string `json:"id"`
				Attributes struct {
					SegmentID flexString `json:"segment_id"`
					Name      string     `json:"name"`
					Counts    struct {
						LastTotal *struct {
							Count *int            `json:"count"`
							RunID json.RawMessage `json:"run_id"`
						} `json:"last_total"`
					} `json:"counts"`
				} `json:"attributes"`
			} `json:"data"`
			Meta struct {
				Page struct {
					LastPage count `json:"last_page"`
				} `json:"page"`
			} `json:"meta"`
		}
		q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(pageSize)}, "sort": {"name"}}
		if err := c.get(ctx, "GET /audiences", "/audiences", q, &resp); err != nil {
			return nil, err
		}
		fresh := 0
		for _, d := range resp.Data {
			s := Segment{ID: string(d.Attributes.SegmentID), Name: d.Attributes.Name, Members: -1}
			if s.ID == "" {
				s.ID = d.ID
			}
			s.Legacy = IsLegacyID(s.ID)
			// A count that no run has computed yet (run_id null) is
			// not a count: shown as unknown, not as zero members.
			if lt := d.Attributes.Counts.LastTotal; lt != nil && lt.Count != nil && len(lt.RunID) > 0 && string(lt.RunID) != "null" {
				s.Members = *lt.Count
			}
			if !seen[s.ID] {
				seen[s.ID] = true
				fresh++
				out = append(out, s)
			}
		}
		last := int(resp.Meta.Page.LastPage)
		if fresh == 0 || (last > 0 && page >= last) || (last == 0 && len(resp.Data) < pageSize) {
			return out, nil
		}
	}
}

// legacySegment is an entry of GET /segments.
type legacySegment struct {
	Segment
	hidden bool
}

// legacySegments reads every page of GET /segments.
func (c *Client) legacySegments(ctx context.Context) ([]legacySegment, error) {
	var out []legacySegment
	for offset := 0; ; {
		var resp struct {
			Segments []struct {
				ID     ID         `json:"id"`
				Name   string     `json:"name"`
				Hidden flexString `json:"hidden"`
			} `json:"segments"`
			Meta struct {
				Total count `json:"total"`
			} `json:"meta"`
		}
		q := url.Values{"limit": {"100"}, "offset": {strconv.Itoa(offset)}}
		if err := c.get(ctx, "GET /segments", "/segments", q, &resp); err != nil {
			return nil, err
		}
		for _, s := range resp.Segments {
			out = append(out, legacySegment{Segment: Segment{ID: s.ID.String(), Name: s.Name, Legacy: true, Members: -1},
				hidden: s.Hidden == "1" || s.Hidden == "true"})
		}
		offset += len(resp.Segments)
		if len(resp.Segments) == 0 || offset >= int(resp.Meta.Total) {
			return out, nil
		}
	}
}

// IsMember asks whether one contact matches a segment now
// (GET /segmentMatch/{segment}/{contact}), with either id form. An answer
// that refuses the segment (400, 403, 404, 422), or a segment that
// segment matching is remembered to refuse (see Snapshot), matches
// ErrMatchUnavailable: the contact can then only be found by reading the
// whole segment.
func (c *Client) IsMember(ctx context.Context, segmentID string, contactID autocred.ContactID) (bool, error) {
	if fb, ok := c.ways.current(segmentID, time.Now()); ok && fb.refused {
		return false, fmt.Errorf("%w: %s", ErrMatchUnavailable, fb.reason)
	}
	var resp struct {
		Data json.RawMessage `json:"data"`
	}
	path := "/segmentMatch/" + url.PathEscape(segmentID) + "/" + contactID.String()
	if err := c.get(ctx, "GET /segmentMatch", path, nil, &resp); err != nil {
		if refusal(err) {
			return false, fmt.Errorf("%w: %w", ErrMatchUnavailable, err)
		}
		return false, err
	}
	var items []struct {
		Attributes struct {
			EntityID autocred.ContactID `json:"entity_id"`
			Match    bool               `json:"match"`
		} `json:"attributes"`
	}
	if err := decodeOneOrMany(resp.Data, &items); err != nil {
		return false, fmt.Errorf("activecampaign GET /segmentMatch: unreadable answer: %w", err)
	}
	for _, it := range items {
		if it.Attributes.EntityID == contactID || it.Attributes.EntityID == 0 {
			return it.Attributes.Match, nil
		}
	}
	return false, fmt.Errorf("activecampaign GET /segmentMatch: the answer does not mention contact %s", contactID)
}

// decodeOneOrMany reads a JSON:API "data" member that may be an object or
// an array of objects into a slice.
func decodeOneOrMany[T any](raw json.RawMessage, out *[]T) error {
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == "" || trimmed == "null" {
		*out = nil
		return nil
	}
	if trimmed[0] == '[' {
		return json.Unmarshal(raw, out)
	}
	var one T
	if err := json.Unmarshal(raw, &one); err != nil {
		return err
	}
	*out = []T{one}
	return nil
}
