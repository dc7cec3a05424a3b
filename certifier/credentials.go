package certifier

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Recipient is who a credential is for.
type Recipient struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// Status is where a credential stands (spec §3.1).
type Status string

// The statuses Certifier documents. Issue acts only on a draft; send only
// on an issued credential.
const (
	StatusDraft     Status = "draft"
	StatusScheduled Status = "scheduled"
	StatusIssued    Status = "issued"
	StatusExpired   Status = "expired"
)

// Credential is a certificate or badge.
type Credential struct {
	ID               string            `json:"id"`
	PublicID         string            `json:"publicId"`
	GroupID          string            `json:"groupId"`
	Status           Status            `json:"status"`
	Recipient        Recipient         `json:"recipient"`
	IssueDate        string            `json:"issueDate"`
	ExpiryDate       *string           `json:"expiryDate"`
	CustomAttributes map[string]string `json:"customAttributes"`
	CreatedAt        time.Time         `json:"createdAt"`
}

// NewCredential is the body of a create.
type NewCredential struct {
	GroupID          string            `json:"groupId"`
	Recipient        Recipient         `json:"recipient"`
	IssueDate        string            `json:"issueDate,omitempty"`  // YYYY-MM-DD; empty: today
	ExpiryDate       string            `json:"expiryDate,omitempty"` // YYYY-MM-DD; empty: the group's setting
	CustomAttributes map[string]string `json:"customAttributes,omitempty"`
}

// CreateIssueSend creates, issues and emails a credential in one call.
func (c *Client) CreateIssueSend(ctx context.Context, nc NewCredential) (Credential, error) {
	var out Credential
	err := c.call(ctx, "POST", "POST /credentials/create-issue-send", "/credentials/create-issue-send", nil, nc, &out)
	return out, err
}

// Create makes a draft credential.
func (c *Client) Create(ctx context.Context, nc NewCredential) (Credential, error) {
	var out Credential
	err := c.call(ctx, "POST", "POST /credentials", "/credentials", nil, nc, &out)
	return out, err
}

// Issue moves a draft to issued. Issuing a credential that is no longer a
// draft fails, which makes a retry after an unknown outcome safe to detect.
func (c *Client) Issue(ctx context.Context, id string) (Credential, error) {
	var out Credential
	err := c.call(ctx, "POST", "POST /credentials/{id}/issue", "/credentials/"+url.PathEscape(id)+"/issue", nil, nil, &out)
	return out, err
}

// Send emails an issued credential to its recipient. It is not safe to
// repeat: every call sends another email.
func (c *Client) Send(ctx context.Context, id string) (Credential, error) {
	var out Credential
	body := map[string]string{"deliveryMethod": "email"}
	err := c.call(ctx, "POST", "POST /credentials/{id}/send", "/credentials/"+url.PathEscape(id)+"/send", nil, body, &out)
	return out, err
}

// Get reads one credential.
func (c *Client) Get(ctx context.Context, id string) (Credential, error) {
	var out Credential
	err := c.call(ctx, "GET", "GET /credentials/{id}", "/credentials/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// Searching. Certifier's search reference documents string operators
// (equals, contains, startsWith, endsWith, in) and enum operators (equals,
// in) on fields such as recipient.email, recipient.name and status, a sort
// by createdAt, and cursor pagination; it documents no date range and
// does not say that groupId is searchable
// (https://developers.certifier.io/docs/api-reference/credentials/search-credentials).
// So a search asks only for the recipient's email, and everything else (the
// group, the time) is picked from the answer by the caller.
const (
	// searchPage is the page size asked for: the reference's own example
	// uses 25, and it documents no maximum.
	searchPage = 25
	// searchPages bounds one search (1,000 credentials). A recipient with
	// more credentials created since the cutoff than that cannot be
	// reconciled, and the search fails rather than answer from part of
	// them.
	searchPages = 40
)

// ErrSearchIncomplete: a search stopped before it had read every
// credential that could match, so its answer cannot say "none".
var ErrSearchIncomplete = errors.New("certifier: search answer incomplete")

// RecipientEmails is what a search by email asks for: the email as given
// and, when different, in lower case. The reference says only that equals
// is an "exact match", and does not say whether Certifier keeps an email's
// case as sent or lowers it; asking for both forms (the documented in
// operator) finds the credential either way.
func RecipientEmails(email string) []string {
	if lower := strings.ToLower(email); lower != email {
		return []string{email, lower}
	}
	return []string{email}
}

// SearchRecipient returns every credential of the recipient email created
// at or after since (all of them when since is zero), newest first: POST
// /credentials/search with {"recipient":{"email":{"in":[…]}}} sorted by
// createdAt descending, page after page (pagination.next). Paging stops
// early at the first credential older than since, but only while every
// answer so far has really come newest first: a sort that was not applied
// must not hide an older page's match. It fails with ErrSearchIncomplete
// past searchPages pages, and with the call's error otherwise: either way
// the caller has no answer, never an empty one.
func (c *Client) SearchRecipient(ctx context.Context, email string, since time.Time) ([]Credential, error) {
	body := map[string]any{
		"filter": map[string]any{"recipient": map[string]any{"email": map[string]any{"in": RecipientEmails(email)}}},
		"sort":   map[string]string{"property": "createdAt", "order": "desc"},
		"limit":  searchPage,
	}
	var (
		out    []Credential
		sorted = true
	)
	for range searchPages {
		var resp struct {
			Data       []Credential `json:"data"`
			Pagination pagination   `json:"pagination"`
		}
		if err := c.call(ctx, "POST", "POST /credentials/search", "/credentials/search", nil, body, &resp); err != nil {
			return nil, err
		}
		older := false
		for _, cr := range resp.Data {
			if n := len(out); n > 0 && cr.CreatedAt.After(out[n-1].CreatedAt) {
				sorted = false
			}
			out = append(out, cr)
			older = older || cr.CreatedAt.Before(since)
		}
		if resp.Pagination.Next == nil || *resp.Pagination.Next == "" || (older && sorted) {
			return slices.DeleteFunc(out, func(cr Credential) bool { return cr.CreatedAt.Before(since) }), nil
		}
		body["cursor"] = *resp.Pagination.Next
	}
	return nil, &Error{Endpoint: "POST /credentials/search", Code: "incomplete", described: true, cause: ErrSearchIncomplete,
		Message: fmt.Sprintf("more than %d credentials of this recipient to read; autocred cannot tell from part of them whether one was made", searchPages*searchPage)}
}
