package certifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/autocred/autocred/internal/upstream"
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
	// described: Message is autocred's own sentence, which names the
	// status itself.
	described bool
	redirect  bool // a redirect that was not followed
	notSent   bool // never sent: the caller stopped waiting for its turn
}

// Unwrap gives the transport's error, so that errors.Is finds a
// context.DeadlineExceeded behind a wait that was cut short.
func (e *Error) Unwrap() error { return e.cause }

func (e *Error) Error() string {
	switch {
	case e.network:
		return fmt.Sprintf("certifier %s: no answer: %s", e.Endpoint, e.Message)
	case e.described:
		return fmt.Sprintf("certifier %s: %s", e.Endpoint, e.Message)
	case e.Code == "":
		return fmt.Sprintf("certifier %s: %s: %s", e.Endpoint, upstream.StatusText(e.Status), e.Message)
	}
	return fmt.Sprintf("certifier %s: %d %s: %s", e.Endpoint, e.Status, e.Code, e.Message)
}

// The kinds of failure, for errors.Is.
var (
	// ErrValidation: Certifier refused the request's content. Sending it
	// again will fail again; the message says what to fix.
	ErrValidation = errors.New("certifier: request refused as invalid")
	// ErrAuth: the token is wrong, revoked, or lacks access (401, 403).
	ErrAuth = errors.New("certifier: access token refused")
	// ErrPlan: 402 payment_required, "the feature needs a premium plan"
	// (spec §5; the issue endpoint documents it). It concerns the
	// workspace, not the request: every credential would get the same.
	ErrPlan = errors.New("certifier: the workspace's plan does not allow this")
	// ErrVersion: 400 missing_version or invalid_version, the
	// Certifier-Version header absent or not recognised (spec §1, §5). It
	// concerns every call autocred makes, not one request's content.
	ErrVersion = errors.New("certifier: API version refused")
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
	// ErrRedirect: Certifier's URL answered with a redirect to another
	// host, port or scheme (or redirect after redirect), which autocred
	// does not follow: nothing was sent to its target.
	ErrRedirect = errors.New("certifier: redirect not followed")
	// ErrNotSent: the request was never sent (the caller's context ended
	// while it waited for the account's rate limiter): nothing was
	// processed, and no answer was lost. Try again later.
	ErrNotSent = errors.New("certifier: request not sent")
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
		return (e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity) && !e.versionRefused()
	case ErrAuth:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrPlan:
		return e.Status == http.StatusPaymentRequired
	case ErrVersion:
		return e.versionRefused()
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
	case ErrRedirect:
		return e.redirect
	case ErrNotSent:
		return e.notSent
	}
	return false
}

// versionRefused: the 400 codes of the version header (spec §5 errors).
func (e *Error) versionRefused() bool {
	return e.Status == http.StatusBadRequest && (e.Code == "missing_version" || e.Code == "invalid_version")
}

// decodeError reads {"error":{"code","message"}}. Certifier's code and
// message are kept, cleaned (its docs say the message is safe to show to
// end users). Any other body (a proxy's HTML page, a truncated answer) is
// described by its status and kind, never quoted: its bytes are not an API
// answer and may be anything.
func decodeError(endpoint string, status int, body []byte) *Error {
	var shaped struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e := &Error{Endpoint: endpoint, Status: status}
	if json.Unmarshal(body, &shaped) == nil {
		e.Code, e.Message = upstream.CleanMessage(shaped.Error.Code), upstream.CleanMessage(shaped.Error.Message)
	}
	switch {
	case e.Message == "" && e.Code == "":
		e.Message, e.described = upstream.Unrecognised("Certifier", status, body), true
	case e.Message == "":
		e.Message = http.StatusText(status)
	}
	return e
}

// redirectError is the error of a redirect the upstream.Doer refused.
func redirectError(re *upstream.RedirectError) *Error {
	msg := "Certifier answered with a redirect to another host (" + re.To + "); autocred does not follow it, so the access token is never sent there. Check the connection's API URL (leave it empty for " + DefaultURL + ")."
	if re.Loop {
		msg = "Certifier answered with redirect after redirect; autocred stopped following them. Check the connection's API URL (leave it empty for " + DefaultURL + ")."
	}
	return &Error{Endpoint: re.Endpoint, Status: re.Status, Code: "redirect", Message: msg, described: true, redirect: true}
}
