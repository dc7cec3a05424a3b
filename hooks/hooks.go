// Package hooks receives ActiveCampaign's webhook deliveries at
// /hooks/activecampaign/{connection}/{token}. A delivery is only a hint to
// re-check one contact, so the receiver parses it, hands it to the engine
// (which enqueues a debounced check) and answers at once.
//
// The token in the path is the only proof a delivery comes from
// ActiveCampaign (it documents no signature): a wrong one is answered 404,
// exactly like an unknown path, after a constant-time comparison.
package hooks

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/hooks/webhook"
)

// Engine is what the receiver needs of the engine.
type Engine interface {
	CheckWebhookToken(connID int64, token string) bool
	Hint(ctx context.Context, connID int64, contactID autocred.ContactID) (folded bool, err error)
}

// maxBody bounds a delivery. A contact's form with many custom fields is a
// few KiB; anything far larger is not a delivery.
const maxBody = 256 << 10

// New returns the receiver.
func New(e Engine, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/activecampaign/{connection}/{token}", func(w http.ResponseWriter, r *http.Request) {
		connID, err := strconv.ParseInt(r.PathValue("connection"), 10, 64)
		if err != nil || connID <= 0 || !e.CheckWebhookToken(connID, r.PathValue("token")) {
			http.NotFound(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			status := http.StatusBadRequest
			if strings.Contains(err.Error(), "too large") {
				status = http.StatusRequestEntityTooLarge
			}
			http.Error(w, "not a form-encoded ActiveCampaign delivery: "+err.Error(), status)
			return
		}
		d, err := webhook.Parse(r.PostForm)
		if err != nil {
			// Answer 2xx anyway: ActiveCampaign never retries, and a 4xx
			// would change nothing. A 410 would turn the webhook off.
			log.Debug("webhook delivery ignored", "connection", connID, "reason", err.Error())
			w.WriteHeader(http.StatusAccepted)
			return
		}
		folded, err := e.Hint(r.Context(), connID, d.ContactID)
		if err != nil {
			// 5xx: the delivery is lost (never retried), and the next
			// sync finds the entry anyway.
			log.Error("webhook hint not queued", "connection", connID, "err", err)
			http.Error(w, "hint not queued", http.StatusServiceUnavailable)
			return
		}
		log.Debug("webhook hint", "connection", connID, "type", d.Type, "contact", d.ContactID, "source", d.Source, "folded_into_sync", folded)
		w.WriteHeader(http.StatusAccepted)
	})
	return mux
}
