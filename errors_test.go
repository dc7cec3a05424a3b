package autocred

import (
	"net/http"
	"testing"
)

// Every code has one row, and the API and the UI differ only where
// errorStatuses' comment says why: errors about what the user sent, which
// the UI answers by showing the form again (422).
func TestErrorStatuses(t *testing.T) {
	tests := []struct {
		code    string
		api, ui int
	}{
		{EINVALID, http.StatusBadRequest, http.StatusUnprocessableEntity},
		{EUNAUTHORIZED, http.StatusUnauthorized, http.StatusUnauthorized},
		{ENOTFOUND, http.StatusNotFound, http.StatusNotFound},
		{ECONFLICT, http.StatusConflict, http.StatusConflict},
		{ETOOLARGE, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity},
		{ECONNECTION, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity},
		{EUPSTREAM, http.StatusBadGateway, http.StatusUnprocessableEntity},
		{EUNSUPPORTED, http.StatusNotImplemented, http.StatusNotImplemented},
		{EINTERNAL, http.StatusInternalServerError, http.StatusInternalServerError},
		{"no_such_code", http.StatusInternalServerError, http.StatusInternalServerError},
	}
	for _, tc := range tests {
		if got := ErrorStatus(tc.code); got.API != tc.api || got.UI != tc.ui {
			t.Errorf("%s: API %d, UI %d; want %d, %d", tc.code, got.API, got.UI, tc.api, tc.ui)
		}
	}
	if len(errorStatuses) != len(ErrorCodes) {
		t.Errorf("%d rows for %d codes", len(errorStatuses), len(ErrorCodes))
	}
	for _, code := range ErrorCodes {
		if _, ok := errorStatuses[code]; !ok {
			t.Errorf("code %s has no row", code)
		}
	}
}
