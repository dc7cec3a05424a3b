package certifier

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// The error codes of Certifier's error reference (spec §5).
const (
	codeMissingVersion   = "missing_version"
	codeInvalidVersion   = "invalid_version"
	codeInvalidJSON      = "invalid_json"
	codeValidation       = "validation_error"
	codeUnauthorized     = "unauthorized"
	codeNotFound         = "not_found"
	codeConflict         = "conflict"
	codeRateLimited      = "rate_limited"
	codeInternalError    = "internal_server_error"
	messageRateLimited   = "You have exceeded the rate limit"
	messageInternalError = "There was a problem on Certifier's end"
)

// apiError is an answer in Certifier's error shape:
// {"error":{"code":…,"message":…}}.
type apiError struct {
	status  int
	code    string
	message string
}

func validationError(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeValidation, fmt.Sprintf(format, args...)}
}

func invalidJSON(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeInvalidJSON, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, codeNotFound, fmt.Sprintf(format, args...)}
}

// conflict reports a request that is well formed but does not fit the
// object's current state, such as issuing a credential that is no longer a
// draft. The spec (§5) defines 409 as "data collision, refresh and retry",
// which is the right advice for a client whose earlier attempt may have
// succeeded unseen.
func conflict(format string, args ...any) *apiError {
	return &apiError{http.StatusConflict, codeConflict, fmt.Sprintf(format, args...)}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, errorBody{errorDetail{e.code, e.message}})
}

// writeGateError answers for the traffic.Gate, which refuses requests before
// they reach the API: over the budget (429, or 503 when the control API
// asks for it) or an injected fault (4xx or 5xx, with the rule's message
// when it gives one), with the code of the error reference (spec §5).
func writeGateError(w http.ResponseWriter, _ *http.Request, status int, message string) {
	e := &apiError{status, codeInternalError, messageInternalError}
	switch {
	case status == http.StatusTooManyRequests:
		e.code, e.message = codeRateLimited, messageRateLimited
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.code, e.message = codeUnauthorized, "Unauthorized"
	case status == http.StatusNotFound:
		e.code, e.message = codeNotFound, "Not found"
	case status == http.StatusConflict:
		e.code, e.message = codeConflict, "Conflict"
	case status < 500:
		e.code, e.message = codeValidation, "The request is invalid"
	}
	if message != "" {
		e.message = message
	}
	writeAPIError(w, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
