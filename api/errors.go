package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/autocred/autocred"
)

// errorResponse is the body of every error: {"error":{"code","message","field"}}.
type errorResponse struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// httpStatus maps an error code to its HTTP status.
func httpStatus(code string) int {
	switch code {
	case autocred.EINVALID:
		return http.StatusBadRequest
	case autocred.ECONNECTION:
		// The request was well formed; the key in it was refused.
		return http.StatusUnprocessableEntity
	case autocred.EUPSTREAM:
		return http.StatusBadGateway
	case autocred.ENOTFOUND:
		return http.StatusNotFound
	case autocred.ECONFLICT:
		return http.StatusConflict
	case autocred.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case autocred.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case autocred.EUNSUPPORTED:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

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
	if status == http.StatusInternalServerError {
		h.log.LogAttrs(r.Context(), slog.LevelError, "api internal error",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="autocred"`)
	}
	_ = writeJSON(w, status, errorResponse{body}) // strings always encode
}
