package engine

import (
	"context"
	"crypto/subtle"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/store"
)

// webhooksArgs reconciles the hint webhooks with the automations: one per
// ActiveCampaign connection that has a watching automation (when a public
// URL is set), none otherwise. It runs every minute on the leader (see
// Config.WebhookCheckEvery), which is
// also how a webhook deleted on ActiveCampaign's side is noticed and
// created again, and a silent one (disabled but still listed, see
// silence.go) deleted and created again; and right after an automation
// starts or stops.
type webhooksArgs struct{}

func (webhooksArgs) Kind() string { return "webhooks" }

func (webhooksArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queueSync, MaxAttempts: 1}
}

type webhooksWorker struct {
	river.WorkerDefaults[webhooksArgs]
	e *Engine
}

func (w *webhooksWorker) Work(ctx context.Context, _ *river.Job[webhooksArgs]) error {
	ran, err := w.e.withLease(ctx, "webhooks", w.e.reconcileWebhooks)
	if !ran && err == nil {
		return nil // another process is at it
	}
	return err
}

// webhookName marks the webhooks autocred registers.
const webhookName = "autocred hints"

// WebhookToken is the secret path segment of a connection's webhook URL.
func (e *Engine) WebhookToken(connID int64) string {
	return e.cfg.Box.Token("activecampaign-webhook:" + strconv.FormatInt(connID, 10))
}

// CheckWebhookToken compares a delivery's path token with the connection's
// in constant time, so that timing tells nothing about the right one.
func (e *Engine) CheckWebhookToken(connID int64, token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(e.WebhookToken(connID))) == 1
}

// webhookURL is where ActiveCampaign delivers a connection's hints, or ""
// without a public URL.
func (e *Engine) webhookURL(connID int64) string {
	if e.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimSuffix(e.cfg.PublicURL, "/") + "/hooks/activecampaign/" + strconv.FormatInt(connID, 10) + "/" + e.WebhookToken(connID)
}

// hintsEnabled tells whether webhook hints are configured at all.
func (e *Engine) hintsEnabled() bool { return e.cfg.PublicURL != "" }

func (e *Engine) reconcileWebhooks(ctx context.Context) error {
	hooks, err := e.store.Webhooks(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, h := range hooks {
		if err := e.reconcileWebhook(ctx, h); err != nil {
			e.log.Warn("hint webhook", "connection", h.ConnectionID, "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) reconcileWebhook(ctx context.Context, h store.Webhook) error {
	want := h.Watching && e.hintsEnabled()
	if !want && h.ID == 0 {
		return nil
	}
	ac, err := e.clients.ActiveCampaign(ctx, e.store, h.ConnectionID)
	if err != nil {
		return err
	}
	if !want {
		if err := e.deleteWebhook(ctx, ac, h.ID); err != nil {
			return err
		}
		e.log.Info("hint webhook removed: no automation watches this account", "connection", h.ConnectionID)
		return e.store.SetWebhook(ctx, h.ConnectionID, 0, time.Now())
	}
	url := e.webhookURL(h.ConnectionID)
	notice := ""
	if h.ID != 0 {
		// Still listed, yet ActiveCampaign stopped sending (silence.go).
		if silentWebhook(h, time.Now(), e.cfg.WebhookSilence, e.cfg.WebhookRenewEvery) {
			return e.renewWebhook(ctx, ac, h, url)
		}
		wh, err := ac.Webhook(ctx, h.ID)
		switch {
		case err == nil && wh.URL == url:
			return e.store.SetWebhook(ctx, h.ConnectionID, h.ID, time.Now())
		case err == nil:
			e.log.Warn("hint webhook points elsewhere (public URL changed?); registering a new one", "connection", h.ConnectionID)
			if err := e.deleteWebhook(ctx, ac, wh.ID); err != nil {
				return err
			}
		case webhookGone(err):
			// Deleted on ActiveCampaign's side (a user in the app): a 404,
			// or a 403 "No Result found". Not a refused key.
			e.log.Warn("hint webhook was deleted on ActiveCampaign's side; registering it again", "connection", h.ConnectionID, "answer", err.Error())
			e.metrics.WebhookRenewals.WithLabelValues("gone").Inc()
			notice = "The webhook was deleted on ActiveCampaign's side (" + err.Error() + "); autocred registered it again at " + stamp(time.Now()) + "."
		default:
			return err
		}
	}
	// One may exist already: registered by a process that died before it
	// could record the id.
	all, err := ac.Webhooks(ctx)
	if err != nil {
		return err
	}
	for _, wh := range all {
		if wh.URL == url {
			return e.store.RegisterWebhook(ctx, h.ConnectionID, wh.ID, time.Now(), notice)
		}
	}
	wh, err := ac.CreateWebhook(ctx, activecampaign.Webhook{Name: webhookName, URL: url,
		Events: activecampaign.HintEvents, Sources: activecampaign.AllSources})
	if err != nil {
		return err
	}
	e.log.Info("hint webhook registered", "connection", h.ConnectionID, "webhook", wh.ID)
	return e.store.RegisterWebhook(ctx, h.ConnectionID, wh.ID, time.Now(), notice)
}

// WebhooksChanged asks for the webhooks to be reconciled now, after an
// automation started or stopped.
func (e *Engine) WebhooksChanged(ctx context.Context) error {
	if !e.hintsEnabled() {
		return nil
	}
	_, err := e.river.Insert(ctx, webhooksArgs{}, nil)
	return err
}
