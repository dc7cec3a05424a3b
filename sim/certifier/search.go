package certifier

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// POST /credentials/search (spec §3.3). The body is
//
//	{"filter": …, "sort": {"property": …, "order": "asc"|"desc"}, "cursor": …, "limit": …}
//
// A filter is an object. Its keys are AND and OR (arrays of filters), NOT
// (an array of filters, none of which may match; a single filter object is
// accepted too), or fields, nested ({"recipient":{"email":{…}}}) or dotted
// ({"recipient.email":{…}}). A field takes an object of operators; several
// keys in one object must all hold. Unknown fields and operators are
// refused with validation_error rather than ignored: a filter that silently
// matched everything would make a duplicate check find the wrong credential.
//
// Which fields and sort properties exist depends on the sandbox's search
// mode (see SearchMode). Strict, the default, takes only what Certifier's
// search reference documents
// (https://developers.certifier.io/docs/api-reference/credentials/search-credentials,
// spec §3.3): the fields status (equals, in; a known status),
// recipient.email and recipient.name (equals, contains, startsWith,
// endsWith, in), the logical AND, OR and NOT, and sorting on createdAt. A
// client that leans on anything more is answered 400 validation_error, as
// it may be by the real API, instead of being shown a search that works
// only here. Lenient adds the sandbox's own extras for experiments: id,
// publicId and groupId as text fields, createdAt with equals, gt, gte, lt
// and lte, and sorting on updatedAt and issueDate.
//
// Emails are compared exactly as they were stored, and stored exactly as
// the create gave them: "equals: Exact match" is all the reference says,
// and whether Certifier folds the case of an email is undocumented. Exact
// and case-sensitive is the least favourable reading for a client: one that
// searches with another case than it created with finds nothing here, and
// may find nothing in Certifier either.
type searchBody struct {
	Filter json.RawMessage `json:"filter"`
	Sort   *struct {
		Property string `json:"property"`
		Order    string `json:"order"`
	} `json:"sort"`
	Cursor *string `json:"cursor"`
	Limit  *int    `json:"limit"`
}

type fieldKind int

const (
	kindText fieldKind = iota
	kindEnum           // status: equals and in, with known values only
	kindTime           // createdAt: equals, gt, gte, lt, lte
)

type searchField struct {
	kind fieldKind
	// documented: Certifier's search reference names the field; only
	// these exist in strict mode.
	documented bool
	// text is the field's value; false when the credential has none (a
	// name-only recipient's email), and then no operator matches.
	text func(c *Credential) (string, bool)
}

func always(v string) (string, bool) { return v, true }

// searchFields are the fields the spec names as searchable (recipient.name,
// recipient.email, status), documented, plus, in lenient mode only, the ids,
// groupId (the spec calls it "unconfirmed") and createdAt. Range operators
// on createdAt are a sandbox assumption, not documented.
var searchFields = map[string]searchField{
	"id":              {kindText, false, func(c *Credential) (string, bool) { return always(c.ID) }},
	"publicId":        {kindText, false, func(c *Credential) (string, bool) { return always(c.PublicID) }},
	"groupId":         {kindText, false, func(c *Credential) (string, bool) { return always(c.GroupID) }},
	"status":          {kindEnum, true, func(c *Credential) (string, bool) { return always(string(c.Status)) }},
	"recipient.name":  {kindText, true, func(c *Credential) (string, bool) { return always(c.Recipient.Name) }},
	"recipient.email": {kindText, true, func(c *Credential) (string, bool) { return c.Recipient.Email, c.Recipient.Email != "" }},
	"createdAt":       {kind: kindTime},
}

// documentedFields are the searchable fields of strict mode.
var documentedFields = func() map[string]searchField {
	out := map[string]searchField{}
	for name, f := range searchFields {
		if f.documented {
			out[name] = f
		}
	}
	return out
}()

var (
	operators = map[fieldKind][]string{
		kindText: {"equals", "contains", "startsWith", "endsWith", "in"},
		kindEnum: {"equals", "in"},
		kindTime: {"equals", "gt", "gte", "lt", "lte"},
	}
	statuses = []string{string(StatusDraft), string(StatusScheduled), string(StatusIssued), string(StatusExpired)}
	// sortProperties maps each sortable property of lenient mode to its
	// sort value. The reference documents createdAt only, so strict mode
	// sorts on nothing else.
	sortProperties = map[string]func(c *Credential) string{
		"createdAt": func(c *Credential) string { return formatTime(c.CreatedAt) },
		"updatedAt": func(c *Credential) string { return formatTime(c.UpdatedAt) },
		"issueDate": func(c *Credential) string { return c.IssueDate },
	}
	documentedSortProperties = map[string]func(c *Credential) string{
		"createdAt": sortProperties["createdAt"],
	}
)

// maxFilterDepth bounds nesting, so a hostile body cannot recurse deeply.
const maxFilterDepth = 16

// filter is a parsed search filter: a logical node (op AND, OR or NOT over
// kids) or, with op "", one condition.
type filter struct {
	op   string
	kids []*filter
	cond condition
}

type condition struct {
	name   string
	field  searchField
	op     string
	values []string  // one value, or the list of "in"
	at     time.Time // for createdAt
}

func (f *filter) match(c *Credential) bool {
	switch f.op {
	case "AND":
		for _, k := range f.kids {
			if !k.match(c) {
				return false
			}
		}
		return true
	case "OR":
		for _, k := range f.kids {
			if k.match(c) {
				return true
			}
		}
		return false
	case "NOT":
		for _, k := range f.kids {
			if k.match(c) {
				return false
			}
		}
		return true
	default:
		return f.cond.match(c)
	}
}

func (cd *condition) match(c *Credential) bool {
	if cd.field.kind == kindTime {
		t := c.CreatedAt
		switch cd.op {
		case "gt":
			return t.After(cd.at)
		case "gte":
			return !t.Before(cd.at)
		case "lt":
			return t.Before(cd.at)
		case "lte":
			return !t.After(cd.at)
		default:
			return t.Equal(cd.at)
		}
	}
	v, ok := cd.field.text(c)
	if !ok {
		return false
	}
	switch cd.op {
	case "contains":
		return strings.Contains(v, cd.values[0])
	case "startsWith":
		return strings.HasPrefix(v, cd.values[0])
	case "endsWith":
		return strings.HasSuffix(v, cd.values[0])
	default: // equals, in
		return slices.Contains(cd.values, v)
	}
}

// emails returns the recipient emails the filter requires, if it requires
// one of a few (an equals or in on recipient.email that must hold), so the
// search can start from the email index instead of every credential.
func (f *filter) emails() ([]string, bool) {
	switch f.op {
	case "AND":
		for _, k := range f.kids {
			if e, ok := k.emails(); ok {
				return e, true
			}
		}
	case "":
		if f.cond.name == "recipient.email" && (f.cond.op == "equals" || f.cond.op == "in") {
			return f.cond.values, true
		}
	}
	return nil, false
}

// filterParser parses filters with the fields of one search mode.
type filterParser struct {
	strict bool
	fields map[string]searchField
}

func newFilterParser(strict bool) filterParser {
	if strict {
		return filterParser{strict: true, fields: documentedFields}
	}
	return filterParser{fields: searchFields}
}

// parseFilter parses the filter of a search body; no filter matches all.
func (fp filterParser) parseFilter(raw json.RawMessage) (*filter, *apiError) {
	if raw == nil || string(raw) == "null" {
		return &filter{op: "AND"}, nil
	}
	return fp.parseNode(raw, "filter", 0)
}

func (fp filterParser) parseNode(raw json.RawMessage, path string, depth int) (*filter, *apiError) {
	if depth > maxFilterDepth {
		return nil, validationError("%s: filters nest at most %d levels deep", path, maxFilterDepth)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, validationError("%s must be an object", path)
	}
	var nodes []*filter
	for _, key := range sortedKeys(m) {
		var (
			node *filter
			err  *apiError
		)
		switch key {
		case "AND", "OR", "NOT":
			node, err = fp.parseLogical(key, m[key], path+"."+key, depth)
		default:
			node, err = fp.parseField(key, m[key], path, depth)
		}
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, node)
	}
	if len(nodes) == 1 {
		return nodes[0], nil
	}
	return &filter{op: "AND", kids: nodes}, nil
}

// parseLogical parses AND, OR and NOT. The spec shows NOT with an array; an
// object is accepted too, as the common Prisma-style dialect allows.
func (fp filterParser) parseLogical(op string, raw json.RawMessage, path string, depth int) (*filter, *apiError) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		if op != "NOT" || !strings.HasPrefix(strings.TrimSpace(string(raw)), "{") {
			return nil, validationError("%s must be an array of filters", path)
		}
		list = []json.RawMessage{raw}
	}
	node := &filter{op: op}
	for i, item := range list {
		kid, err := fp.parseNode(item, fmt.Sprintf("%s[%d]", path, i), depth+1)
		if err != nil {
			return nil, err
		}
		node.kids = append(node.kids, kid)
	}
	return node, nil
}

// parseField parses one field's operators, or, for the first part of a
// nested name ("recipient"), the object of its sub-fields.
func (fp filterParser) parseField(name string, raw json.RawMessage, path string, depth int) (*filter, *apiError) {
	field, ok := fp.fields[name]
	if !ok {
		if !fp.isFieldPrefix(name) {
			return nil, fp.unknownField(path, name)
		}
		var sub map[string]json.RawMessage
		if err := json.Unmarshal(raw, &sub); err != nil || len(sub) == 0 {
			return nil, validationError("%s.%s must be an object of its fields, e.g. {\"email\": {\"equals\": …}}", path, name)
		}
		node := &filter{op: "AND"}
		for _, key := range sortedKeys(sub) {
			kid, err := fp.parseField(name+"."+key, sub[key], path, depth+1)
			if err != nil {
				return nil, err
			}
			node.kids = append(node.kids, kid)
		}
		return node, nil
	}

	at := path + "." + name
	var ops map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ops); err != nil || len(ops) == 0 {
		return nil, validationError("%s must be an object of operators, e.g. {\"equals\": …}; %s takes %s", at, name, strings.Join(operators[field.kind], ", "))
	}
	node := &filter{op: "AND"}
	for _, op := range sortedKeys(ops) {
		cond, err := parseCondition(name, field, op, ops[op], at)
		if err != nil {
			return nil, err
		}
		node.kids = append(node.kids, &filter{cond: cond})
	}
	if len(node.kids) == 1 {
		return node.kids[0], nil
	}
	return node, nil
}

// unknownField refuses a field the mode does not search on, naming it.
func (fp filterParser) unknownField(path, name string) *apiError {
	if !fp.strict {
		return validationError("%s: unknown field %q; searchable fields are %s", path, name, strings.Join(sortedKeys(fp.fields), ", "))
	}
	hint := ""
	if _, ok := documentedSortProperties[name]; ok {
		hint = fmt.Sprintf(" (%s can be sorted on with sort.property, not filtered on)", name)
	}
	return validationError("%s: %s is not a searchable field%s; the searchable fields are %s", path, name, hint, strings.Join(sortedKeys(fp.fields), ", "))
}

func (fp filterParser) isFieldPrefix(name string) bool {
	for f := range fp.fields {
		if strings.HasPrefix(f, name+".") {
			return true
		}
	}
	return false
}

func parseCondition(name string, field searchField, op string, raw json.RawMessage, at string) (condition, *apiError) {
	cond := condition{name: name, field: field, op: op}
	if !slices.Contains(operators[field.kind], op) {
		return cond, validationError("%s: unknown operator %q; %s takes %s", at, op, name, strings.Join(operators[field.kind], ", "))
	}
	if op == "in" {
		if err := json.Unmarshal(raw, &cond.values); err != nil || cond.values == nil {
			return cond, validationError("%s.in must be an array of strings", at)
		}
	} else {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil || string(raw) == "null" {
			return cond, validationError("%s.%s must be a string", at, op)
		}
		cond.values = []string{v}
	}
	switch field.kind {
	case kindEnum:
		for _, v := range cond.values {
			if !slices.Contains(statuses, v) {
				return cond, validationError("%s.%s: %q is not a status; use %s", at, op, v, strings.Join(statuses, ", "))
			}
		}
	case kindTime:
		t, err := time.Parse(time.RFC3339Nano, cond.values[0])
		if err != nil {
			return cond, validationError("%s.%s must be an ISO-8601 date-time such as 2025-03-01T12:00:00.000Z, got %q", at, op, cond.values[0])
		}
		cond.at = t
	}
	return cond, nil
}

// searchCredentials answers POST /credentials/search, newest first unless
// sort says otherwise.
func (s *Server) searchCredentials(ws *workspace, r *http.Request) (int, any, *apiError) {
	var body searchBody
	if err := decodeBody(r, &body); err != nil {
		return 0, nil, err
	}
	strict := s.StrictSearch()
	f, err := newFilterParser(strict).parseFilter(body.Filter)
	if err != nil {
		return 0, nil, err
	}
	property, order := "createdAt", "desc"
	if body.Sort != nil {
		if body.Sort.Property != "" {
			property = body.Sort.Property
		}
		if body.Sort.Order != "" {
			order = body.Sort.Order
		}
	}
	sortable := sortProperties
	if strict {
		sortable = documentedSortProperties
	}
	sortValue, ok := sortable[property]
	switch {
	case !ok && strict:
		return 0, nil, validationError("sort.property: %s is not a sortable property; the only one is createdAt", property)
	case !ok:
		return 0, nil, validationError("sort.property %q cannot be sorted on; use %s", property, strings.Join(sortedKeys(sortable), ", "))
	}
	if order != "asc" && order != "desc" {
		return 0, nil, validationError(`sort.order must be "asc" or "desc", got %q`, order)
	}
	limit := defaultLimit
	if body.Limit != nil {
		if limit, err = checkLimit(*body.Limit); err != nil {
			return 0, nil, err
		}
	}
	query := "search:" + property + ":" + order
	var c *cursor
	if body.Cursor != nil {
		if c, err = parseCursor(*body.Cursor, query); err != nil {
			return 0, nil, err
		}
	}

	ws.mu.Lock()
	defer ws.mu.Unlock()
	candidates := ws.credentials
	if emails, ok := f.emails(); ok {
		candidates = ws.withEmails(emails)
	}
	if property == "createdAt" {
		// Candidates are in creation order already: page through them,
		// filtering as we go, and stop when the page is full.
		list := ascending(candidates, credentialKey, order == "desc")
		list.keep = f.match
		creds, p := list.page(query, c, limit)
		return http.StatusOK, renderCredentials(creds, p), nil
	}
	// Another order: sort the matches, computing each key once.
	var matched []keyed
	for _, c := range candidates {
		if f.match(c) {
			matched = append(matched, keyed{c, sortKey{sortValue(c), c.ID}})
		}
	}
	slices.SortFunc(matched, func(a, b keyed) int { return a.key.compare(b.key) })
	page, p := ascending(matched, func(k keyed) sortKey { return k.key }, order == "desc").page(query, c, limit)
	creds := make([]*Credential, len(page))
	for i, k := range page {
		creds[i] = k.c
	}
	return http.StatusOK, renderCredentials(creds, p), nil
}

// keyed is a credential with its sort key, computed once for a sort.
type keyed struct {
	c   *Credential
	key sortKey
}

// withEmails returns the credentials of the given recipient emails, in
// creation order. The caller holds ws.mu and must not keep the slice.
func (ws *workspace) withEmails(emails []string) []*Credential {
	emails = slices.Compact(slices.Sorted(slices.Values(emails)))
	if len(emails) == 1 {
		return ws.byEmail[emails[0]]
	}
	var out []*Credential
	for _, e := range emails {
		out = append(out, ws.byEmail[e]...)
	}
	slices.SortFunc(out, func(a, b *Credential) int { return strings.Compare(a.ID, b.ID) })
	return out
}
