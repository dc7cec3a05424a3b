package activecampaign

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Permission is a part of the API that an account's user group may be
// denied. ActiveCampaign has no scopes: an API key carries the permissions
// of its user's group (spec §1, "Header"), and a request outside them is
// answered 403 {"message":"You do not have permission to view lists"} or
// just "Forbidden" (spec §5 "Error bodies", §7 "403 has two meanings";
// source: the v3 reference's 403 examples). The real product's list of
// group permissions is not in the spec; the sandbox groups its routes into
// these, one per kind of object autocred reads.
type Permission string

const (
	PermContacts Permission = "contacts" // /contacts, /contacts/{id}
	PermSegments Permission = "segments" // /audiences, /segments, /segmentMatchAll, /segmentMatchSome, /segmentMatch, and contacts?segmentid
	PermFields   Permission = "fields"   // /fields, /fieldValues, /contacts/{id}/fieldValues
	PermLists    Permission = "lists"    // /lists, /contactLists
	PermWebhooks Permission = "webhooks" // /webhooks
)

// Permissions lists every Permission the sandbox knows.
var Permissions = []Permission{PermContacts, PermSegments, PermFields, PermLists, PermWebhooks}

// noun is how the denial message names a permission's objects.
var noun = map[Permission]string{PermContacts: "contacts", PermSegments: "segments", PermFields: "custom fields",
	PermLists: "lists", PermWebhooks: "webhooks"}

// permissionOf names the permission a route (its path below /api/3, as
// registered) needs; "" for none (GET /users/me, which any key may call).
func permissionOf(path string) Permission {
	switch {
	case strings.HasSuffix(path, "/fieldValues"), strings.HasPrefix(path, "/fields"):
		return PermFields
	case strings.HasPrefix(path, "/lists"), strings.HasPrefix(path, "/contactLists"):
		return PermLists
	case strings.HasPrefix(path, "/contacts"):
		return PermContacts
	case strings.HasPrefix(path, "/audiences"), strings.HasPrefix(path, "/segment"):
		return PermSegments
	case strings.HasPrefix(path, "/webhook"):
		return PermWebhooks
	}
	return ""
}

// access is who an account lets in and how it answers what it refuses:
// its API key, the permissions its key's user lacks, and the entities
// whose missing records answer 403 instead of 404. It has its own lock so
// that checking a request never waits for a long write of the account.
type access struct {
	mu        sync.RWMutex
	key       string
	denied    map[Permission]bool
	bare      bool            // denials answer a bare "Forbidden", not the message
	noResult  map[string]bool // entity ("Subscriber") → 403 when missing; "*" for all
	allNoRslt bool
}

func newAccess(key string) *access {
	return &access{key: key, denied: map[Permission]bool{}, noResult: map[string]bool{}}
}

func (x *access) keyOK(key string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(x.key)) == 1
}

// refusal is the 403 a request for perm gets, if any.
func (x *access) refusal(perm Permission) (denied, bare bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.denied[perm], x.bare
}

func (x *access) noResultStatus(entity string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.allNoRslt || x.noResult[entity] {
		return http.StatusForbidden
	}
	return http.StatusNotFound
}

func checkPermission(p Permission) error {
	if !slices.Contains(Permissions, p) {
		return fmt.Errorf("unknown permission %q: use one of %v", p, Permissions)
	}
	return nil
}

// Deny takes a permission from the account's key's user: every request
// that needs it is answered 403 {"message":"You do not have permission to
// view segments"} (or, with bare, a plain "Forbidden"), until Allow.
func (s *Server) Deny(account string, p Permission, bare bool) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	if err := checkPermission(p); err != nil {
		return err
	}
	a.access.mu.Lock()
	defer a.access.mu.Unlock()
	a.access.denied[p] = true
	a.access.bare = bare
	return nil
}

// Allow gives a denied permission back.
func (s *Server) Allow(account string, p Permission) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	if err := checkPermission(p); err != nil {
		return err
	}
	a.access.mu.Lock()
	defer a.access.mu.Unlock()
	delete(a.access.denied, p)
	return nil
}

// Denied lists the permissions the account's key's user lacks.
func (s *Server) Denied(account string) ([]Permission, error) {
	a, err := s.mustAccount(account)
	if err != nil {
		return nil, err
	}
	a.access.mu.RLock()
	defer a.access.mu.RUnlock()
	out := []Permission{}
	for p := range a.access.denied {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// SetForbiddenNoResult makes the account answer a missing record of these
// entities ("Subscriber", "Segment", "Webhook"; "*" for every one)
// with 403 {"message":"No Result found for <Entity> with id <N>"} instead
// of 404, as the v3 reference's GET /fieldValues/{id} example does (spec
// §7). No entities restores 404 everywhere.
func (s *Server) SetForbiddenNoResult(account string, entities ...string) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	a.access.setNoResult(entities)
	return nil
}

func (x *access) setNoResult(entities []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.noResult, x.allNoRslt = map[string]bool{}, false
	for _, e := range entities {
		x.noResult[e] = true
		x.allNoRslt = x.allNoRslt || e == "*"
	}
}

// SetAPIKey replaces the account's API key, as a user regenerating it in
// Settings → Developer does: the old key is refused with 401 from then on.
func (s *Server) SetAPIKey(account, key string) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("account %s: an API key is required", account)
	}
	a.access.mu.Lock()
	defer a.access.mu.Unlock()
	a.access.key = key
	return nil
}

// mustKnowPermissions panics on an unknown permission in the Options, as
// other invalid Options do.
func mustKnowPermissions(denied map[string][]Permission) {
	for _, perms := range denied {
		for _, p := range perms {
			if err := checkPermission(p); err != nil {
				panic("activecampaign: Options.DeniedPermissions: " + err.Error())
			}
		}
	}
}

// applyOptions sets a new account's access from the Options.
func (x *access) applyOptions(name string, o Options) {
	for _, p := range o.DeniedPermissions[name] {
		x.denied[p] = true
	}
	x.setNoResult(o.ForbiddenNoResult)
}

// permitted answers 403 for a route whose permission the account lacks.
func permitted(perm Permission, method string, h apiHandler) apiHandler {
	if perm == "" {
		return h
	}
	verb := map[string]string{"GET": "view", "POST": "add", "PUT": "edit", "DELETE": "delete"}[method]
	msg := "You do not have permission to " + verb + " " + noun[perm]
	return func(w http.ResponseWriter, r *http.Request, a *account) {
		denied, bare := a.access.refusal(perm)
		msg := msg
		if !denied && perm == PermContacts && r.URL.Query().Has("segmentid") {
			// contacts?segmentid reads a segment: it needs both.
			if denied, bare = a.access.refusal(PermSegments); denied {
				msg = "You do not have permission to view segments"
			}
		}
		switch {
		case !denied:
			h(w, r, a)
		case bare:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("Forbidden"))
		default:
			writeJSON(w, http.StatusForbidden, map[string]string{"message": msg})
		}
	}
}

// accountWriter carries the account to writeNoResult, which answers 403
// or 404 as the account is set.
type accountWriter struct {
	http.ResponseWriter
	access *access
}

func (w *accountWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// noResultStatus is the status of a missing record of entity.
func noResultStatus(w http.ResponseWriter, entity string) int {
	if aw, ok := w.(*accountWriter); ok {
		return aw.access.noResultStatus(entity)
	}
	return http.StatusNotFound
}

// accessRoutes registers the control routes of keys and permissions.
func (s *Server) accessRoutes() {
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/deny", s.ctlDeny)
	s.mux.HandleFunc("POST /_sandbox/accounts/{account}/allow", s.ctlAllow)
	s.mux.HandleFunc("GET /_sandbox/accounts/{account}/permissions", s.ctlPermissions)
	s.mux.HandleFunc("PUT /_sandbox/accounts/{account}/forbidden-no-result", s.ctlForbiddenNoResult)
	s.mux.HandleFunc("PUT /_sandbox/accounts/{account}/api-key", s.ctlAPIKey)
}

func (s *Server) ctlDeny(w http.ResponseWriter, r *http.Request) {
	ctlApply(s, func(name string, in struct {
		Permission Permission `json:"permission"`
		Bare       bool       `json:"bare"`
	}) error {
		return s.Deny(name, in.Permission, in.Bare)
	})(w, r)
}

func (s *Server) ctlAllow(w http.ResponseWriter, r *http.Request) {
	ctlApply(s, func(name string, in struct {
		Permission Permission `json:"permission"`
	}) error {
		return s.Allow(name, in.Permission)
	})(w, r)
}

func (s *Server) ctlPermissions(w http.ResponseWriter, r *http.Request) {
	name, ok := s.ctlAccount(w, r)
	if !ok {
		return
	}
	denied, _ := s.Denied(name)
	writeJSON(w, http.StatusOK, map[string]any{"denied": denied, "known": Permissions})
}

func (s *Server) ctlForbiddenNoResult(w http.ResponseWriter, r *http.Request) {
	ctlApply(s, func(name string, in struct {
		Entities *[]string `json:"entities"`
	}) error {
		if in.Entities == nil {
			return errors.New(`entities is required: the entities ("Subscriber", "Segment", "Webhook", or "*") whose missing records answer 403; [] for 404 again`)
		}
		return s.SetForbiddenNoResult(name, *in.Entities...)
	})(w, r)
}

func (s *Server) ctlAPIKey(w http.ResponseWriter, r *http.Request) {
	ctlApply(s, func(name string, in struct {
		APIKey string `json:"api_key"`
	}) error {
		return s.SetAPIKey(name, in.APIKey)
	})(w, r)
}
