package certifier

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Group is a credential template ("Groups" are being renamed "Credential
// Templates"; the paths stay /groups, spec §2).
type Group struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	LearningEventURL    string    `json:"learningEventUrl,omitempty"`
	DesignIDs           []string  `json:"designIds"`
	CertificateDesignID string    `json:"certificateDesignId,omitempty"`
	BadgeDesignID       string    `json:"badgeDesignId,omitempty"`
	ExpiryMonths        int       `json:"expiryMonths,omitempty"`
	CreatedAt           time.Time `json:"createdAt"`
	UpdatedAt           time.Time `json:"updatedAt"`
}

// GroupInput describes a group to create through AddGroup or the control
// API.
type GroupInput struct {
	Name             string   `json:"name"`
	LearningEventURL string   `json:"learningEventUrl,omitempty"`
	DesignIDs        []string `json:"designIds,omitempty"`
	// CertificateDesignID and BadgeDesignID are the legacy form of
	// DesignIDs; give one form or the other.
	CertificateDesignID string `json:"certificateDesignId,omitempty"`
	BadgeDesignID       string `json:"badgeDesignId,omitempty"`
	// ExpiryMonths is the group's expiry setting: a credential created
	// without expiryDate expires this many months after its issue date.
	// 0 means it never expires. The API does not show this setting (the
	// spec lists no such group field); it is made in the dashboard.
	ExpiryMonths int `json:"expiryMonths,omitempty"`
}

// groupJSON is a group as the API shows it (spec §2).
type groupJSON struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	LearningEventURL    *string  `json:"learningEventUrl"`
	DesignIDs           []string `json:"designIds"`
	CertificateDesignID *string  `json:"certificateDesignId"`
	BadgeDesignID       *string  `json:"badgeDesignId"`
	CreatedAt           string   `json:"createdAt"`
	UpdatedAt           string   `json:"updatedAt"`
}

func (g *Group) apiView() groupJSON {
	return groupJSON{
		ID:                  g.ID,
		Name:                g.Name,
		LearningEventURL:    nullIfEmpty(g.LearningEventURL),
		DesignIDs:           slices.Clone(g.DesignIDs),
		CertificateDesignID: nullIfEmpty(g.CertificateDesignID),
		BadgeDesignID:       nullIfEmpty(g.BadgeDesignID),
		CreatedAt:           formatTime(g.CreatedAt),
		UpdatedAt:           formatTime(g.UpdatedAt),
	}
}

func (g *Group) clone() Group {
	c := *g
	c.DesignIDs = slices.Clone(g.DesignIDs)
	return c
}

func groupKey(g *Group) sortKey { return sortKey{formatTime(g.CreatedAt), g.ID} }

// AddGroup creates a group in a workspace, as the dashboard would. When no
// design is given one is made up: a dashboard group always has a design.
func (s *Server) AddGroup(workspace string, in GroupInput) (Group, error) {
	ws, err := s.workspace(workspace)
	if err != nil {
		return Group{}, err
	}
	if len(in.DesignIDs) > 0 && (in.CertificateDesignID != "" || in.BadgeDesignID != "") {
		return Group{}, fmt.Errorf("group %q: give designIds or the legacy certificateDesignId/badgeDesignId, not both", in.Name)
	}
	in.settleDesigns(len(in.DesignIDs) == 0)
	if len(in.DesignIDs) == 0 {
		id, _ := s.ids.next()
		in.DesignIDs = []string{id}
		in.settleDesigns(false)
	}
	if in.ExpiryMonths < 0 || in.ExpiryMonths > 1200 {
		return Group{}, fmt.Errorf("group %q: expiryMonths must be between 0 (never expires) and 1200, got %d", in.Name, in.ExpiryMonths)
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	g, apiErr := s.addGroup(ws, in)
	if apiErr != nil {
		return Group{}, fmt.Errorf("group %q: %s", in.Name, apiErr.message)
	}
	return g.clone(), nil
}

// addGroup validates and stores a group; the caller holds ws.mu.
func (s *Server) addGroup(ws *workspace, in GroupInput) (*Group, *apiError) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	id, now := s.ids.next()
	g := &Group{
		ID:                  id,
		Name:                in.Name,
		LearningEventURL:    in.LearningEventURL,
		DesignIDs:           slices.Clone(in.DesignIDs),
		CertificateDesignID: in.CertificateDesignID,
		BadgeDesignID:       in.BadgeDesignID,
		ExpiryMonths:        in.ExpiryMonths,
		CreatedAt:           now,
		UpdatedAt:           now,
	}
	ws.groups = insertByID(ws.groups, g, groupID)
	ws.groupByID[id] = g
	return g, nil
}

// settleDesigns keeps the two forms of a group's designs in step. The spec
// says the legacy fields are "still returned" without saying how they map
// to designIds; the sandbox treats the first design as the certificate and
// the second as the badge.
func (in *GroupInput) settleDesigns(fromLegacy bool) {
	if fromLegacy {
		in.DesignIDs = nil
		for _, id := range []string{in.CertificateDesignID, in.BadgeDesignID} {
			if id != "" {
				in.DesignIDs = append(in.DesignIDs, id)
			}
		}
		return
	}
	in.CertificateDesignID, in.BadgeDesignID = "", ""
	if len(in.DesignIDs) > 0 {
		in.CertificateDesignID = in.DesignIDs[0]
	}
	if len(in.DesignIDs) > 1 {
		in.BadgeDesignID = in.DesignIDs[1]
	}
}

func (in *GroupInput) validate() *apiError {
	if strings.TrimSpace(in.Name) == "" {
		return validationError("name is required")
	}
	if in.LearningEventURL != "" {
		u, err := url.Parse(in.LearningEventURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return validationError("learningEventUrl must be an absolute http or https URL, got %q", in.LearningEventURL)
		}
	}
	if len(in.DesignIDs) == 0 {
		return validationError("designIds must hold at least one design id (or give the legacy certificateDesignId or badgeDesignId)")
	}
	for i, id := range in.DesignIDs {
		if strings.TrimSpace(id) == "" {
			return validationError("designIds[%d] must not be empty", i)
		}
	}
	return nil
}

// groupBody is the body of POST and PATCH /groups. Nullable fields are raw
// so that null ("clear it") differs from absent ("leave it").
type groupBody struct {
	Name                *string         `json:"name"`
	LearningEventURL    json.RawMessage `json:"learningEventUrl"`
	DesignIDs           *[]string       `json:"designIds"`
	CertificateDesignID json.RawMessage `json:"certificateDesignId"`
	BadgeDesignID       json.RawMessage `json:"badgeDesignId"`
}

// apply lays the body over a group's current fields.
func (b *groupBody) apply(in GroupInput) (GroupInput, *apiError) {
	legacy := b.CertificateDesignID != nil || b.BadgeDesignID != nil
	if b.DesignIDs != nil && legacy {
		return in, validationError("send designIds or the legacy certificateDesignId/badgeDesignId, not both")
	}
	if b.Name != nil {
		in.Name = *b.Name
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{
		{"learningEventUrl", b.LearningEventURL, &in.LearningEventURL},
		{"certificateDesignId", b.CertificateDesignID, &in.CertificateDesignID},
		{"badgeDesignId", b.BadgeDesignID, &in.BadgeDesignID},
	} {
		v, present, err := nullableString(f.name, f.raw)
		if err != nil {
			return in, err
		}
		if present {
			*f.dst = v
		}
	}
	switch {
	case b.DesignIDs != nil:
		in.DesignIDs = slices.Clone(*b.DesignIDs)
		in.settleDesigns(false)
	case legacy:
		in.settleDesigns(true)
	}
	return in, nil
}

func (g *Group) input() GroupInput {
	return GroupInput{
		Name:                g.Name,
		LearningEventURL:    g.LearningEventURL,
		DesignIDs:           slices.Clone(g.DesignIDs),
		CertificateDesignID: g.CertificateDesignID,
		BadgeDesignID:       g.BadgeDesignID,
		ExpiryMonths:        g.ExpiryMonths,
	}
}

// Groups are listed newest first, like credentials: the spec gives no
// order, and one order for every list is what a client can least get wrong.
func (s *Server) listGroups(ws *workspace, r *http.Request) (int, any, *apiError) {
	c, limit, err := pageQuery(r.URL.Query(), "groups")
	if err != nil {
		return 0, nil, err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	groups, p := ascending(ws.groups, groupKey, true).page("groups", c, limit)
	out := listResponse[groupJSON]{Data: make([]groupJSON, len(groups)), Pagination: p}
	for i, g := range groups {
		out.Data[i] = g.apiView()
	}
	return http.StatusOK, out, nil
}

func (s *Server) getGroup(ws *workspace, r *http.Request) (int, any, *apiError) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	g, err := ws.group(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, g.apiView(), nil
}

func (s *Server) createGroup(ws *workspace, r *http.Request) (int, any, *apiError) {
	var body groupBody
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	in, err := body.apply(GroupInput{})
	if err != nil {
		return 0, nil, err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	g, err := s.addGroup(ws, in)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, g.apiView(), nil
}

func (s *Server) updateGroup(ws *workspace, r *http.Request) (int, any, *apiError) {
	var body groupBody
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	g, err := ws.group(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	in, err := body.apply(g.input())
	if err != nil {
		return 0, nil, err
	}
	if err := in.validate(); err != nil {
		return 0, nil, err
	}
	if in.Name != g.Name {
		// The group name is shown on its credentials ([group.name]).
		for _, c := range ws.credentials {
			if c.GroupID == g.ID {
				c.GroupName = in.Name
			}
		}
	}
	g.Name, g.LearningEventURL = in.Name, in.LearningEventURL
	g.DesignIDs, g.CertificateDesignID, g.BadgeDesignID = in.DesignIDs, in.CertificateDesignID, in.BadgeDesignID
	g.UpdatedAt = s.now()
	return http.StatusOK, g.apiView(), nil
}

// deleteGroup removes a group. Its credentials stay, with their groupId and
// group name: the spec does not say what the real API does with them, and a
// sandbox that silently deleted credentials would hide exactly the
// "credential lost" bugs the tests look for.
func (s *Server) deleteGroup(ws *workspace, r *http.Request) (int, any, *apiError) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	g, err := ws.group(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	ws.groups = removeByID(ws.groups, g.ID, groupID)
	delete(ws.groupByID, g.ID)
	return http.StatusNoContent, nil, nil
}

func (ws *workspace) group(id string) (*Group, *apiError) {
	g := ws.groupByID[id]
	if g == nil {
		return nil, notFound("group %q not found", id)
	}
	return g, nil
}
