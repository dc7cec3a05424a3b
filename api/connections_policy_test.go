package api

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
)

// The same account connected twice is refused, with the connection that has
// it named; reconnecting a connection with its own account is not a
// duplicate.
func TestSameAccountConnectedTwiceIsRefused(t *testing.T) {
	t.Parallel()
	a := newAPITest(t)
	f := a.fixture()
	tests := []struct {
		name  string
		body  map[string]any
		field string
		says  string
	}{
		{"ActiveCampaign API URL", map[string]any{"app": "activecampaign", "name": "Again", "api_url": a.env.ACURL + "/", "api_key": testenv.ACKey},
			"api_url", `This ActiveCampaign account is already connected as "Acme AC" (connection ` + strconv.FormatInt(f.ac, 10) + `)`},
		{"Certifier token", map[string]any{"app": "certifier", "name": "Again", "api_url": a.env.CertifierURL, "access_token": testenv.CertifierToken},
			"access_token", `This access token is already connected as "Acme Certifier" (connection ` + strconv.FormatInt(f.cert, 10) + `)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := a.call("POST", "/api/v1/connections", tc.body).fails(t, http.StatusConflict, autocred.ECONFLICT, tc.field)
			if !strings.Contains(e.Message, tc.says) || !strings.Contains(e.Message, "Change key") {
				t.Errorf("message %q does not say %q and how to change the key", e.Message, tc.says)
			}
		})
	}
	if got := a.connections(); len(got) != 2 {
		t.Errorf("connections stored: %+v", got)
	}
	// A connection keeps its own account when its key changes.
	a.call("PUT", "/api/v1/connections/"+strconv.FormatInt(f.cert, 10), map[string]any{"app": "certifier", "api_url": a.env.CertifierURL, "access_token": testenv.CertifierToken}).
		ok(t, http.StatusOK, nil)
}

// Without --allow-private-upstreams, an API URL outside the vendors'
// domains (the sandboxes on localhost) is refused with a message that names
// the switch, and says it is for testing.
func TestPrivateUpstreamNamesTheSwitch(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	svc := service.New(service.Config{Store: env.Store, Engine: env.Engine, Clients: env.Clients, Box: env.Box})
	token, err := env.Store.CreateToken(t.Context(), "tests")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Service: svc, Tokens: env.Auth}))
	t.Cleanup(srv.Close)
	a := &apiTest{t: t, env: env, url: srv.URL, token: token, secrets: []string{testenv.ACKey, testenv.CertifierToken, token}}
	for _, body := range []map[string]any{
		{"app": "activecampaign", "name": "Sandbox", "api_url": env.ACURL, "api_key": testenv.ACKey},
		{"app": "certifier", "name": "Sandbox", "api_url": env.CertifierURL, "access_token": testenv.CertifierToken},
	} {
		e := a.call("POST", "/api/v1/connections", body).fails(t, http.StatusBadRequest, autocred.EINVALID, "api_url")
		for _, want := range []string{"--allow-private-upstreams", "AUTOCRED_ALLOW_PRIVATE_UPSTREAMS", "sandboxes", "testing"} {
			if !strings.Contains(e.Message, want) {
				t.Errorf("%s: message %q does not say %q", body["app"], e.Message, want)
			}
		}
	}
}
