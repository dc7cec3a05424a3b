package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/autocred/autocred"
)

// errorResponse is the body of every error: {"error":{"code","message","field"}},
// with "errors" listing every mistake when a request has several.
type errorResponse struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Errors is every mistake, the first being the one above, when a save
	// found several at once (autocred.Errors): a client fixes them all
	// before sending again.
	Errors []errorItem `json:"errors,omitempty"`
}

type errorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// httpStatus is the API's status of an error code: the API column of the
// one table (autocred.ErrorStatus), which also gives the web UI's.
func httpStatus(code string) int { return autocred.ErrorStatus(code).API }

// writeError answers with err. An internal error is logged and shown only
// as a generic message: its text may hold details (queries, paths) that
// are ours to read, not the client's.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := autocred.ErrorCode(err)
	status := httpStatus(code)
	body := errorBody{Code: code, Message: autocred.ErrorMessage(err)}
	var e *autocred.Error
	if errors.As(err, &e) {
		body.Field = e.Field
	}
	if all := autocred.Errors(err); len(all) > 1 && code != autocred.EINTERNAL {
		for _, e := range all {
			body.Errors = append(body.Errors, errorItem{Code: e.Code, Message: e.Message, Field: e.Field})
		}
	}
	if status == http.StatusInternalServerError {
		h.log.LogAttrs(r.Context(), slog.LevelError, "api internal error",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="autocred"`)
	}
	_ = writeJSON(w, status, errorResponse{body}) // strings always encode
}
