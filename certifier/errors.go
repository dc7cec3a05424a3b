package certifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is a failed call. Use errors.Is with the Err* kinds to classify it.
type Error struct {
	Endpoint string
	Status   int    // 0 when no answer arrived
	Code     string // Certifier's error code, e.g. "validation_error"
	// Message is Certifier's own text, which its docs say is safe to show
	// to end users, or what went wrong on the way.
	Message string

	unknownOutcome bool
	network        bool
	cause          error // the transport's error, when no answer came
}

// Unwrap gives the transport's error, so that errors.Is finds a
// context.DeadlineExceeded behind a wait that was cut short.
func (e *Error) Unwrap() error { return e.cause }

func (e *Error) Error() string {
	if e.network {
		return fmt.Sprintf("certifier %s: no answer: %s", e.Endpoint, e.Message)
	}
	return fmt.Sprintf("certifier %s: %d %s: %s", e.Endpoint, e.Status, e.Code, e.Message)
}

// The kinds of failure, for errors.Is.
var (
	// ErrValidation: Certifier refused the request's content. Sending it
	// again will fail again; the message says what to fix.
	ErrValidation = errors.New("certifier: request refused as invalid")
	// ErrAuth: the token is wrong, revoked, or lacks access.
	ErrAuth = errors.New("certifier: access token refused")
	// ErrRateLimited: over the rate limit for longer than the client waits
	// (see upstream.WithWaitLimit; errors.As finds the
	// *upstream.ThrottledError that says until when). Nothing was processed.
	ErrRateLimited = errors.New("certifier: rate limited")
	// ErrServer: a 5xx or no answer at all; worth trying again later.
	ErrServer = errors.New("certifier: server or network failure")
	// ErrUnknownOutcome: a request that changes something got no answer or
	// a 5xx, so the change may or may not have been made.
	ErrUnknownOutcome = errors.New("certifier: outcome unknown")
	// ErrNotFound: no such object.
	ErrNotFound = errors.New("certifier: not found")
	// ErrConflict: the object is not in a state that allows the call, e.g.
	// issuing a credential that is no longer a draft.
	ErrConflict = errors.New("certifier: conflict")
)

// Refused tells whether err is Certifier's definite refusal (a 4xx answer,
// 429 included): the request changed nothing. Any other failure of a
// request that changes something (no answer, a 5xx, an answer that could
// not be read) may have changed it.
func Refused(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status >= 400 && e.Status < 500
}

// Is matches the kinds above.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrValidation:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity
	case ErrAuth:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.Status == http.StatusPaymentRequired
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrServer:
		return e.network || e.Status >= 500
	case ErrUnknownOutcome:
		return e.unknownOutcome
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	}
	return false
}

// decodeError reads {"error":{"code","message"}}, keeping the raw body when
// the answer has another shape (a proxy's HTML page, say).
func decodeError(endpoint string, status int, body []byte) *Error {
	var shaped struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e := &Error{Endpoint: endpoint, Status: status}
	if json.Unmarshal(body, &shaped) == nil && (shaped.Error.Code != "" || shaped.Error.Message != "") {
		e.Code, e.Message = shaped.Error.Code, shaped.Error.Message
	} else {
		e.Message = strings.TrimSpace(string(body))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "…"
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}
