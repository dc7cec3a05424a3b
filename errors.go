// Package autocred holds the domain of autocred: connections to the outside
// accounts, automations (a segment watched, a credential mapped), the
// ledger of who is in a segment, the runs that issue one credential per
// entry, and the pure rules over them. It depends on the standard library
// alone, but for golang.org/x/text's character names (clean.go says which
// hidden character it removed); storage, the outside APIs and the engine
// live in their own packages and speak these types.
package autocred

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes. Each has one row in errorStatuses, which gives its HTTP
// status in the REST API and in the web UI.
const (
	ECONFLICT     = "conflict"      // the state does not allow it
	EINTERNAL     = "internal"      // a bug or an outage of ours
	EINVALID      = "invalid"       // bad input; the message says what to fix
	ENOTFOUND     = "not_found"     // no such object
	EUNAUTHORIZED = "unauthorized"  // no or bad credentials
	EUPSTREAM     = "upstream"      // an outside API refused or failed
	ETOOLARGE     = "too_large"     // a request body over its limit
	ECONNECTION   = "connection"    // a connection's key or token was refused
	EUNSUPPORTED  = "not_supported" // a valid request we do not serve
)

// ErrorCodes lists every error code, in the order api/openapi.json's Error
// schema lists them.
var ErrorCodes = []string{EINVALID, EUNAUTHORIZED, ENOTFOUND, ECONFLICT, ETOOLARGE, ECONNECTION, EUPSTREAM, EUNSUPPORTED, EINTERNAL}

// HTTPStatus is how an error with one code answers over HTTP.
type HTTPStatus struct {
	// API is the REST API's status: a public contract, documented in
	// api/openapi.json, that clients branch on.
	API int
	// UI is the status of the web UI's page that shows the error: most
	// often the form the user sent, shown again with what they typed and
	// the message beside the input concerned.
	UI int
}

// errorStatuses is the one table of what each code answers over HTTP; api
// and web both read it (ErrorStatus). The API and the UI differ on purpose
// in three rows, all errors about what the user sent, which the UI answers
// by showing the form again:
//
//   - The UI answers 422 for them all. The form was understood and is
//     shown again with the message; 422 is what form-driven UIs use for a
//     re-rendered form (Rails and Hotwire Turbo do), and a test or a script
//     tells "shown again with errors" from "done" (303) without reading
//     the page.
//   - EUPSTREAM above all must not be a 5xx in the UI: a proxy in front of
//     autocred may put its own error page in place of a 502's body (nginx's
//     proxy_intercept_errors, a CDN), and the user would lose the form and
//     the message that says which account failed.
//   - The API keeps the statuses a client expects of a REST API: 400 for a
//     request it must change, 413 for a body over the limit (which clients
//     and proxies know), and 502 for an outside API that failed, which tells
//     a client to try the same request again later.
//
// ECONNECTION is 422 in both: the request was well formed, and the key or
// token in it was refused.
var errorStatuses = map[string]HTTPStatus{
	EINVALID:      {API: http.StatusBadRequest, UI: http.StatusUnprocessableEntity},
	EUNAUTHORIZED: {API: http.StatusUnauthorized, UI: http.StatusUnauthorized},
	ENOTFOUND:     {API: http.StatusNotFound, UI: http.StatusNotFound},
	ECONFLICT:     {API: http.StatusConflict, UI: http.StatusConflict},
	ETOOLARGE:     {API: http.StatusRequestEntityTooLarge, UI: http.StatusUnprocessableEntity},
	ECONNECTION:   {API: http.StatusUnprocessableEntity, UI: http.StatusUnprocessableEntity},
	EUPSTREAM:     {API: http.StatusBadGateway, UI: http.StatusUnprocessableEntity},
	EUNSUPPORTED:  {API: http.StatusNotImplemented, UI: http.StatusNotImplemented},
	EINTERNAL:     {API: http.StatusInternalServerError, UI: http.StatusInternalServerError},
}

// ErrorStatus returns the HTTP statuses of an error code; a code not in the
// table is internal (a bug: every code has a row, which a test checks).
func ErrorStatus(code string) HTTPStatus {
	if s, ok := errorStatuses[code]; ok {
		return s
	}
	return errorStatuses[EINTERNAL]
}

// Error is an error a user can act on: a code for programs and a message
// for people. Other errors are internal and shown as such.
type Error struct {
	Code    string
	Message string
	// Field names the input concerned, when there is one
	// ("action.issue_date"), so a form can show the message beside it.
	Field string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("autocred: %s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("autocred: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one input field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the message of an *Error in err's chain, or a
// generic text that leaks nothing of an internal error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// Errors returns every *Error in err, in order: err's own, or each of a
// joined error's (errors.Join), however deeply joined. A save that checks
// a whole form returns all its mistakes joined, so that each can be shown
// beside its input at once; errors.As, ErrorCode and ErrorMessage still
// see the first, which is what a caller that shows one message shows.
func Errors(err error) []*Error {
	switch e := err.(type) {
	case nil:
		return nil
	case *Error:
		return []*Error{e}
	case interface{ Unwrap() []error }:
		var out []*Error
		for _, inner := range e.Unwrap() {
			out = append(out, Errors(inner)...)
		}
		return out
	case interface{ Unwrap() error }:
		return Errors(e.Unwrap())
	}
	return nil
}

// JoinErrors joins the mistakes of one check (errors.Join), but returns a
// lone one as it is, so that a caller that asserts an *Error, written when
// checks returned their first mistake, still sees it; nil when there is
// none.
func JoinErrors(errs ...error) error {
	var found []error
	for _, err := range errs {
		if err != nil {
			found = append(found, err)
		}
	}
	switch len(found) {
	case 0:
		return nil
	case 1:
		return found[0]
	}
	return errors.Join(found...)
}
