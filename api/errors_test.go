package api

import (
	"net/http/httptest"
	"testing"

	"github.com/autocred/autocred"
)

// The API answers each error code with the API column of the one table
// that also gives the web UI's statuses (autocred.ErrorStatus), through
// the path every error takes (writeError).
func TestErrorStatusesComeFromTheTable(t *testing.T) {
	t.Parallel()
	for _, code := range autocred.ErrorCodes {
		t.Run(code, func(t *testing.T) {
			err := autocred.Errorf(code, "refused for the test")
			srv := httptest.NewServer(New(Config{Tokens: stubTokens{err: err}}))
			defer srv.Close()
			a := &apiTest{t: t, url: srv.URL}
			a.callAuth("Bearer acr_x", "GET", "/api/v1/connections", nil).fails(t, autocred.ErrorStatus(code).API, code, "")
		})
	}
}
