package activecampaign

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The 25 events the real API's GET /webhook/events lists (spec §4): a
// webhook may subscribe to any of them, though the sandbox fires only the
// contact events below. The sandbox does not serve that route: autocred
// never calls it.
var webhookEvents = []string{
	"bounce", "click", "contact_tag_added", "contact_tag_removed", "deal_add", "deal_note_add",
	"deal_pipeline_add", "deal_stage_add", "deal_task_add", "deal_task_complete", "deal_tasktype_add",
	"deal_update", "forward", "list_add", "open", "reply", "sent", "share", "sms_reply", "sms_sent",
	"sms_unsub", "subscribe", "subscriber_note", "unsubscribe", "update",
}

var webhookSources = []string{"public", "admin", "api", "system"}

// The events the sandbox fires, and where a change came from.
const (
	eventSubscribe   = "subscribe"
	eventUnsubscribe = "unsubscribe"
	eventUpdate      = "update"
	eventTagAdded    = "contact_tag_added"
	eventTagRemoved  = "contact_tag_removed"

	sourceAPI   = "api"
	sourceAdmin = "admin"
)

type webhook struct {
	id      int64
	name    string
	url     string
	events  []string
	sources []string
	listid  int64
	cdate   time.Time
	// disabled: ActiveCampaign stopped sending to it (a 410 answer, or
	// DisableWebhook). It stays listed exactly as before: the API object
	// has no status field, and only deleting and creating it again brings
	// deliveries back (spec §4, §7; developers.activecampaign.com/page/webhooks).
	disabled bool
}

func (a *account) renderWebhook(base string, h *webhook) map[string]any {
	sid := itoa(h.id)
	return map[string]any{
		"cdate": a.v3(h.cdate), "listid": itoa(h.listid), "name": h.name, "url": h.url,
		"events": h.events, "sources": h.sources,
		"links": map[string]string{}, "id": sid,
	}
}

func (a *account) webhookByID(id int64) (int, *webhook) {
	for i, h := range a.webhooks {
		if h.id == id {
			return i, h
		}
	}
	return -1, nil
}

type webhookBody struct {
	Webhook *struct {
		Name    *string   `json:"name"`
		URL     *string   `json:"url"`
		Events  *[]string `json:"events"`
		Sources *[]string `json:"sources"`
		ListID  *flexID   `json:"listid"`
	} `json:"webhook"`
}

// apply merges a body into h and validates the result; the error is
// already in the API's 422 shape.
func (b webhookBody) apply(h *webhook) *apiError {
	in := b.Webhook
	if in.Name != nil {
		h.name = strings.TrimSpace(*in.Name)
	}
	if in.URL != nil {
		h.url = strings.TrimSpace(*in.URL)
	}
	if in.Events != nil {
		h.events = slices.Clone(*in.Events)
	}
	if in.Sources != nil {
		h.sources = slices.Clone(*in.Sources)
	}
	if in.ListID != nil {
		h.listid = int64(*in.ListID)
	}
	missing := func(attr, what string) *apiError {
		return &apiError{Title: "The webhook " + what + " was not provided.", Code: "field_missing", Source: &errSource{Pointer: "/data/attributes/" + attr}}
	}
	invalid := func(attr, title string) *apiError {
		return &apiError{Title: title, Code: "field_invalid", Source: &errSource{Pointer: "/data/attributes/" + attr}}
	}
	switch {
	case h.name == "":
		return missing("name", "name")
	case h.url == "":
		return missing("url", "url")
	case len(h.events) == 0:
		return missing("events", "events")
	case len(h.sources) == 0:
		return missing("sources", "sources")
	case h.listid < 0:
		return invalid("listid", "The list id must be a positive number or 0.")
	}
	// The sandbox delivers to any port so tests can use local receivers;
	// the real API delivers HTTPS only to port 443.
	if u, err := url.Parse(h.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("url", "The webhook url must be an absolute http or https URL.")
	}
	for _, e := range h.events {
		if !slices.Contains(webhookEvents, e) {
			return invalid("events", "Unknown webhook event "+strconv.Quote(e)+"; ActiveCampaign's GET /api/3/webhook/events lists the known ones.")
		}
	}
	for _, src := range h.sources {
		if !slices.Contains(webhookSources, src) {
			return invalid("sources", "Unknown webhook source "+strconv.Quote(src)+"; use public, admin, api or system.")
		}
	}
	return nil
}

// WebhookInfo is a registered webhook as tests see it.
type WebhookInfo struct {
	ID     int64
	URL    string
	Events []string
	// Disabled: no delivery is sent to it any more. The API does not show
	// this (the webhook object has no status field); only tests can see it.
	Disabled bool
}

// Webhooks lists an account's webhooks for tests, without going through
// the API: a test that polled GET /webhooks would spend the account's
// request budget (5/s), which the client under test shares.
func (s *Server) Webhooks(account string) ([]WebhookInfo, error) {
	a, err := s.mustAccount(account)
	if err != nil {
		return nil, err
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]WebhookInfo, 0, len(a.webhooks))
	for _, h := range a.webhooks {
		out = append(out, WebhookInfo{ID: h.id, URL: h.url, Events: slices.Clone(h.events), Disabled: h.disabled})
	}
	return out, nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, a *account) {
	q := r.URL.Query()
	limit, offset := pageParams(q)
	name, hookURL, listID := q.Get("filters[name]"), q.Get("filters[url]"), q.Get("filters[listid]")
	a.mu.RLock()
	defer a.mu.RUnlock()
	var hooks []*webhook
	for _, h := range a.webhooks {
		if (name == "" || h.name == name) && (hookURL == "" || h.url == hookURL) && (listID == "" || itoa(h.listid) == listID) {
			hooks = append(hooks, h)
		}
	}
	base := apiBase(r, a)
	lo, hi := pageBounds(len(hooks), limit, offset)
	out := make([]map[string]any, 0, hi-lo)
	for _, h := range hooks[lo:hi] {
		out = append(out, a.renderWebhook(base, h))
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out, "meta": map[string]string{"total": itoa(int64(len(hooks)))}})
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, a *account) {
	var in webhookBody
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Webhook == nil {
		writeAttrError(w, http.StatusUnprocessableEntity, "The webhook was not provided.", "field_missing", "webhook")
		return
	}
	h := &webhook{cdate: s.now()}
	if e := in.apply(h); e != nil {
		writeErrors(w, http.StatusUnprocessableEntity, *e)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nextWebhook++
	h.id = a.nextWebhook
	a.webhooks = append(a.webhooks, h)
	writeJSON(w, http.StatusCreated, map[string]any{"webhook": a.renderWebhook(apiBase(r, a), h)})
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, a *account) {
	id, _ := parseID(r.PathValue("id"))
	a.mu.RLock()
	defer a.mu.RUnlock()
	_, h := a.webhookByID(id)
	if h == nil {
		writeNoResult(w, "Webhook", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": a.renderWebhook(apiBase(r, a), h)})
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, a *account) {
	id, _ := parseID(r.PathValue("id"))
	a.mu.Lock()
	defer a.mu.Unlock()
	i, h := a.webhookByID(id)
	if h == nil {
		writeNoResult(w, "Webhook", r.PathValue("id"))
		return
	}
	a.webhooks = slices.Delete(a.webhooks, i, i+1)
	writeJSON(w, http.StatusOK, map[string]any{})
}

// contactEvents builds the deliveries of one contact event for every
// webhook that wants it: the event and source must be chosen, and a
// webhook limited to a list fires for subscribe/unsubscribe of that list
// and for updates of contacts subscribed to it; tag events ignore listid
// (spec §4). Callers hold a.mu.
func (a *account) contactEvents(event, source string, id int64, c *contact, list int32, now time.Time, extra map[string]string) []*delivery {
	var ds []*delivery
	var base url.Values
	for _, h := range a.webhooks {
		if h.disabled || !slices.Contains(h.events, event) || !slices.Contains(h.sources, source) {
			continue
		}
		listKey := int64(0)
		if h.listid != 0 {
			switch event {
			case eventSubscribe, eventUnsubscribe:
				if int64(list) != h.listid {
					continue
				}
			case eventUpdate:
				if c.listStatus(int32(h.listid)) != 1 {
					continue
				}
			}
			if event != eventTagAdded && event != eventTagRemoved {
				listKey = h.listid
			}
		}
		if list != 0 {
			listKey = int64(list)
		}
		if base == nil {
			base = a.payload(event, source, id, c, now, extra)
		}
		form := make(url.Values, len(base)+1)
		for k, v := range base {
			form[k] = v
		}
		form.Set("list", itoa(listKey))
		ds = append(ds, &delivery{acct: a, hook: h.id, url: h.url, body: form.Encode()})
	}
	return ds
}

// payload is the form body with PHP-style bracketed keys (spec §4).
func (a *account) payload(event, source string, id int64, c *contact, now time.Time, extra map[string]string) url.Values {
	form := url.Values{
		"type":                {event},
		"date_time":           {a.v3(now)},
		"initiated_by":        {source},
		"initiated_from":      {source},
		"contact[id]":         {itoa(id)},
		"contact[email]":      {c.email},
		"contact[first_name]": {c.firstName},
		"contact[last_name]":  {c.lastName},
		"contact[phone]":      {c.phone},
		"contact[tags]":       {a.tagNames(c)},
		"contact[orgname]":    {""},
		"contact[ip]":         {"0"},
	}
	for _, fv := range c.fields {
		form.Set("contact[fields]["+strings.ToLower(a.fields[fv.field-1].perstag)+"]", fv.value)
	}
	for k, v := range extra {
		form.Set(k, v)
	}
	return form
}

// delivery is one webhook POST waiting in the queue.
type delivery struct {
	acct *account
	hook int64
	url  string
	body string
}

// DeliveryStats counts webhook deliveries since the last reset.
type DeliveryStats struct {
	Queued     int64 `json:"queued"`     // events accepted for delivery
	Sent       int64 `json:"sent"`       // POSTs answered 2xx (duplicates included)
	Duplicated int64 `json:"duplicated"` // events delivered a second time (at least once)
	Failed     int64 `json:"failed"`     // POSTs that failed or got another status; never retried
	Disabled   int64 `json:"disabled"`   // webhooks turned off (still listed): the receiver answered 410, or DisableWebhook
	Dropped    int64 `json:"dropped"`    // events dropped: queue full, or webhook/account gone before sending
	Pending    int64 `json:"pending"`    // events queued or being sent now
}

const (
	deliveryQueue   = 1 << 17 // room for a mass change of a hundred thousand contacts
	deliveryWorkers = 8
)

// dispatcher delivers webhooks from a bounded queue with a few workers, so
// an API call never waits for a receiver.
type dispatcher struct {
	s      *Server
	queue  chan *delivery
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	rngMu sync.Mutex
	rng   *rand.Rand

	queued, sent, duplicated, failed, disabled, dropped, pending atomic.Int64
}

func newDispatcher(s *Server) *dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	d := &dispatcher{
		s: s, queue: make(chan *delivery, deliveryQueue),
		client: &http.Client{Timeout: s.opts.WebhookTimeout},
		ctx:    ctx, cancel: cancel,
		rng: rand.New(rand.NewPCG(s.opts.Seed, s.opts.Seed^0x5bd1e995)),
	}
	for range deliveryWorkers {
		d.wg.Add(1)
		go d.work()
	}
	return d
}

// enqueue never blocks: when the queue is full the event is dropped and
// counted, as a webhook system under overload loses events.
func (d *dispatcher) enqueue(ds []*delivery) {
	for _, dl := range ds {
		d.queued.Add(1)
		d.pending.Add(1)
		select {
		case d.queue <- dl:
		default:
			d.pending.Add(-1)
			d.dropped.Add(1)
			d.s.log.Warn("webhook queue full: delivery dropped", "account", dl.acct.name, "webhook", dl.hook)
		}
	}
}

func (d *dispatcher) work() {
	defer d.wg.Done()
	for {
		select {
		case <-d.ctx.Done():
			return
		case dl := <-d.queue:
			d.deliver(dl)
			d.pending.Add(-1)
		}
	}
}

// deliver sends one event once, or twice at WebhookDuplicateRate. A failed
// POST is counted and dropped (never retried); a 410 disables the webhook.
func (d *dispatcher) deliver(dl *delivery) {
	if !d.live(dl) {
		d.dropped.Add(1)
		return
	}
	d.rngMu.Lock()
	twice := d.rng.Float64() < d.s.opts.WebhookDuplicateRate
	d.rngMu.Unlock()
	if !d.post(dl) || !twice {
		return
	}
	d.duplicated.Add(1)
	d.post(dl)
}

// live says whether the delivery's account and webhook still exist and
// the webhook is still on: a delivery queued before the webhook was
// disabled is not sent either.
func (d *dispatcher) live(dl *delivery) bool {
	if d.s.account(dl.acct.name) != dl.acct {
		return false
	}
	dl.acct.mu.RLock()
	defer dl.acct.mu.RUnlock()
	_, h := dl.acct.webhookByID(dl.hook)
	return h != nil && !h.disabled
}

// post sends the form; it reports whether the webhook is still on.
func (d *dispatcher) post(dl *delivery) bool {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, dl.url, strings.NewReader(dl.body))
	if err != nil {
		d.failed.Add(1)
		return true
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "ActiveCampaign/1.0 (sandbox)")
	resp, err := d.client.Do(req)
	if err != nil {
		d.failed.Add(1)
		d.s.log.Info("webhook delivery failed", "account", dl.acct.name, "webhook", dl.hook, "err", err)
		return true
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusGone:
		d.disable(dl)
		return false
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		d.sent.Add(1)
	default:
		d.failed.Add(1)
		d.s.log.Info("webhook receiver refused delivery", "account", dl.acct.name, "webhook", dl.hook, "status", resp.StatusCode)
	}
	return true
}

// disable turns off a webhook whose receiver answered 410. It stays in GET
// /webhooks and GET /webhooks/{id} exactly as before (the object has no
// status field); ActiveCampaign just stops sending to it, and the only way
// back is to delete it and create it again (spec §4, §7: "Returning HTTP
// 410 permanently turns the webhook off"; a deactivated webhook still
// shows, developers.activecampaign.com/page/webhooks).
func (d *dispatcher) disable(dl *delivery) {
	a := dl.acct
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, h := a.webhookByID(dl.hook); h != nil && !h.disabled {
		h.disabled = true
		d.disabled.Add(1)
		d.s.log.Info("webhook disabled after 410; still listed", "account", a.name, "webhook", dl.hook)
	}
}

// DisableWebhook turns a webhook off silently, as if ActiveCampaign had
// stopped sending to it for a reason the client never sees (a 410 from a
// proxy in front of the receiver, a deactivation in the app): it stays
// listed exactly as before, and no delivery is sent to it any more,
// including those already queued. Deleting it and creating it again is the
// only way back. Control route: POST
// /_sandbox/accounts/{account}/webhooks/{id}/disable.
func (s *Server) DisableWebhook(account string, id int64) error {
	a, err := s.mustAccount(account)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_, h := a.webhookByID(id)
	if h == nil {
		return fmt.Errorf("no webhook %d in account %q", id, account)
	}
	if !h.disabled {
		h.disabled = true
		s.hooks.disabled.Add(1)
	}
	return nil
}

func (d *dispatcher) stats() DeliveryStats {
	return DeliveryStats{
		Queued: d.queued.Load(), Sent: d.sent.Load(), Duplicated: d.duplicated.Load(), Failed: d.failed.Load(),
		Disabled: d.disabled.Load(), Dropped: d.dropped.Load(), Pending: d.pending.Load(),
	}
}

// reset zeroes the counters; deliveries still queued find their account
// gone and are dropped.
func (d *dispatcher) reset() {
	for _, c := range []*atomic.Int64{&d.queued, &d.sent, &d.duplicated, &d.failed, &d.disabled, &d.dropped} {
		c.Store(0)
	}
}

func (d *dispatcher) close() {
	d.once.Do(func() {
		d.cancel()
		d.wg.Wait()
	})
}

// Deliveries returns the webhook delivery counters.
func (s *Server) Deliveries() DeliveryStats { return s.hooks.stats() }
