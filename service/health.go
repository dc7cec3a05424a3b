package service

import (
	"context"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
)

// Webhook is the state of one ActiveCampaign connection's hint webhook,
// as the engine keeps it in the store (store.Webhook), given here so that
// the health page need not import the store.
type Webhook = store.Webhook

// Connection reads one connection.
func (s *Service) Connection(ctx context.Context, id int64) (autocred.Connection, error) {
	return s.store.Connection(ctx, id)
}

// PollIntervals are how often a segment is read when its automation sets
// no interval of its own (--poll-interval), and how often while webhook
// hints flow for its connection (--hinted-poll-interval).
func (s *Service) PollIntervals() (poll, hinted time.Duration) { return s.engine.PollIntervals() }

// Detection is how an automation's segment is watched, as its page says
// it.
type Detection struct {
	// Every is how often the segment is read: the automation's own
	// interval, or --poll-interval, or --hinted-poll-interval while hints
	// flow.
	Every time.Duration
	// Instant tells whether ActiveCampaign's webhook hints flow for the
	// automation's connection: entries are seen in moments.
	Instant bool
}

// Detection says how an automation's segment is watched now.
func (s *Service) Detection(ctx context.Context, a autocred.Automation) (Detection, error) {
	every, hinted, err := s.engine.Detection(ctx, a)
	return Detection{Every: every, Instant: hinted}, err
}

// PendingRuns counts the runs of every automation that wait to be issued.
func (s *Service) PendingRuns(ctx context.Context) (int, error) { return s.store.PendingRuns(ctx) }

// RecentFailures lists the newest failed runs of all automations, at most
// limit.
func (s *Service) RecentFailures(ctx context.Context, limit int) ([]autocred.Run, error) {
	return s.store.RecentFailures(ctx, limit)
}

// Webhooks lists every ActiveCampaign connection's hint webhook.
func (s *Service) Webhooks(ctx context.Context) ([]Webhook, error) { return s.store.Webhooks(ctx) }

// BatchProgress is the wave of runs an automation is issuing, when one is.
func (s *Service) BatchProgress(ctx context.Context, automationID int64) (autocred.Progress, error) {
	return s.store.BatchProgress(ctx, automationID)
}

// RunsPerDay counts the runs an automation finished on each of the last
// days calendar days in zone (an IANA name: the UI gives the browser's,
// so that a chart's days are those of the times beside it), or, when zone
// is empty, in the automation's time zone (its action's, else the
// server's); oldest first, today last, with the zone's name for the
// label.
func (s *Service) RunsPerDay(ctx context.Context, a autocred.Automation, days int, zone string) (string, []autocred.DayCount, error) {
	if zone == "" {
		zone = a.Action.TimeZone
	}
	zone, loc, err := autocred.LoadTimeZone("action.time_zone", zone)
	if err != nil {
		zone, loc = "UTC", time.UTC // a zone that no longer loads: the save refuses it, the chart need not
	}
	counts, err := s.store.RunsPerDay(ctx, a.ID, days, loc)
	return zone, counts, err
}
