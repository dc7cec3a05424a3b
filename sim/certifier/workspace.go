package certifier

import (
	"slices"
	"strings"
	"sync"
)

// workspace is one Certifier account: its groups, custom attributes,
// credentials and outbox. Its mutex guards all of them; requests of
// different workspaces never wait for each other.
type workspace struct {
	name       string
	tokenCount int // guarded by Server.mu

	mu sync.Mutex

	groups    []*Group // in id order, which is creation order
	groupByID map[string]*Group

	attributes     []Attribute // custom ones, in creation order
	attributeByTag map[string]bool

	// credentials is in id order, which is creation order, so that lists
	// and createdAt-sorted searches page through it by binary search.
	credentials    []*Credential
	credentialByID map[string]*Credential
	// byEmail holds each recipient email's credentials in id order: the
	// duplicate check a client runs before every create ("this email, this
	// group") must not scan every credential of a large workspace.
	byEmail map[string][]*Credential
	// recipientIDs gives the same recipient.id to every credential of one
	// email, as a recipient record would.
	recipientIDs map[string]string

	outbox []Email

	// paymentRequired: the plan lacks issuing (see account.go).
	paymentRequired bool
}

func newWorkspace(name string) *workspace {
	return &workspace{
		name:           name,
		groupByID:      map[string]*Group{},
		attributeByTag: map[string]bool{},
		credentialByID: map[string]*Credential{},
		byEmail:        map[string][]*Credential{},
		recipientIDs:   map[string]string{},
	}
}

// insertByID adds item to a slice kept in id order. New ids are the largest,
// so this is an append except after a PATCH moved a credential between
// email lists.
func insertByID[T any](list []T, item T, id func(T) string) []T {
	i, _ := slices.BinarySearchFunc(list, id(item), func(e T, target string) int {
		return strings.Compare(id(e), target)
	})
	return slices.Insert(list, i, item)
}

// removeByID deletes the item with the given id from a slice in id order.
func removeByID[T any](list []T, target string, id func(T) string) []T {
	i, found := slices.BinarySearchFunc(list, target, func(e T, target string) int {
		return strings.Compare(id(e), target)
	})
	if !found {
		return list
	}
	return slices.Delete(list, i, i+1)
}

func credentialID(c *Credential) string { return c.ID }
func groupID(g *Group) string           { return g.ID }

// addCredential stores a new credential and indexes it.
func (ws *workspace) addCredential(c *Credential) {
	ws.credentials = insertByID(ws.credentials, c, credentialID)
	ws.credentialByID[c.ID] = c
	ws.indexEmail(c)
}

func (ws *workspace) deleteCredential(c *Credential) {
	ws.credentials = removeByID(ws.credentials, c.ID, credentialID)
	delete(ws.credentialByID, c.ID)
	ws.unindexEmail(c)
}

func (ws *workspace) indexEmail(c *Credential) {
	if e := c.Recipient.Email; e != "" {
		ws.byEmail[e] = insertByID(ws.byEmail[e], c, credentialID)
	}
}

func (ws *workspace) unindexEmail(c *Credential) {
	e := c.Recipient.Email
	if e == "" {
		return
	}
	if list := removeByID(ws.byEmail[e], c.ID, credentialID); len(list) > 0 {
		ws.byEmail[e] = list
	} else {
		delete(ws.byEmail, e)
	}
}
