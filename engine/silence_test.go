package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/autocred/autocred/activecampaign"
	"github.com/autocred/autocred/store"
)

func TestMissedDelivery(t *testing.T) {
	reg := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	hook := store.Webhook{ID: 7, RegisteredAt: reg}
	delivered := hook
	delivered.DeliveryAt = reg.Add(time.Hour)
	for _, tc := range []struct {
		name  string
		h     store.Webhook
		udate time.Time
		want  bool
	}{
		{"changed after registration, nothing delivered", hook, reg.Add(time.Minute), true},
		{"changed before registration", hook, reg.Add(-time.Minute), false},
		{"no webhook", store.Webhook{}, reg.Add(time.Minute), false},
		{"registered before the time was recorded", store.Webhook{ID: 7}, reg, false},
		{"changed before the last delivery", delivered, reg.Add(30 * time.Minute), false},
		{"changed within the recording slack of the last delivery", delivered, delivered.DeliveryAt.Add(deliveryRecordEvery), false},
		{"changed after the last delivery", delivered, delivered.DeliveryAt.Add(2 * deliveryRecordEvery), true},
	} {
		if got := missedDelivery(tc.h, tc.udate); got != tc.want {
			t.Errorf("%s: missedDelivery = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSilentWebhook(t *testing.T) {
	const grace, every = 2 * time.Minute, time.Hour
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	silent := store.Webhook{ID: 7, Missed: 2, MissedFirst: now.Add(-10 * time.Minute), MissedLast: now.Add(-5 * time.Minute)}
	with := func(f func(*store.Webhook)) store.Webhook { h := silent; f(&h); return h }
	for _, tc := range []struct {
		name string
		h    store.Webhook
		want bool
	}{
		{"two changes 5 min apart, the last 5 min ago", silent, true},
		{"one missed delivery", with(func(h *store.Webhook) { h.Missed = 1 }), false},
		{"one import: changes within the grace", with(func(h *store.Webhook) { h.Missed = 500; h.MissedFirst = h.MissedLast.Add(-time.Minute) }), false},
		{"the last change's delivery may still come", with(func(h *store.Webhook) { h.MissedLast = now.Add(-time.Minute) }), false},
		{"registered again 30 min ago", with(func(h *store.Webhook) { h.RenewedAt = now.Add(-30 * time.Minute) }), false},
		{"registered again 2 h ago", with(func(h *store.Webhook) { h.RenewedAt = now.Add(-2 * time.Hour) }), true},
		{"no webhook", with(func(h *store.Webhook) { h.ID = 0 }), false},
	} {
		if got := silentWebhook(tc.h, now, grace, every); got != tc.want {
			t.Errorf("%s: silentWebhook = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWebhookGone(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&activecampaign.Error{Status: 404, Message: "No Result found for Webhook with id 3"}, true},
		{&activecampaign.Error{Status: 403, Message: "No Result found for Webhook with id 3"}, true},
		{&activecampaign.Error{Status: 403, Message: "You do not have permission to view webhooks"}, false},
		{&activecampaign.Error{Status: 401, Message: "Unauthorized"}, false},
		{&activecampaign.Error{Status: 500, Message: "No Result found"}, false},
		{errors.New("connection refused"), false},
	} {
		if got := webhookGone(tc.err); got != tc.want {
			t.Errorf("webhookGone(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
