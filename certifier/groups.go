package certifier

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Group is a credential template ("group" in the API).
type Group struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	LearningEventURL string `json:"learningEventUrl,omitempty"`
}

// pagination is the envelope of every list answer.
type pagination struct {
	Next *string `json:"next"`
}

// CheckToken proves that the token works with the cheapest call, as
// Certifier's integrations do: GET /groups?limit=1.
func (c *Client) CheckToken(ctx context.Context) error {
	_, err := c.FirstGroupID(ctx)
	return err
}

// FirstGroupID proves that the token works, as CheckToken does with the
// same call, and returns the id of the first group its workspace lists;
// "" for a workspace without groups. Group ids are ULID-like (a time and
// 80 random bits; docs/api-notes/certifier.md), so two tokens that list
// the same first group reach one workspace: how autocred tells that a
// workspace is connected twice, since no call it makes names the
// workspace.
func (c *Client) FirstGroupID(ctx context.Context) (string, error) {
	var resp struct {
		Data []Group `json:"data"`
	}
	if err := c.call(ctx, "GET", "GET /groups", "/groups", url.Values{"limit": {"1"}}, nil, &resp); err != nil {
		return "", err
	}
	if len(resp.Data) == 0 {
		return "", nil
	}
	return resp.Data[0].ID, nil
}

// Group reads one group: the cheapest way to learn that a group still
// exists. A group deleted in the dashboard answers 404 (errors.Is
// ErrNotFound).
func (c *Client) Group(ctx context.Context, id string) (Group, error) {
	var g Group
	err := c.call(ctx, "GET", "GET /groups/{id}", "/groups/"+url.PathEscape(id), nil, nil, &g)
	return g, err
}

// Groups lists every group, following pagination.next.
func (c *Client) Groups(ctx context.Context) ([]Group, error) {
	var out []Group
	q := url.Values{"limit": {"100"}}
	for {
		var resp struct {
			Data       []Group    `json:"data"`
			Pagination pagination `json:"pagination"`
		}
		if err := c.call(ctx, "GET", "GET /groups", "/groups", q, nil, &resp); err != nil {
			return nil, err
		}
		out = append(out, resp.Data...)
		if resp.Pagination.Next == nil || *resp.Pagination.Next == "" {
			break
		}
		q.Set("cursor", *resp.Pagination.Next)
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// Attribute is a workspace attribute that a credential can carry.
type Attribute struct {
	Tag       string `json:"tag"` // "custom.course_name"
	Name      string `json:"name"`
	IsDefault bool   `json:"isDefault"`
}

// CustomAttributes lists the attributes a mapping can fill: the workspace's
// non-default ones (the defaults, like recipient.name, come from the
// credential itself).
func (c *Client) CustomAttributes(ctx context.Context) ([]Attribute, error) {
	all, err := c.attributes(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if !a.IsDefault && strings.HasPrefix(a.Tag, "custom.") {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out, nil
}

// attributes reads GET /attributes. Integrations disagree on its shape (a
// bare array, or a {data, pagination} envelope), so both are read, and the
// envelope's pages are followed.
func (c *Client) attributes(ctx context.Context) ([]Attribute, error) {
	var out []Attribute
	q := url.Values{"limit": {"100"}}
	for {
		var raw json.RawMessage
		if err := c.call(ctx, "GET", "GET /attributes", "/attributes", q, nil, &raw); err != nil {
			return nil, err
		}
		if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '[' {
			var list []Attribute
			if err := json.Unmarshal(trimmed, &list); err != nil {
				return nil, fmt.Errorf("certifier GET /attributes: unreadable answer: %w", err)
			}
			return append(out, list...), nil
		}
		var page struct {
			Data       []Attribute `json:"data"`
			Pagination pagination  `json:"pagination"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, fmt.Errorf("certifier GET /attributes: unreadable answer: %w", err)
		}
		out = append(out, page.Data...)
		if page.Pagination.Next == nil || *page.Pagination.Next == "" {
			return out, nil
		}
		q.Set("cursor", *page.Pagination.Next)
	}
}
