package activecampaign

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is one entry of the errors[] body that the v3 validation errors
// and the Segments v2 / matching APIs use.
type apiError struct {
	Title  string     `json:"title"`
	Detail string     `json:"detail"`
	Code   string     `json:"code,omitempty"`
	Status int        `json:"status"`
	Source *errSource `json:"source,omitempty"`
}

type errSource struct {
	Pointer string `json:"pointer"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeErrors answers with {"errors":[…]}.
func writeErrors(w http.ResponseWriter, status int, errs ...apiError) {
	for i := range errs {
		errs[i].Status = status
	}
	writeJSON(w, status, map[string][]apiError{"errors": errs})
}

// writeError answers with a single errors[] entry.
func writeError(w http.ResponseWriter, status int, title, detail string) {
	writeErrors(w, status, apiError{Title: title, Detail: detail})
}

// writeAttrError is the 422 shape of a missing or invalid attribute, with
// the JSON:API pointer the real API sends.
func writeAttrError(w http.ResponseWriter, status int, title, code, attr string) {
	writeErrors(w, status, apiError{Title: title, Code: code, Source: &errSource{Pointer: "/data/attributes/" + attr}})
}

// writeNoResult is the older v3 not-found body:
// {"message":"No Result found for Subscriber with id 7"}, with a 404, or a
// 403 where the account is set to (SetForbiddenNoResult).
func writeNoResult(w http.ResponseWriter, entity string, id any) {
	writeJSON(w, noResultStatus(w, entity), map[string]string{"message": fmt.Sprintf("No Result found for %s with id %v", entity, id)})
}

// writeGateError is the traffic.Gate's error writer: rate-limit answers and
// injected faults in the API's errors[] shape.
func writeGateError(w http.ResponseWriter, _ *http.Request, status int, message string) {
	detail := "The server could not complete the request."
	switch {
	case message != "":
		detail = message
	case status == http.StatusTooManyRequests:
		detail = "Rate limit exceeded: wait for the number of seconds in Retry-After before sending more requests."
	case status == http.StatusServiceUnavailable:
		detail = "The service is temporarily unavailable; retry later."
	}
	writeError(w, status, http.StatusText(status), detail)
}

// writeUnauthorized is the 401 answer. Its body is undocumented (spec §5):
// the sandbox sends the errors[] shape so a decoder that tries errors[]
// first, as the spec recommends, reads a useful message.
func writeUnauthorized(w http.ResponseWriter) {
	writeError(w, http.StatusUnauthorized, "Unauthorized", "The Api-Token header is missing or does not match a key of this account.")
}

func writeBadJSON(w http.ResponseWriter, err error) {
	writeError(w, http.StatusBadRequest, "Bad Request", "The request body is not valid JSON: "+err.Error())
}
