package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A trace of a world, for taking a benchmark's time apart afterwards: with
// AUTOCRED_E2E_TRACE_DIR set, every request the two sandboxes answer is
// written there (when it came, which sandbox, method and path, status,
// how long it took) as <test>.requests.tsv, with the marks a test sets
// (world.mark: "tag change"), and each autocred node's log as
// <test>.node<i>.log. The times are the wall clock's, as in autocred's
// log, so the two line up. Tracing costs a lock and an append per request.
type trace struct {
	mu    sync.Mutex
	lines []string
}

// newTrace returns the world's trace, or nil when none is asked for.
func newTrace() *trace {
	if os.Getenv("AUTOCRED_E2E_TRACE_DIR") == "" {
		return nil
	}
	return &trace{}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// wrap records the requests h answers as side's.
func (tr *trace) wrap(side string, h http.Handler) http.Handler {
	if tr == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		tr.add(start, side, fmt.Sprintf("%s %s\t%d\t%.1f", r.Method, r.URL.RequestURI(), rec.status, float64(time.Since(start).Microseconds())/1000))
	})
}

func (tr *trace) add(at time.Time, side, what string) {
	tr.mu.Lock()
	tr.lines = append(tr.lines, at.Format("2006-01-02T15:04:05.000000")+"\t"+side+"\t"+what)
	tr.mu.Unlock()
}

// mark notes a moment of the test in the trace.
func (w *world) mark(what string) {
	if w.trace != nil {
		w.trace.add(time.Now(), "mark", what+"\t\t")
	}
}

// writeTrace writes the trace and the nodes' logs, once the nodes are
// stopped.
func (w *world) writeTrace(t testing.TB) {
	if w.trace == nil {
		return
	}
	dir := os.Getenv("AUTOCRED_E2E_TRACE_DIR")
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("trace not written: %v", err)
		return
	}
	w.trace.mu.Lock()
	body := "time\tside\trequest\tstatus\tms\n" + strings.Join(w.trace.lines, "\n") + "\n"
	w.trace.mu.Unlock()
	files := map[string]string{name + ".requests.tsv": body}
	w.mu.Lock()
	for i, n := range w.nodes {
		if n.logs != nil {
			files[fmt.Sprintf("%s.node%d.log", name, i)] = n.logs.String()
		}
	}
	w.mu.Unlock()
	for file, body := range files {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Logf("trace not written: %v", err)
			return
		}
	}
	t.Logf("trace written to %s/%s.*", dir, name)
}
