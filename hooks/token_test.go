package hooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/autocred/autocred"
)

// tokenJudge is an Engine whose verdict on a token the test sets, and
// which records every (connection, token) it was asked about.
type tokenJudge struct {
	accept func(connID int64, token string) bool

	mu     sync.Mutex
	asked  []string
	hinted int
}

func (j *tokenJudge) CheckWebhookToken(connID int64, token string) bool {
	j.mu.Lock()
	j.asked = append(j.asked, token)
	j.mu.Unlock()
	return j.accept(connID, token)
}

func (j *tokenJudge) Hint(context.Context, int64, autocred.ContactID) (bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.hinted++
	return false, nil
}

// The receiver does not judge the token itself: it hands the path's token,
// exactly as sent (decoded, case kept), to Engine.CheckWebhookToken, whose
// comparison is made in constant time (engine/webhooks.go; which tokens
// the engine accepts is engine's TestWebhookTokenCheck, and its tokens are
// checked end to end in TestWrongTokenLooksLikeUnknownConnection),
// and follows its verdict alone. So no token is ever compared in the
// receiver, in constant time or not: an engine that accepts any token lets
// every one through, and one that accepts none lets none through.
func TestReceiverLeavesTheTokenToTheEngine(t *testing.T) {
	tokens := []struct{ path, want string }{
		{"right-token", "right-token"},
		{"RIGHT-TOKEN", "RIGHT-TOKEN"},
		{"right-toke", "right-toke"},
		{"right-tokenx", "right-tokenx"},
		{"x", "x"},
		{"a%20b%C3%A9", "a bé"},
	}
	for _, verdict := range []bool{true, false} {
		judge := &tokenJudge{accept: func(int64, string) bool { return verdict }}
		h := New(judge, nil)
		for _, tok := range tokens {
			judge.asked = nil
			req := httptest.NewRequest("POST", "/hooks/activecampaign/7/"+tok.path, strings.NewReader("contact%5Bid%5D=42"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if len(judge.asked) != 1 || judge.asked[0] != tok.want {
				t.Errorf("token %q: the engine was asked about %q, want once about %q", tok.path, judge.asked, tok.want)
			}
			want := http.StatusNotFound
			if verdict {
				want = http.StatusAccepted
			}
			if rec.Code != want {
				t.Errorf("engine says %v of token %q: status %d, want %d", verdict, tok.path, rec.Code, want)
			}
		}
		if wantHints := map[bool]int{true: len(tokens), false: 0}[verdict]; judge.hinted != wantHints {
			t.Errorf("engine says %v: %d hints, want %d", verdict, judge.hinted, wantHints)
		}
	}
}

// A connection id that is not a positive number is refused before the
// engine is asked about a token: there is no connection to ask about.
func TestReceiverRefusesBadConnectionWithoutAsking(t *testing.T) {
	for _, conn := range []string{"0", "-1", "acme", "99999999999999999999", "7.0"} {
		judge := &tokenJudge{accept: func(int64, string) bool { return true }}
		rec := httptest.NewRecorder()
		New(judge, nil).ServeHTTP(rec, httptest.NewRequest("POST", "/hooks/activecampaign/"+conn+"/right-token", strings.NewReader("contact%5Bid%5D=42")))
		if rec.Code != http.StatusNotFound || len(judge.asked) != 0 || judge.hinted != 0 {
			t.Errorf("connection %q: status %d, engine asked %q, %d hints; want 404, not asked, no hint", conn, rec.Code, judge.asked, judge.hinted)
		}
	}
}
