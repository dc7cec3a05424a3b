package certifier

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// Attribute is a workspace attribute: a value shown on credentials, by tag.
// Custom ones ("custom.*") belong to the workspace, not to a group (spec §4).
type Attribute struct {
	Tag       string `json:"tag"`
	Name      string `json:"name"`
	IsDefault bool   `json:"isDefault"`
}

// defaultAttributes are the built-in attributes every workspace has; the API
// computes them for each credential (its "attributes" object).
var defaultAttributes = []Attribute{
	{Tag: "recipient.name", Name: "Recipient Name", IsDefault: true},
	{Tag: "recipient.email", Name: "Recipient Email", IsDefault: true},
	{Tag: "credential.issueDate", Name: "Issue Date", IsDefault: true},
	{Tag: "credential.expiryDate", Name: "Expiry Date", IsDefault: true},
	{Tag: "group.name", Name: "Group Name", IsDefault: true},
}

const customPrefix = "custom."

var customTagPattern = regexp.MustCompile(`^custom\.[a-z0-9_]{1,64}$`)

// AddAttribute creates a custom attribute, as the dashboard would (the API
// has no endpoint for it, spec §4). The tag is "custom." followed by lower
// case letters, digits or underscores.
func (s *Server) AddAttribute(workspace, tag, name string) error {
	ws, err := s.workspace(workspace)
	if err != nil {
		return err
	}
	if !customTagPattern.MatchString(tag) {
		return fmt.Errorf("attribute tag %q: use %q followed by 1 to 64 lower-case letters, digits or underscores", tag, customPrefix)
	}
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("attribute %q: name is required", tag)
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.attributeByTag[tag] {
		return fmt.Errorf("attribute %q already exists in workspace %q", tag, workspace)
	}
	ws.attributes = append(ws.attributes, Attribute{Tag: tag, Name: name})
	ws.attributeByTag[tag] = true
	return nil
}

// listAttributes answers GET /attributes with the {data, pagination}
// envelope of the other lists. The spec leaves open whether the answer is a
// bare array (older Pipedream code) or paginated (Corsair); the envelope is
// the stricter choice: a client that handles it and follows
// pagination.next also copes with a bare array, not the other way round.
// Default attributes come first, then custom ones in creation order.
func (s *Server) listAttributes(ws *workspace, r *http.Request) (int, any, *apiError) {
	c, limit, err := pageQuery(r.URL.Query(), "attributes")
	if err != nil {
		return 0, nil, err
	}
	ws.mu.Lock()
	all := append(append([]Attribute(nil), defaultAttributes...), ws.attributes...)
	ws.mu.Unlock()
	position := make(map[string]int, len(all))
	for i, a := range all {
		position[a.Tag] = i
	}
	// Attributes are never deleted, so their position is a stable key.
	key := func(a Attribute) sortKey { return sortKey{Value: fmt.Sprintf("%06d", position[a.Tag]), ID: a.Tag} }
	attrs, p := ascending(all, key, false).page("attributes", c, limit)
	return http.StatusOK, listResponse[Attribute]{Data: attrs, Pagination: p}, nil
}
