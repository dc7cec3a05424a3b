package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/store"
)

// Silent webhooks. ActiveCampaign turns a webhook off for good when its
// receiver answers 410, and may stop sending for reasons a client never
// sees; the webhook then stays in GET /webhooks and GET /webhooks/{id}
// exactly as before (the object has no status field), and only deleting it
// and creating it again brings deliveries back (spec §4 and §7;
// https://developers.activecampaign.com/page/webhooks). The minute check
// in webhooks.go cannot see it, so autocred watches what polling finds.
//
// Deliveries are never retried and imports fire none, so one entry that no
// delivery announced proves nothing. The rule:
//
//   - Every delivery received is recorded on its connection
//     (store.WebhookDelivered, at most once per deliveryRecordEvery per
//     process), and resets the count below: a webhook that delivers
//     anything is working.
//   - An entry found by a sync (never by a hint) is a missed delivery when
//     its contact's udate, from the details the sync reads anyway to enter
//     it, is after the webhook was registered and after the last recorded
//     delivery (plus deliveryRecordEvery, the recording's slack): the
//     contact changed while the webhook existed, and nothing at all has
//     been delivered since that change.
//   - The webhook is silent when, with no delivery since, there are at
//     least minMissed missed deliveries, whose changes are at least
//     Config.WebhookSilence apart (one import changes many contacts at
//     once), the latest of them at least WebhookSilence ago (time enough
//     for its delivery to arrive and reset the count). The webhook check
//     then deletes it and creates it again, at most once per
//     Config.WebhookRenewEvery per connection, and says so on the health
//     page, in the log and in autocred_webhook_renewals_total.
//
// Cost: no extra call to detect (udate comes with the entering contacts'
// details; the bookkeeping is one UPDATE per connection per second of
// deliveries per process, and a read and an UPDATE per 100 entries a sync
// records);
// 2 calls (DELETE, POST /webhooks) to register the webhook again. What it
// cannot tell apart: an import taking longer than WebhookSilence in an
// account where nothing else fires a delivery meanwhile looks silent too;
// that costs the same 2 calls, at most once per WebhookRenewEvery.

// deliveryRecordEvery bounds how often one process records a connection's
// deliveries; the recorded time is at most this much older than the last
// delivery.
const deliveryRecordEvery = time.Second

// minMissed is how many missed deliveries, with none received since, make
// a webhook silent.
const minMissed = 2

// deliveryLog remembers when this process last recorded each connection's
// deliveries.
type deliveryLog struct {
	mu   sync.Mutex
	last map[int64]time.Time
}

// noteDelivery records that a delivery for a connection arrived now, at
// most once per deliveryRecordEvery. A failed write is only logged: the
// next delivery tries again.
func (e *Engine) noteDelivery(ctx context.Context, connID int64, now time.Time) {
	e.deliveries.mu.Lock()
	if e.deliveries.last == nil {
		e.deliveries.last = map[int64]time.Time{}
	}
	if now.Sub(e.deliveries.last[connID]) < deliveryRecordEvery {
		e.deliveries.mu.Unlock()
		return
	}
	prev := e.deliveries.last[connID]
	e.deliveries.last[connID] = now
	e.deliveries.mu.Unlock()
	if err := e.store.WebhookDelivered(ctx, connID, now); err != nil {
		e.deliveries.mu.Lock()
		if e.deliveries.last[connID].Equal(now) {
			e.deliveries.last[connID] = prev
		}
		e.deliveries.mu.Unlock()
		e.log.Warn("recording a webhook delivery", "connection", connID, "err", err)
	}
}

// missedDelivery tells whether a contact that changed at udate and entered
// a segment, found by a sync, should have been announced by a delivery
// that never came (see the rule above).
func missedDelivery(h store.Webhook, udate time.Time) bool {
	return h.ID != 0 && !h.RegisteredAt.IsZero() && udate.After(h.RegisteredAt) &&
		udate.After(h.DeliveryAt.Add(deliveryRecordEvery))
}

// silentWebhook tells whether a connection's webhook is silent at now, by
// the rule above, and may be registered again.
func silentWebhook(h store.Webhook, now time.Time, grace, renewEvery time.Duration) bool {
	return h.ID != 0 && h.Missed >= minMissed &&
		h.MissedLast.Sub(h.MissedFirst) >= grace && now.Sub(h.MissedLast) >= grace &&
		(h.RenewedAt.IsZero() || now.Sub(h.RenewedAt) >= renewEvery)
}

// noteEntries counts the missed deliveries among contacts a sync of a
// connection has just entered. It never fails the sync: the entries are
// recorded already, and a lost count only delays the notice.
func (e *Engine) noteEntries(ctx context.Context, connID int64, contacts []activecampaign.Contact) {
	if !e.hintsEnabled() || len(contacts) == 0 {
		return
	}
	h, ok, err := e.store.WebhookOf(ctx, connID)
	if err != nil || !ok || h.ID == 0 {
		if err != nil {
			e.log.Warn("reading the webhook state", "connection", connID, "err", err)
		}
		return
	}
	var n int
	var first, last time.Time
	seen := make(map[autocred.ContactID]bool, len(contacts))
	for _, c := range contacts {
		u, ok := c.Updated()
		if seen[c.ID] || !ok || !missedDelivery(h, u) {
			continue
		}
		seen[c.ID] = true
		if n == 0 || u.Before(first) {
			first = u
		}
		if n == 0 || u.After(last) {
			last = u
		}
		n++
	}
	if n == 0 {
		return
	}
	counted, err := e.store.WebhookMissed(ctx, h, n, first, last)
	if err != nil {
		e.log.Warn("counting missed webhook deliveries", "connection", connID, "err", err)
		return
	}
	if !counted {
		return // a delivery arrived meanwhile: the webhook works
	}
	e.metrics.WebhookMissed.Add(float64(n))
	e.log.Info("polling found entries that no webhook delivery announced", "connection", connID,
		"contacts", n, "last_delivery", lastDelivery(h), "missed_so_far", h.Missed+n)
}

// lastDelivery describes a webhook's last recorded delivery, in words.
func lastDelivery(h store.Webhook) string {
	if h.DeliveryAt.IsZero() || h.DeliveryAt.Before(h.RegisteredAt) {
		return "none since it was registered at " + stamp(h.RegisteredAt)
	}
	return stamp(h.DeliveryAt)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// renewWebhook deletes a silent webhook and creates it again: the only way
// to make ActiveCampaign send to it again. Two calls.
func (e *Engine) renewWebhook(ctx context.Context, ac *activecampaign.Client, h store.Webhook, url string) error {
	if err := e.deleteWebhook(ctx, ac, h.ID); err != nil {
		return err
	}
	wh, err := ac.CreateWebhook(ctx, activecampaign.Webhook{Name: webhookName, URL: url,
		Events: activecampaign.HintEvents, Sources: activecampaign.AllSources})
	if err != nil {
		return err
	}
	now := time.Now()
	notice := fmt.Sprintf("ActiveCampaign stopped sending webhook deliveries (last delivery: %s), while %d contacts who changed since then entered a segment and were found by polling only; autocred deleted the webhook and registered it again at %s.",
		lastDelivery(h), h.Missed, stamp(now)) // h.Missed ≥ minMissed: never one
	e.metrics.WebhookRenewals.WithLabelValues("silent").Inc()
	e.log.Warn("hint webhook silent: registered it again", "connection", h.ConnectionID,
		"last_delivery", lastDelivery(h), "missed", h.Missed, "old", h.ID, "webhook", wh.ID)
	return e.store.RegisterWebhook(ctx, h.ConnectionID, wh.ID, now, notice)
}

// deleteWebhook removes a webhook; one already gone is fine.
func (e *Engine) deleteWebhook(ctx context.Context, ac *activecampaign.Client, id autocred.WebhookID) error {
	if id <= 0 {
		return nil // nothing that ActiveCampaign could have
	}
	if err := ac.DeleteWebhook(ctx, id); err != nil && !webhookGone(err) {
		return err
	}
	return nil
}

// webhookGone tells whether an answer about a webhook autocred registered
// says it no longer exists (deleted by a user in the app): a 404, or a 403
// "No Result found for Webhook with id N", as ActiveCampaign answers for
// some missing objects (spec §7, "403 has two meanings"). Such a webhook
// is registered again; it is no reason to break the connection.
func webhookGone(err error) bool {
	if errors.Is(err, activecampaign.ErrNotFound) {
		return true
	}
	var ae *activecampaign.Error
	return errors.As(err, &ae) && (ae.Status == http.StatusNotFound ||
		ae.Status == http.StatusForbidden && strings.Contains(strings.ToLower(ae.Message), "no result found"))
}
