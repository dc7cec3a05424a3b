// Package autocred holds the domain of autocred: connections to the outside
// accounts, automations (a segment watched, a credential mapped), the
// ledger of who is in a segment, the runs that issue one credential per
// entry, and the pure rules over them. It depends on nothing but the
// standard library; storage, the outside APIs and the engine live in their
// own packages and speak these types.
package autocred

import (
	"errors"
	"fmt"
)

// Error codes, each with an HTTP status in the API.
const (
	ECONFLICT     = "conflict"      // the state does not allow it (409)
	EINTERNAL     = "internal"      // a bug or an outage of ours (500)
	EINVALID      = "invalid"       // bad input; the message says what to fix (400/422)
	ENOTFOUND     = "not_found"     // no such object (404)
	EUNAUTHORIZED = "unauthorized"  // no or bad credentials (401)
	EUPSTREAM     = "upstream"      // an outside API refused or failed (422/502)
	ETOOLARGE     = "too_large"     // a request body over its limit (413)
	ECONNECTION   = "connection"    // a connection's key or token was refused (422)
	EUNSUPPORTED  = "not_supported" // a valid request we do not serve
)

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
