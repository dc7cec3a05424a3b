package certifier

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/mail"
	"strings"
	"time"
)

// Status is a credential's state. The API lists draft, scheduled, issued
// and expired (spec §3.1); the sandbox makes drafts and issued credentials
// and accepts the other two only as search values.
type Status string

const (
	StatusDraft     Status = "draft"
	StatusScheduled Status = "scheduled"
	StatusIssued    Status = "issued"
	StatusExpired   Status = "expired"
)

// Recipient is whom a credential is for. Email is "" when the credential
// was made with a name only.
type Recipient struct {
	ID    string
	Name  string
	Email string
}

// Credential is a credential as the sandbox holds it. It marshals to JSON
// exactly as the API shows it.
type Credential struct {
	ID       string
	PublicID string
	GroupID  string
	// GroupName is the group's current name (its last one if the group was
	// deleted), shown as the group.name attribute.
	GroupName        string
	Status           Status
	Recipient        Recipient
	IssueDate        string // YYYY-MM-DD
	ExpiryDate       string // YYYY-MM-DD, "" when it never expires
	CustomAttributes map[string]string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// credentialJSON is the credential object of spec §3.1.
type credentialJSON struct {
	ID               string            `json:"id"`
	PublicID         string            `json:"publicId"`
	GroupID          string            `json:"groupId"`
	Status           Status            `json:"status"`
	Recipient        recipientJSON     `json:"recipient"`
	IssueDate        string            `json:"issueDate"`
	ExpiryDate       *string           `json:"expiryDate"`
	Attributes       map[string]any    `json:"attributes"`
	CustomAttributes map[string]string `json:"customAttributes"`
	CreatedAt        string            `json:"createdAt"`
	UpdatedAt        string            `json:"updatedAt"`
}

type recipientJSON struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Email *string `json:"email"`
}

// MarshalJSON writes the credential as the API shows it, with the built-in
// attributes computed.
func (c Credential) MarshalJSON() ([]byte, error) { return json.Marshal(c.apiView()) }

func (c *Credential) apiView() credentialJSON {
	email, expiry := nullIfEmpty(c.Recipient.Email), nullIfEmpty(c.ExpiryDate)
	custom := maps.Clone(c.CustomAttributes)
	if custom == nil {
		custom = map[string]string{}
	}
	return credentialJSON{
		ID:         c.ID,
		PublicID:   c.PublicID,
		GroupID:    c.GroupID,
		Status:     c.Status,
		Recipient:  recipientJSON{ID: c.Recipient.ID, Name: c.Recipient.Name, Email: email},
		IssueDate:  c.IssueDate,
		ExpiryDate: expiry,
		Attributes: map[string]any{
			"recipient.name":        c.Recipient.Name,
			"recipient.email":       email,
			"credential.issueDate":  c.IssueDate,
			"credential.expiryDate": expiry,
			"group.name":            c.GroupName,
		},
		CustomAttributes: custom,
		CreatedAt:        formatTime(c.CreatedAt),
		UpdatedAt:        formatTime(c.UpdatedAt),
	}
}

func (c *Credential) clone() Credential {
	v := *c
	v.CustomAttributes = maps.Clone(c.CustomAttributes)
	return v
}

func credentialKey(c *Credential) sortKey { return sortKey{formatTime(c.CreatedAt), c.ID} }

// Credentials returns a workspace's credentials in creation order: the
// ground truth tests check a client's work against. Deleted credentials
// are gone, as in the API. An unknown workspace has none.
func (s *Server) Credentials(workspace string) []Credential {
	ws, err := s.workspace(workspace)
	if err != nil {
		return nil
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	out := make([]Credential, len(ws.credentials))
	for i, c := range ws.credentials {
		out[i] = c.clone()
	}
	return out
}

// credentialBody is the body of POST /credentials and create-issue-send.
type credentialBody struct {
	GroupID          *string         `json:"groupId"`
	Recipient        *recipientBody  `json:"recipient"`
	IssueDate        *string         `json:"issueDate"`
	ExpiryDate       json.RawMessage `json:"expiryDate"`
	CustomAttributes map[string]any  `json:"customAttributes"`
}

type recipientBody struct {
	Name  *string         `json:"name"`
	Email json.RawMessage `json:"email"`
}

// newCredential validates a create body against the workspace and returns
// the draft it describes, not yet stored. The caller holds ws.mu.
func (s *Server) newCredential(ws *workspace, b *credentialBody) (*Credential, *apiError) {
	if b.GroupID == nil || *b.GroupID == "" {
		return nil, validationError("groupId is required")
	}
	g := ws.groupByID[*b.GroupID]
	if g == nil {
		return nil, validationError("groupId %q does not match any group in this workspace", *b.GroupID)
	}
	if b.Recipient == nil {
		return nil, validationError("recipient is required: an object with name and, optionally, email")
	}
	if b.Recipient.Name == nil || strings.TrimSpace(*b.Recipient.Name) == "" {
		return nil, validationError("recipient.name is required")
	}
	email, _, err := recipientEmail(b.Recipient.Email)
	if err != nil {
		return nil, err
	}

	issue := s.now().Format(dateLayout)
	if b.IssueDate != nil {
		if err := checkDate("issueDate", *b.IssueDate); err != nil {
			return nil, err
		}
		issue = *b.IssueDate
	}
	expiry, present, err := nullableString("expiryDate", b.ExpiryDate)
	switch {
	case err != nil:
		return nil, err
	case !present && g.ExpiryMonths > 0:
		// "expiryDate defaults to the group's expiry setting" (spec §3.2);
		// an explicit null means "never expires".
		expiry = addMonths(issue, g.ExpiryMonths)
	case expiry != "":
		if err := checkDate("expiryDate", expiry); err != nil {
			return nil, err
		}
	}
	if err := checkExpiry(issue, expiry); err != nil {
		return nil, err
	}
	custom, err := ws.customAttributes(b.CustomAttributes)
	if err != nil {
		return nil, err
	}

	id, now := s.ids.next()
	return &Credential{
		ID:               id,
		PublicID:         newUUID(),
		GroupID:          g.ID,
		GroupName:        g.Name,
		Status:           StatusDraft,
		Recipient:        Recipient{ID: s.recipientID(ws, email), Name: *b.Recipient.Name, Email: email},
		IssueDate:        issue,
		ExpiryDate:       expiry,
		CustomAttributes: custom,
		CreatedAt:        now,
		UpdatedAt:        now,
	}, nil
}

// recipientEmail reads recipient.email: absent or null means none (the spec
// allows name-only credentials); a string must be a well-formed address,
// and an empty string is not one.
func recipientEmail(raw json.RawMessage) (email string, present bool, err *apiError) {
	email, present, err = nullableString("recipient.email", raw)
	if err != nil || raw == nil || string(raw) == "null" {
		return email, present, err
	}
	if !validEmail(email) {
		return "", true, validationError("recipient.email %q is not a valid email address", email)
	}
	return email, true, nil
}

// validEmail accepts a bare address (no display name, no comments) whose
// domain has at least one dot, as a delivery service would require.
func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func checkExpiry(issue, expiry string) *apiError {
	if expiry != "" && expiry < issue { // YYYY-MM-DD strings sort like dates
		return validationError("expiryDate %s is before issueDate %s", expiry, issue)
	}
	return nil
}

// customAttributes checks a customAttributes object: text values, keyed by
// the tags of custom attributes that exist in the workspace (spec §3.2).
func (ws *workspace) customAttributes(m map[string]any) (map[string]string, *apiError) {
	out, err := stringMap("customAttributes", m)
	if err != nil {
		return nil, err
	}
	for _, tag := range sortedKeys(out) {
		switch {
		case !strings.HasPrefix(tag, customPrefix):
			return nil, validationError("customAttributes key %q is not a custom attribute tag; tags start with %q", tag, customPrefix)
		case !ws.attributeByTag[tag]:
			return nil, validationError("customAttributes key %q does not match any attribute in this workspace; create it in the dashboard first", tag)
		}
	}
	return out, nil
}

// recipientID gives every credential of one email the same recipient id;
// a name-only recipient gets a new one.
func (s *Server) recipientID(ws *workspace, email string) string {
	if id, ok := ws.recipientIDs[email]; ok && email != "" {
		return id
	}
	id, _ := s.ids.next()
	if email != "" {
		ws.recipientIDs[email] = id
	}
	return id
}

// createCredential is POST /credentials: a draft.
func (s *Server) createCredential(ws *workspace, r *http.Request) (int, any, *apiError) {
	var body credentialBody
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	c, err := s.newCredential(ws, &body)
	if err != nil {
		return 0, nil, err
	}
	ws.addCredential(c)
	return http.StatusCreated, c.apiView(), nil
}

// createIssueSend is POST /credentials/create-issue-send: create, issue and
// email in one step. Without a recipient email nothing could be delivered,
// so the request is refused and nothing is created (the spec only says an
// email is needed "to deliver anything"; refusing is the answer that cannot
// leave a credential behind that the client believes was not made).
func (s *Server) createIssueSend(ws *workspace, r *http.Request) (int, any, *apiError) {
	if err := ws.planRefuses(); err != nil {
		return 0, nil, err
	}
	var body credentialBody
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	c, err := s.newCredential(ws, &body)
	if err != nil {
		return 0, nil, err
	}
	if c.Recipient.Email == "" {
		return 0, nil, validationError("recipient.email is required: create-issue-send emails the credential")
	}
	c.Status = StatusIssued
	ws.addCredential(c)
	s.send(ws, c)
	return http.StatusCreated, c.apiView(), nil
}

// issueCredential is POST /credentials/{id}/issue. Only a draft can be
// issued; anything else is 409 conflict (the spec expects "400 or 409,
// undocumented"). A client retrying an issue whose answer it lost gets the
// 409 and should read the credential to see that it is issued.
func (s *Server) issueCredential(ws *workspace, r *http.Request) (int, any, *apiError) {
	if err := ws.planRefuses(); err != nil {
		return 0, nil, err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	c, err := ws.credential(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if c.Status != StatusDraft {
		return 0, nil, conflict("credential %s is %s; only a draft credential can be issued", c.ID, c.Status)
	}
	c.Status = StatusIssued
	c.UpdatedAt = s.now()
	return http.StatusOK, c.apiView(), nil
}

// sendCredential is POST /credentials/{id}/send. Every successful call
// sends another email: send is not idempotent (spec §5).
func (s *Server) sendCredential(ws *workspace, r *http.Request) (int, any, *apiError) {
	var body struct {
		DeliveryMethod *string `json:"deliveryMethod"`
	}
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	switch {
	case body.DeliveryMethod == nil:
		return 0, nil, validationError(`deliveryMethod is required; the only value is "email"`)
	case *body.DeliveryMethod != "email":
		return 0, nil, validationError(`deliveryMethod must be "email", got %q`, *body.DeliveryMethod)
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	c, err := ws.credential(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if c.Status != StatusIssued {
		return 0, nil, conflict("credential %s is %s; only an issued credential can be sent", c.ID, c.Status)
	}
	if c.Recipient.Email == "" {
		return 0, nil, validationError("credential %s has no recipient.email; set one before sending", c.ID)
	}
	s.send(ws, c)
	return http.StatusOK, c.apiView(), nil
}

func (s *Server) getCredential(ws *workspace, r *http.Request) (int, any, *apiError) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	c, err := ws.credential(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.apiView(), nil
}

// listCredentials is GET /credentials, newest first like search's default.
func (s *Server) listCredentials(ws *workspace, r *http.Request) (int, any, *apiError) {
	c, limit, err := pageQuery(r.URL.Query(), "credentials")
	if err != nil {
		return 0, nil, err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	creds, p := ascending(ws.credentials, credentialKey, true).page("credentials", c, limit)
	return http.StatusOK, renderCredentials(creds, p), nil
}

func renderCredentials(creds []*Credential, p pagination) listResponse[credentialJSON] {
	out := listResponse[credentialJSON]{Data: make([]credentialJSON, len(creds)), Pagination: p}
	for i, c := range creds {
		out.Data[i] = c.apiView()
	}
	return out
}

// credentialPatch is the body of PATCH /credentials/{id} (spec §3.2).
type credentialPatch struct {
	Recipient        *recipientBody  `json:"recipient"`
	IssueDate        *string         `json:"issueDate"`
	ExpiryDate       json.RawMessage `json:"expiryDate"`
	CustomAttributes map[string]any  `json:"customAttributes"`
}

// updateCredential is PATCH /credentials/{id}. Fields left out keep their
// value; expiryDate null clears it; recipient.email null removes it;
// customAttributes, when given, replaces the whole set (the spec does not
// say whether it merges; replacing is the only way to remove a value).
// The expiry is not recomputed when only issueDate changes.
func (s *Server) updateCredential(ws *workspace, r *http.Request) (int, any, *apiError) {
	var body credentialPatch
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	c, err := ws.credential(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	next := c.clone()
	if rb := body.Recipient; rb != nil {
		if rb.Name != nil {
			if strings.TrimSpace(*rb.Name) == "" {
				return 0, nil, validationError("recipient.name cannot be empty")
			}
			next.Recipient.Name = *rb.Name
		}
		email, present, err := recipientEmail(rb.Email)
		if err != nil {
			return 0, nil, err
		}
		if present && email != next.Recipient.Email {
			next.Recipient.Email = email
			next.Recipient.ID = s.recipientID(ws, email)
		}
	}
	if body.IssueDate != nil {
		if err := checkDate("issueDate", *body.IssueDate); err != nil {
			return 0, nil, err
		}
		next.IssueDate = *body.IssueDate
	}
	expiry, present, err := nullableString("expiryDate", body.ExpiryDate)
	if err != nil {
		return 0, nil, err
	}
	if present {
		if expiry != "" {
			if err := checkDate("expiryDate", expiry); err != nil {
				return 0, nil, err
			}
		}
		next.ExpiryDate = expiry
	}
	if err := checkExpiry(next.IssueDate, next.ExpiryDate); err != nil {
		return 0, nil, err
	}
	if body.CustomAttributes != nil {
		if next.CustomAttributes, err = ws.customAttributes(body.CustomAttributes); err != nil {
			return 0, nil, err
		}
	}
	next.UpdatedAt = s.now()

	ws.unindexEmail(c)
	*c = next
	ws.indexEmail(c)
	return http.StatusOK, c.apiView(), nil
}

// deleteCredential is DELETE /credentials/{id}: permanent, empty answer.
// The spec says "empty body"; 204 No Content is the status for that.
func (s *Server) deleteCredential(ws *workspace, r *http.Request) (int, any, *apiError) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	c, err := ws.credential(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	ws.deleteCredential(c)
	return http.StatusNoContent, nil, nil
}

func (ws *workspace) credential(id string) (*Credential, *apiError) {
	c := ws.credentialByID[id]
	if c == nil {
		return nil, notFound("credential %q not found", id)
	}
	return c, nil
}
