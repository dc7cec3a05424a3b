package hooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/autocred/autocred"
)

type fakeEngine struct {
	mu    sync.Mutex
	hints []autocred.ContactID
	fail  bool
}

func (f *fakeEngine) CheckWebhookToken(connID int64, token string) bool {
	return connID == 7 && token == "right-token"
}

func (f *fakeEngine) Hint(_ context.Context, connID int64, contactID autocred.ContactID) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return false, errors.New("queue down")
	}
	f.hints = append(f.hints, contactID)
	return false, nil
}

func TestReceiver(t *testing.T) {
	eng := &fakeEngine{}
	srv := httptest.NewServer(New(eng, nil))
	defer srv.Close()
	delivery := url.Values{"type": {"contact_tag_added"}, "initiated_from": {"admin"}, "contact[id]": {"42"},
		"contact[email]": {"ana@example.com"}, "contact[fields][course]": {"Go"}}.Encode()
	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name, path, body string
		want             int
		hinted           bool
	}{
		{"a delivery", "/hooks/activecampaign/7/right-token", delivery, 202, true},
		{"the same again (deliveries repeat)", "/hooks/activecampaign/7/right-token", delivery, 202, true},
		{"wrong token", "/hooks/activecampaign/7/wrong-token", delivery, 404, false},
		{"unknown connection", "/hooks/activecampaign/8/right-token", delivery, 404, false},
		{"bad connection id", "/hooks/activecampaign/x/right-token", delivery, 404, false},
		{"not about a contact", "/hooks/activecampaign/7/right-token", "type=deal_add&deal[id]=3", 202, false},
		{"oversized", "/hooks/activecampaign/7/right-token", "contact[id]=1&x=" + strings.Repeat("a", maxBody), 413, false},
	}
	for _, tt := range tests {
		before := len(eng.hints)
		if got := post(tt.path, tt.body); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
		if hinted := len(eng.hints) > before; hinted != tt.hinted {
			t.Errorf("%s: hinted = %v, want %v", tt.name, hinted, tt.hinted)
		}
	}
	if len(eng.hints) != 2 || eng.hints[0] != 42 {
		t.Errorf("hints = %v", eng.hints)
	}
	resp, _ := http.Get(srv.URL + "/hooks/activecampaign/7/right-token")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", resp.StatusCode)
	}
	eng.fail = true
	if got := post("/hooks/activecampaign/7/right-token", delivery); got != 503 {
		t.Errorf("queue down: %d, want 503", got)
	}
}
