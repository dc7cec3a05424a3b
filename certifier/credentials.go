package certifier

import (
	"context"
	"net/url"
	"time"
)

// Recipient is who a credential is for.
type Recipient struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

// Credential is a certificate or badge.
type Credential struct {
	ID               string            `json:"id"`
	PublicID         string            `json:"publicId"`
	GroupID          string            `json:"groupId"`
	Status           string            `json:"status"` // draft, scheduled, issued, expired
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

// Query selects credentials for Search. Empty fields do not filter.
type Query struct {
	Email        string
	GroupID      string
	CreatedAfter time.Time // inclusive
}

// Search finds credentials (POST /credentials/search), newest first,
// following pagination.next. It is how an unknown outcome is reconciled:
// the credential a lost answer made is found by recipient, group and time.
func (c *Client) Search(ctx context.Context, q Query) ([]Credential, error) {
	var and []any
	if q.Email != "" {
		and = append(and, map[string]any{"recipient": map[string]any{"email": map[string]string{"equals": q.Email}}})
	}
	if q.GroupID != "" {
		and = append(and, map[string]any{"groupId": map[string]string{"equals": q.GroupID}})
	}
	if !q.CreatedAfter.IsZero() {
		and = append(and, map[string]any{"createdAt": map[string]string{"gte": q.CreatedAfter.UTC().Format(time.RFC3339Nano)}})
	}
	body := map[string]any{
		"sort":  map[string]string{"property": "createdAt", "order": "desc"},
		"limit": 100,
	}
	if len(and) > 0 {
		body["filter"] = map[string]any{"AND": and}
	}
	var out []Credential
	for {
		var resp struct {
			Data       []Credential `json:"data"`
			Pagination pagination   `json:"pagination"`
		}
		if err := c.call(ctx, "POST", "POST /credentials/search", "/credentials/search", nil, body, &resp); err != nil {
			return nil, err
		}
		out = append(out, resp.Data...)
		if resp.Pagination.Next == nil || *resp.Pagination.Next == "" {
			return out, nil
		}
		body["cursor"] = *resp.Pagination.Next
	}
}
