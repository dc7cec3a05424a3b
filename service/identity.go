package service

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/autocred/autocred"
)

// activeCampaignDomains are the domains of ActiveCampaign's API hosts,
// each account's host being <account>.<domain>.
var activeCampaignDomains = []string{".api-us1.com", ".activehosted.com", ".api-us2.com", ".api-eu1.com"}

// accountAddress is an API URL reduced to the account it reaches, so that
// two ways of writing one address compare equal: the host's case, a
// trailing dot or slash, the scheme's default port, the scheme itself (one
// host answers both), ActiveCampaign's "/api/3", and the loopback
// interface's names (localhost, 127.0.0.1, ::1: the sandboxes). An
// ActiveCampaign host <account>.api-us1.com is the account's name, which
// its other hosts (<account>.activehosted.com, the app's address) share:
// ActiveCampaign's own WooCommerce plugin builds one from the other
// (docs/api-notes/activecampaign.md, "Contact page in the app").
func accountAddress(app autocred.App, raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(raw), "/"))
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if (port == "443" && strings.EqualFold(u.Scheme, "https")) || (port == "80" && strings.EqualFold(u.Scheme, "http")) {
		port = ""
	}
	if isLoopback(host) {
		host = "loopback"
	}
	path := strings.TrimRight(u.Path, "/")
	if app == autocred.AppActiveCampaign {
		path = strings.TrimRight(strings.TrimSuffix(path, "/api/3"), "/")
		if name := activeCampaignAccount(host); name != "" && port == "" && path == "" {
			return "activecampaign account " + name
		}
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	}
	return host + path
}

// isLoopback tells whether a host names this machine's loopback interface.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// activeCampaignAccount is the account's name in an ActiveCampaign API
// host ("acme" in acme.api-us1.com); "" for any other host.
func activeCampaignAccount(host string) string {
	for _, domain := range activeCampaignDomains {
		if name, ok := strings.CutSuffix(host, domain); ok && name != "" && !strings.Contains(name, ".") {
			return name
		}
	}
	return ""
}

// newAccount is a connection being made, as checked by a live call: what
// the account told of itself.
type newAccount struct {
	conn autocred.Connection
	key  string
	// firstGroup is a Certifier workspace's first group
	// (certifier.Client.FirstGroupID); "" otherwise.
	firstGroup string
}

// alreadyConnected refuses a second connection of an account that is
// connected already (other than the one being reconnected, except). Two
// connections of one account would each have their own status (one
// broken, the other still "OK" with the same dead key), their own webhook
// and automations split between them; the way to give an account a new
// key is to change the key of its connection. The error names that
// connection, says how autocred knows it is the same account, and never
// shows a key.
//
// An account is known by what can be learnt of it:
//   - its address (accountAddress): for ActiveCampaign, whose every
//     account has its own, the same address is the same account;
//   - its key: an ActiveCampaign key belongs to one user of one account,
//     a Certifier token to one workspace;
//   - a Certifier workspace's first group, read live from each working
//     connection at the same address with another token
//     (certifier.Client.FirstGroupID).
//
// ActiveCampaign reports no account id on any call autocred makes: GET
// /users/me describes the key's user, whose id and email repeat across
// accounts (an agency's admin is user 1 of each client's account), so
// comparing it would refuse different accounts.
func (s *Service) alreadyConnected(ctx context.Context, n newAccount, except int64) error {
	conns, err := s.store.Connections(ctx)
	if err != nil {
		return err
	}
	addr := accountAddress(n.conn.App, n.conn.APIURL)
	var workspaces []autocred.Connection // to compare by their first group
	for _, o := range conns {
		if o.ID == except || o.App != n.conn.App {
			continue
		}
		sameAddress := accountAddress(o.App, o.APIURL) == addr
		if n.conn.App == autocred.AppActiveCampaign && sameAddress {
			how := ""
			if o.APIURL != n.conn.APIURL {
				how = fmt.Sprintf(", whose API URL %s reaches the same account as %s", o.APIURL, n.conn.APIURL)
			}
			return &autocred.Error{Code: autocred.ECONFLICT, Field: "api_url", Message: fmt.Sprintf(
				"This ActiveCampaign account is already connected as %q (connection %d)%s. Use that connection; to give it a new key, use \"Change key\" beside it.", o.Name, o.ID, how)}
		}
		if n.conn.App == autocred.AppCertifier && !sameAddress {
			continue // another Certifier: none of its workspaces is this one
		}
		same, err := s.sameKey(ctx, o.ID, n.key)
		if err != nil {
			return err
		}
		switch {
		case same && n.conn.App == autocred.AppActiveCampaign:
			return &autocred.Error{Code: autocred.ECONFLICT, Field: "api_key", Message: fmt.Sprintf(
				"This API key is already connected as %q (connection %d), at %s: a key belongs to one ActiveCampaign account, so it is the same account. Use that connection; to give it a new key, use \"Change key\" beside it.", o.Name, o.ID, o.APIURL)}
		case same:
			return &autocred.Error{Code: autocred.ECONFLICT, Field: "access_token", Message: fmt.Sprintf(
				"This access token is already connected as %q (connection %d). Use that connection; to give it a new token, use \"Change key\" beside it.", o.Name, o.ID)}
		case n.conn.App == autocred.AppCertifier && n.firstGroup != "" && o.Status == autocred.ConnectionOK:
			workspaces = append(workspaces, o)
		}
	}
	if o, ok := s.sameWorkspace(ctx, workspaces, n.firstGroup); ok {
		return &autocred.Error{Code: autocred.ECONFLICT, Field: "access_token", Message: fmt.Sprintf(
			"This token reaches a Certifier workspace that is already connected as %q (connection %d): both list the same groups. Use that connection; to give it a new token, use \"Change key\" beside it.", o.Name, o.ID)}
	}
	return nil
}

// sameWorkspace finds, among Certifier connections, one whose workspace
// lists firstGroup first: read from each at once, a few at a time, since
// an agency may have connected many workspaces. A connection that cannot
// tell now (an outage) is taken for another workspace: nothing is known
// against connecting, and nothing is refused.
func (s *Service) sameWorkspace(ctx context.Context, conns []autocred.Connection, firstGroup string) (autocred.Connection, bool) {
	const reads = 4
	found := make([]bool, len(conns))
	sem := make(chan struct{}, reads)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			found[i] = s.firstGroup(ctx, c) == firstGroup
		})
	}
	wg.Wait()
	if i := slices.Index(found, true); i >= 0 {
		return conns[i], true
	}
	return autocred.Connection{}, false
}

// sameKey tells whether a connection's stored key is key.
func (s *Service) sameKey(ctx context.Context, connID int64, key string) (bool, error) {
	sealed, err := s.store.ConnectionSecret(ctx, connID)
	if err != nil {
		return false, err
	}
	other, err := s.box.Open(sealed)
	if err != nil {
		return false, nil // a key that cannot be opened is not this one
	}
	return subtle.ConstantTimeCompare([]byte(other), []byte(key)) == 1, nil
}

// firstGroup is the first group a Certifier connection's workspace lists;
// "" when it has none or cannot tell now.
func (s *Service) firstGroup(ctx context.Context, c autocred.Connection) string {
	client, err := s.clients.Certifier(ctx, s.store, c.ID)
	if err != nil {
		return ""
	}
	id, err := client.FirstGroupID(ctx)
	if err != nil {
		s.log.DebugContext(ctx, "reading a workspace's first group to compare workspaces", "connection", c.ID, "err", err)
		return ""
	}
	return id
}
