package hooks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/autocred/autocred"
)

// endlessBody is a request body that never ends: a form that starts with
// a contact id, then "a" forever. It counts what the receiver reads of it.
type endlessBody struct {
	mu     sync.Mutex
	prefix string
	read   int64
}

func (b *endlessBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	if b.read < int64(len(b.prefix)) {
		n = copy(p, b.prefix[b.read:])
	}
	for i := n; i < len(p); i++ {
		p[i] = 'a'
	}
	b.read += int64(len(p))
	return len(p), nil
}

func (b *endlessBody) Close() error { return nil }

// hintCounter is an Engine that accepts connection 7's token and counts
// the hints: Hint is the receiver's only way to the store (the engine
// queues a check from it), so no hint means the store was not touched.
type hintCounter struct {
	mu    sync.Mutex
	hints int
}

func (h *hintCounter) CheckWebhookToken(connID int64, token string) bool {
	return connID == 7 && token == "right-token"
}

func (h *hintCounter) Hint(context.Context, int64, autocred.ContactID) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hints++
	return false, nil
}

// A delivery larger than maxBody is refused with 413 and no hint, whether
// it says its length or not, after reading no more than maxBody of it; one
// of exactly maxBody goes through. A sender without the token gets its 404
// before a byte of the body is read.
func TestOversizedDeliveryIsRefused(t *testing.T) {
	const prefix = "contact%5Bid%5D=42&x="
	exact := prefix + strings.Repeat("a", maxBody-len(prefix))
	tests := []struct {
		name, path string
		body       func() io.ReadCloser
		length     int64 // -1: unknown (chunked)
		status     int
		hinted     bool
		maxRead    int64
	}{
		{"exactly maxBody", "/hooks/activecampaign/7/right-token",
			func() io.ReadCloser { return io.NopCloser(strings.NewReader(exact)) }, maxBody, 202, true, maxBody},
		{"one byte over, length given", "/hooks/activecampaign/7/right-token",
			func() io.ReadCloser { return io.NopCloser(strings.NewReader(exact + "a")) }, maxBody + 1, 413, false, maxBody + 1},
		{"endless, chunked", "/hooks/activecampaign/7/right-token",
			func() io.ReadCloser { return &endlessBody{prefix: prefix} }, -1, 413, false, maxBody + 1},
		{"endless, claiming to be small", "/hooks/activecampaign/7/right-token",
			func() io.ReadCloser { return &endlessBody{prefix: prefix} }, 100, 413, false, maxBody + 1},
		{"endless, wrong token", "/hooks/activecampaign/7/wrong-token",
			func() io.ReadCloser { return &endlessBody{prefix: prefix} }, -1, 404, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &hintCounter{}
			body := &countingReader{r: tt.body()}
			req := httptest.NewRequest("POST", tt.path, nil)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Body, req.ContentLength = body, tt.length
			rec := httptest.NewRecorder()
			New(eng, nil).ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if hinted := eng.hints > 0; hinted != tt.hinted {
				t.Errorf("hinted = %v, want %v", hinted, tt.hinted)
			}
			// A body is read in buffers: allow one buffer past the limit.
			if body.n > tt.maxRead+4096 {
				t.Errorf("read %d bytes of the body, want at most %d", body.n, tt.maxRead)
			}
			if tt.maxRead == 0 && body.n != 0 {
				t.Errorf("read %d bytes of a body sent with a wrong token", body.n)
			}
		})
	}
}

type countingReader struct {
	r io.ReadCloser
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Close() error { return c.r.Close() }

// Over a real connection too: the server answers 413 to a body that
// declares its length, and 413 to one sent in chunks.
func TestOversizedDeliveryOverHTTP(t *testing.T) {
	eng := &hintCounter{}
	srv := httptest.NewServer(New(eng, nil))
	defer srv.Close()
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader("contact%5Bid%5D=42&x=" + strings.Repeat("a", 2*maxBody))
		if chunked {
			body = io.MultiReader(body) // hides the length: sent chunked
		}
		resp, err := http.Post(srv.URL+"/hooks/activecampaign/7/right-token", "application/x-www-form-urlencoded", body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked=%v: status %d, want 413", chunked, resp.StatusCode)
		}
	}
	if eng.hints != 0 {
		t.Errorf("%d hints from oversized deliveries", eng.hints)
	}
}
