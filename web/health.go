package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
)

// systemStats is what the process saw of one outside API since it started.
type systemStats struct {
	System   string // "ActiveCampaign" or "Certifier"
	Requests int
	Failed   int // no answer, or a 5xx
	// Refused counts the connections of the app whose key it refuses now
	// (Broken). It is their state, not the 401s answered since the start:
	// a wrong key typed while connecting is refused at once and saves
	// nothing, and a connection reconnected since is fine.
	Refused      int
	Waits        int // rate-limit answers waited out
	WaitedSecond float64
}

type healthData struct {
	PublicURLSet bool
	// Poll and Hinted say how often a segment is read when its automation
	// sets no interval: Poll without webhook hints, Hinted with them.
	Poll, Hinted string
	Webhooks     []webhookView // with a public URL: each ActiveCampaign account's hint webhook
	Connections  []autocred.Connection
	Pending      int
	Systems      []systemStats
	Problems     []service.AutomationView // broken, paused by the system, with a failing sync, or read more slowly than asked
	Failures     []autocred.Run
}

// webhookView is one ActiveCampaign account's hint webhook, as the health
// page shows it.
type webhookView struct {
	Connection string
	service.Webhook
}

func (h *handler) healthData(ctx context.Context) (healthData, error) {
	d := healthData{PublicURLSet: h.publicURLSet}
	poll, hinted := h.svc.PollIntervals()
	d.Poll, d.Hinted = everyWords(poll), everyWords(hinted)
	var err error
	if d.Connections, err = h.svc.Connections(ctx); err != nil {
		return d, err
	}
	if d.Webhooks, err = h.webhookViews(ctx, d.Connections); err != nil {
		return d, err
	}
	if d.Pending, err = h.svc.PendingRuns(ctx); err != nil {
		return d, err
	}
	autos, err := h.svc.Automations(ctx)
	if err != nil {
		return d, err
	}
	for _, a := range autos {
		// A notice says the segment is read more slowly than asked (the
		// fallback way, or an account whose budget stretches the
		// interval): something to act on too.
		if a.Status == autocred.AutomationBroken || a.StatusReason != "" || a.LastSyncError != "" || a.SyncNotice != "" {
			d.Problems = append(d.Problems, a)
		}
	}
	if d.Failures, err = h.svc.RecentFailures(ctx, 10); err != nil {
		return d, err
	}
	if d.Systems, err = h.systemStats(); err != nil {
		return d, err
	}
	countRefused(d.Systems, d.Connections)
	return d, nil
}

// countRefused sets each system's Refused from the connections whose key
// it refuses now.
func countRefused(systems []systemStats, conns []autocred.Connection) {
	names := map[autocred.App]string{autocred.AppActiveCampaign: "ActiveCampaign", autocred.AppCertifier: "Certifier"}
	for i := range systems {
		for _, c := range conns {
			if c.Status == autocred.ConnectionBroken && names[c.App] == systems[i].System {
				systems[i].Refused++
			}
		}
	}
}

// webhookViews lists the hint webhooks registered, or registered again
// once, with their account's name.
func (h *handler) webhookViews(ctx context.Context, conns []autocred.Connection) ([]webhookView, error) {
	if !h.publicURLSet {
		return nil, nil
	}
	hooks, err := h.svc.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, c := range conns {
		names[c.ID] = c.Name
	}
	var out []webhookView
	for _, w := range hooks {
		if w.ID != 0 || w.Notice != "" {
			out = append(out, webhookView{Connection: names[w.ConnectionID], Webhook: w})
		}
	}
	return out, nil
}

// systemStats reads the process's metrics: the same numbers /metrics
// exports, in words.
func (h *handler) systemStats() ([]systemStats, error) {
	if h.metrics == nil {
		return nil, nil
	}
	families, err := h.metrics.Registry.Gather()
	if err != nil {
		return nil, err
	}
	stats := map[string]*systemStats{
		"activecampaign": {System: "ActiveCampaign"},
		"certifier":      {System: "Certifier"},
	}
	for _, fam := range families {
		for _, m := range fam.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			s := stats[labels["system"]]
			if s == nil {
				continue
			}
			v := m.GetCounter().GetValue()
			switch fam.GetName() {
			case "autocred_api_requests_total":
				s.Requests += int(v)
				if code, _ := strconv.Atoi(labels["status"]); labels["status"] == "error" || code >= 500 {
					s.Failed += int(v)
				}
			case "autocred_rate_limit_waits_total":
				s.Waits += int(v)
			case "autocred_rate_limit_wait_seconds_total":
				s.WaitedSecond += v
			}
		}
	}
	return []systemStats{*stats["activecampaign"], *stats["certifier"]}, nil
}

// durationWords says an interval as the health page writes it: "5
// minutes", "30 seconds", "1 hour 30 minutes", or Go's "100ms" below a
// second.
func durationWords(d time.Duration) string {
	if d < time.Second {
		return d.String()
	}
	var parts []string
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		n := int(d / u.d)
		d -= time.Duration(n) * u.d
		switch {
		case n == 1:
			parts = append(parts, "1 "+u.name)
		case n > 1:
			parts = append(parts, strconv.Itoa(n)+" "+u.name+"s")
		}
	}
	return strings.Join(parts, " ")
}

func (h *handler) healthPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.healthData(r.Context())
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "health", view{Title: "Health", Nav: "health", Data: d})
}

func (h *handler) healthLive(w http.ResponseWriter, r *http.Request) error {
	d, err := h.healthData(r.Context())
	if err != nil {
		return err
	}
	body, err := h.fragment("healthDetail", d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"regions": map[string]string{"health": body}})
	return nil
}
