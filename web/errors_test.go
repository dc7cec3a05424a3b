package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/autocred/autocred"
)

// A page and a script's JSON endpoint answer each error code with the UI
// column of the one table that also gives the API's statuses
// (autocred.ErrorStatus).
func TestErrorStatusesComeFromTheTable(t *testing.T) {
	t.Parallel()
	h := &handler{log: slog.New(slog.DiscardHandler)}
	h.pages, h.partials = parsePages()
	for _, code := range autocred.ErrorCodes {
		fail := func(http.ResponseWriter, *http.Request) error { return autocred.Errorf(code, "refused for the test") }
		for name, serve := range map[string]http.HandlerFunc{"page": h.page(fail), "json": h.jsonEndpoint(fail)} {
			w := httptest.NewRecorder()
			serve(w, httptest.NewRequest("GET", "/automations/1", nil))
			if want := autocred.ErrorStatus(code).UI; w.Code != want {
				t.Errorf("%s %s: %d, want %d", name, code, w.Code, want)
			}
		}
	}
}
