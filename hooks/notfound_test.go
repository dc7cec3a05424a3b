package hooks_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/hooks"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
)

// A wrong token is answered exactly as an unknown connection and as a path
// that does not exist: the same 404, byte for byte, headers included. So
// the receiver is no oracle for which connection ids exist, nor for the
// token of one. This runs the real engine's check (an HMAC of the
// connection id, compared in constant time; the receiver leaves the
// comparison to it, see TestReceiverLeavesTheTokenToTheEngine), which
// looks nothing up in the store: a known and an unknown connection also
// take the same path.
func TestWrongTokenLooksLikeUnknownConnection(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	conn, err := env.Service.CreateConnection(context.Background(), service.NewConnection{
		App: autocred.AppActiveCampaign, Name: "AC", APIURL: env.ACURL, APIKey: testenv.ACKey})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hooks.New(env.Engine, nil))
	defer srv.Close()

	right := env.Engine.WebhookToken(conn.ID)
	post := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader("type=update&contact%5Bid%5D=42"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var h []string
		for k, v := range resp.Header {
			if k != "Date" {
				h = append(h, k+": "+strings.Join(v, ", "))
			}
		}
		sort.Strings(h)
		return resp.StatusCode, fmt.Sprintf("%d\n%s\n\n%s", resp.StatusCode, strings.Join(h, "\n"), body)
	}

	// The right token goes through: the refusals below are the token's.
	if code, _ := post(fmt.Sprintf("/hooks/activecampaign/%d/%s", conn.ID, right)); code != http.StatusAccepted {
		t.Fatalf("the right token: %d, want 202", code)
	}

	code, want := post("/hooks/activecampaign/nothing/here/at/all")
	if code != http.StatusNotFound {
		t.Fatalf("a path that does not exist: %d, want 404", code)
	}
	flip := func(s string) string { // the same token but its last character
		last := byte('A')
		if s[len(s)-1] == 'A' {
			last = 'B'
		}
		return s[:len(s)-1] + string(last)
	}
	unknown := conn.ID + 1000
	for _, tc := range []struct{ name, path string }{
		{"known connection, wrong token", fmt.Sprintf("/hooks/activecampaign/%d/%s", conn.ID, strings.Repeat("x", len(right)))},
		{"known connection, last character wrong", fmt.Sprintf("/hooks/activecampaign/%d/%s", conn.ID, flip(right))},
		{"known connection, token cut short", fmt.Sprintf("/hooks/activecampaign/%d/%s", conn.ID, right[:len(right)-1])},
		{"known connection, token too long", fmt.Sprintf("/hooks/activecampaign/%d/%sx", conn.ID, right)},
		{"known connection, no token", fmt.Sprintf("/hooks/activecampaign/%d/", conn.ID)},
		{"known connection, token in another case", fmt.Sprintf("/hooks/activecampaign/%d/%s", conn.ID, strings.ToUpper(right))},
		{"unknown connection, wrong token", fmt.Sprintf("/hooks/activecampaign/%d/%s", unknown, strings.Repeat("x", len(right)))},
		{"unknown connection, another connection's token", fmt.Sprintf("/hooks/activecampaign/%d/%s", unknown, right)},
		{"connection 0", "/hooks/activecampaign/0/" + right},
		{"negative connection", "/hooks/activecampaign/-1/" + right},
		{"connection id too large", "/hooks/activecampaign/99999999999999999999/" + right},
		{"connection id not a number", "/hooks/activecampaign/acme/" + right},
	} {
		if right == strings.ToUpper(right) && tc.name == "known connection, token in another case" {
			continue
		}
		if _, got := post(tc.path); got != want {
			t.Errorf("%s: answered\n%s\nwant the same as a path that does not exist:\n%s", tc.name, got, want)
		}
	}
}
