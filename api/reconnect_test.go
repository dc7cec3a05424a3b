package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
)

// A broken connection is repaired by reconnecting it with a key that works;
// a key that does not work changes nothing.
func TestReconnectRepairsABrokenConnection(t *testing.T) {
	a := newAPITest(t)
	f := a.fixture()
	ctx := context.Background()
	if err := a.env.Store.SetConnectionStatus(ctx, f.cert, autocred.ConnectionBroken, "Certifier refused the access token"); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/connections/%d", f.cert)

	a.call("PUT", path, map[string]any{"app": "certifier", "name": "Acme Certifier", "api_url": a.env.CertifierURL, "access_token": "still-wrong-0000"}).
		fails(t, http.StatusUnprocessableEntity, "connection", "access_token")
	if c, _ := a.env.Store.Connection(ctx, f.cert); c.Status != autocred.ConnectionBroken {
		t.Errorf("a refused key changed the connection: %+v", c)
	}
	a.call("PUT", path, map[string]any{"app": "activecampaign", "name": "X", "api_url": a.env.ACURL, "api_key": testenv.ACKey}).
		fails(t, http.StatusBadRequest, "invalid", "app")

	var c autocred.Connection
	a.call("PUT", path, map[string]any{"app": "certifier", "name": "Acme Certifier (new token)", "api_url": a.env.CertifierURL, "access_token": testenv.CertifierToken}).
		ok(t, http.StatusOK, &c)
	if c.ID != f.cert || c.Status != autocred.ConnectionOK || c.StatusReason != "" || c.Name != "Acme Certifier (new token)" {
		t.Errorf("reconnected connection = %+v", c)
	}
	a.call("PUT", "/api/v1/connections/999", map[string]any{"app": "certifier", "name": "X", "access_token": testenv.CertifierToken}).
		fails(t, http.StatusNotFound, "not_found", "")
}
