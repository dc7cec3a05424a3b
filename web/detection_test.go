package web

import (
	"strings"
	"testing"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
)

// The trigger says what is true of how a contact's entry is seen: read on
// a schedule when no webhook hints flow, instant once they do; and not
// read at all while the automation is stopped.
func TestTriggerSaysHowEntriesAreSeen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		status autocred.AutomationStatus
		det    service.Detection
		want   string
	}{
		{"polling only", autocred.AutomationActive, service.Detection{Every: time.Minute}, "checked every minute"},
		{"hints flow", autocred.AutomationActive, service.Detection{Every: 10 * time.Minute, Instant: true}, "instant (webhook), and checked every 10 minutes"},
		{"baselining", autocred.AutomationBaselining, service.Detection{Every: 90 * time.Second}, "checked every 1 minute 30 seconds"},
		{"draft", autocred.AutomationDraft, service.Detection{Every: time.Minute}, "checked every minute once active"},
		{"paused", autocred.AutomationPaused, service.Detection{Every: time.Minute}, "not read while paused; checked every minute once resumed"},
		{"broken", autocred.AutomationBroken, service.Detection{Every: 5 * time.Minute, Instant: true}, "not read while broken; instant (webhook), and checked every 5 minutes once resumed"},
		{"archived", autocred.AutomationArchived, service.Detection{Every: time.Minute}, "not read: archived"},
	} {
		d := automationData{Detection: tc.det}
		d.Status = tc.status
		if got := d.DetectionLabel(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// On a server without a public URL, the automation's page and the form say
// the segment is checked every poll interval, not "(Instant)"; with one,
// the page says instant once ActiveCampaign's webhook is registered for
// the account.
func TestTriggerIsInstantOnlyWithWebhooks(t *testing.T) {
	t.Parallel()
	t.Run("polling only", func(t *testing.T) {
		t.Parallel()
		u := newUITestWith(t, testenv.Options{PollInterval: time.Minute}, false)
		u.signIn()
		f := u.fixture()
		u.activate(f)
		p := u.do("GET", "/automations/"+itoa(f.automation), nil)
		if !strings.Contains(p.body, "New Contact Added to Segment · Course Completers · checked every minute</dd>") || strings.Contains(p.body, "Instant") {
			t.Errorf("the trigger of a polled automation does not say it is checked every minute")
		}
		if p := u.do("GET", "/automations/new", nil); !strings.Contains(p.body, "New Contact Added to Segment <span class=\"hint\">(checked every minute:") || strings.Contains(p.body, "(Instant)") {
			t.Errorf("the form does not say entries are checked every minute")
		}
	})
	t.Run("webhook hints", func(t *testing.T) {
		t.Parallel()
		u := newUITestWith(t, testenv.Options{PollInterval: time.Minute, PublicURL: "https://autocred.example.com", HintedPollInterval: 10 * time.Minute}, true)
		u.signIn()
		f := u.fixture()
		u.activate(f)
		eventually(t, "the trigger to say it is instant", func() bool {
			return strings.Contains(u.do("GET", "/automations/"+itoa(f.automation), nil).body, "Course Completers · instant (webhook), and checked every 10 minutes</dd>")
		})
		if p := u.do("GET", "/automations/new", nil); !strings.Contains(p.body, "(instant by webhook, and checked every 10 minutes (every minute while no webhook arrives))") {
			t.Errorf("the form does not say entries are instant with webhooks")
		}
	})
}

// An interval after "every" reads as people say it: "every minute", not
// "every 1 minute"; the health page says it so too.
func TestEveryWords(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Second: "second", time.Minute: "minute", time.Hour: "hour", 10 * time.Minute: "10 minutes",
		90 * time.Second: "1 minute 30 seconds", 100 * time.Millisecond: "100ms",
	} {
		if got := everyWords(d); got != want {
			t.Errorf("every %v: %q, want %q", d, got, want)
		}
	}
	u := newUITestWith(t, testenv.Options{PollInterval: time.Minute}, false)
	u.signIn()
	if p := u.do("GET", "/health", nil); !strings.Contains(p.body, "every minute (<code>--poll-interval</code>)") {
		t.Errorf("the health page does not say it reads segments every minute")
	}
}
