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
	Connections  []connectionHealth
	Pending      int
	Systems      []systemStats
	Problems     []service.AutomationView // broken, paused by the system, with a failing sync, read more slowly than asked, or refused by Certifier's plan or version
	// Waiting are the automations whose runs wait out a Certifier outage:
	// not broken (nothing to fix), not fine either.
	Waiting []service.AutomationView
	// ReadWaiting are the automations whose segment cannot be read
	// because ActiveCampaign does not answer: nothing to fix either.
	ReadWaiting []service.AutomationView
	Failures    []autocred.Run
}

// connectionHealth is a connection as Health shows it: with its circuit
// while open (Certifier failing, or refusing the plan or autocred's API
// version), which says more about it than its key being fine.
type connectionHealth struct {
	autocred.Connection
	Circuit *service.CircuitView
	// ReadOutage: an ActiveCampaign connection whose segments cannot be
	// read now (it does not answer, or fails on its end); nil otherwise.
	ReadOutage *autocred.ReadOutage
}

// badge is a state in a word or three, and its badge's class.
type badge struct{ Label, Class string }

// Badge says the connection's state: Broken (its key refused: reconnect
// it), Waiting on Certifier or on ActiveCampaign (an outage: nothing to
// fix), Needs you (a plan
// or an API version Certifier refuses), or OK.
func (c connectionHealth) Badge() badge {
	switch {
	case c.Status == autocred.ConnectionBroken:
		return badge{"Broken", "badge-broken"}
	case c.Circuit != nil && c.Circuit.Reason == autocred.CircuitOutage:
		return badge{"Waiting on Certifier", "badge-waiting"}
	case c.ReadOutage != nil:
		return badge{"Waiting on ActiveCampaign", "badge-waiting badge-long"}
	case c.Circuit != nil:
		return badge{"Needs you", "badge-broken"}
	}
	return badge{"OK", "badge-active"}
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
	conns, err := h.svc.Connections(ctx)
	if err != nil {
		return d, err
	}
	if d.Connections, err = h.connectionsHealth(ctx, conns); err != nil {
		return d, err
	}
	if d.Webhooks, err = h.webhookViews(ctx, conns); err != nil {
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
		// An open circuit for the plan or the API version waits for
		// someone to act; an outage, for Certifier only.
		switch {
		case a.SyncOutage() && a.StatusReason == "" && a.Status.Watching():
			d.ReadWaiting = append(d.ReadWaiting, a)
		case a.Status == autocred.AutomationBroken || a.StatusReason != "" || a.LastSyncError != "" || a.SyncNotice != "" ||
			a.CertifierCircuit != nil && !a.WaitingOnCertifier():
			d.Problems = append(d.Problems, a)
		case a.WaitingOnCertifier() && a.Status != autocred.AutomationDraft:
			d.Waiting = append(d.Waiting, a)
		}
	}
	if d.Failures, err = h.svc.RecentFailures(ctx, 10); err != nil {
		return d, err
	}
	if d.Systems, err = h.systemStats(); err != nil {
		return d, err
	}
	countRefused(d.Systems, conns)
	return d, nil
}

// connectionsHealth adds to each Certifier connection its circuit while
// open, and to each ActiveCampaign one its outage while its segments
// cannot be read.
func (h *handler) connectionsHealth(ctx context.Context, conns []autocred.Connection) ([]connectionHealth, error) {
	outages, err := h.svc.ReadOutages(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]connectionHealth, len(conns))
	for i, c := range conns {
		out[i].Connection = c
		if c.App != autocred.AppCertifier {
			out[i].ReadOutage = outages[c.ID]
			continue
		}
		v, err := h.svc.Circuit(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out[i].Circuit = v
	}
	return out, nil
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
