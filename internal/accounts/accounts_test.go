package accounts

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestUpstreamClientKeepsConnections checks that the engine's issue
// workers, calling one host at once round after round, reuse their
// connections instead of opening one per call: each new connection costs
// a dial (and, over HTTPS, a TLS handshake), which was a large share of
// autocred's CPU per credential.
func TestUpstreamClientKeepsConnections(t *testing.T) {
	for _, tc := range []struct {
		name          string
		workers, runs int
	}{
		{"the engine's 20 issue workers", 20, 10},
		{"a few calls at once", 4, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opened atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"ok":true}`)
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					opened.Add(1)
				}
			}
			srv.Start()
			defer srv.Close()
			client := New(Config{}).http
			defer client.CloseIdleConnections()

			for range tc.runs {
				var wg sync.WaitGroup
				for range tc.workers {
					wg.Go(func() {
						resp, err := client.Get(srv.URL)
						if err != nil {
							t.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					})
				}
				wg.Wait()
			}
			// A call may start just before another's connection is back
			// in the pool, and dial: some slack, far below one per call.
			if n, most := opened.Load(), int64(2*tc.workers); n > most {
				t.Errorf("%d calls, %d at a time, opened %d connections; want at most %d", tc.workers*tc.runs, tc.workers, n, most)
			}
		})
	}
}
