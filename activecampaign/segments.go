package activecampaign

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Segment is a segment a user can pick.
type Segment struct {
	// ID is a UUID for saved segments (the "audiences" of the app) and a
	// decimal number for legacy segments.
	ID     string
	Name   string
	Legacy bool
	// Members is the last count ActiveCampaign computed, or -1 when it
	// gives none (legacy segments).
	Members int
}

// IsLegacyID tells whether a segment id is a legacy numeric one.
func IsLegacyID(id string) bool {
	_, err := strconv.ParseUint(id, 10, 63)
	return err == nil
}

// Segments lists the saved segments (GET /audiences) and then the legacy
// ones (GET /segments), each sorted by name. Pipedream found that /segments
// returns only legacy and hidden segments, so both are read.
func (c *Client) Segments(ctx context.Context) ([]Segment, error) {
	saved, err := c.audiences(ctx)
	if err != nil {
		return nil, err
	}
	legacy, err := c.legacySegments(ctx)
	if err != nil {
		return nil, err
	}
	return append(saved, legacy...), nil
}

func (c *Client) audiences(ctx context.Context) ([]Segment, error) {
	const pageSize = 1000
	var out []Segment
	for page := 1; ; page++ {
		var resp struct {
			Data []struct {
				ID         string `json:"id"`
				Attributes struct {
					SegmentID string `json:"segment_id"`
					Name      string `json:"name"`
					Counts    struct {
						LastTotal *struct {
							Count *int            `json:"count"`
							RunID json.RawMessage `json:"run_id"`
						} `json:"last_total"`
					} `json:"counts"`
				} `json:"attributes"`
			} `json:"data"`
		}
		q := url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(pageSize)}, "sort": {"name"}}
		if err := c.get(ctx, "GET /audiences", "/audiences", q, &resp); err != nil {
			return nil, err
		}
		for _, d := range resp.Data {
			s := Segment{ID: d.Attributes.SegmentID, Name: d.Attributes.Name, Members: -1}
			if s.ID == "" {
				s.ID = d.ID
			}
			// A count that no run has computed yet (run_id null) is
			// not a count: shown as unknown, not as zero members.
			if lt := d.Attributes.Counts.LastTotal; lt != nil && lt.Count != nil && len(lt.RunID) > 0 && string(lt.RunID) != "null" {
				s.Members = *lt.Count
			}
			out = append(out, s)
		}
		if len(resp.Data) < pageSize {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

func (c *Client) legacySegments(ctx context.Context) ([]Segment, error) {
	var out []Segment
	for offset := 0; ; {
		var resp struct {
			Segments []struct {
				ID   ID     `json:"id"`
				Name string `json:"name"`
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
			out = append(out, Segment{ID: s.ID.String(), Name: s.Name, Legacy: true, Members: -1})
		}
		offset += len(resp.Segments)
		if len(resp.Segments) == 0 || offset >= int(resp.Meta.Total) {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// IsMember asks whether one contact matches a segment now
// (GET /segmentMatch/{segment}/{contact}).
func (c *Client) IsMember(ctx context.Context, segmentID string, contactID ID) (bool, error) {
	var resp struct {
		Data json.RawMessage `json:"data"`
	}
	path := "/segmentMatch/" + url.PathEscape(segmentID) + "/" + contactID.String()
	if err := c.get(ctx, "GET /segmentMatch", path, nil, &resp); err != nil {
		return false, err
	}
	var items []struct {
		Attributes struct {
			EntityID ID   `json:"entity_id"`
			Match    bool `json:"match"`
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
