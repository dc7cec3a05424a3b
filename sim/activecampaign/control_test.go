package activecampaign_test

import (
	"strings"
	"testing"

	simac "github.com/autocred/autocred/sim/activecampaign"
)

func TestControlAPI(t *testing.T) {
	e := newEnv(t, simac.Options{})
	ctl := func(method, path, body string, want int) map[string]any {
		t.Helper()
		r := e.doKey(method, "/_sandbox"+path, body, "")
		if r.status != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, r.status, want, r.body)
		}
		if len(r.body) == 0 {
			return nil
		}
		return r.json(t)
	}
	m := ctl("POST", "/accounts", `{"name":"beta","api_key":"k2"}`, 201)
	if !strings.HasSuffix(m["api_url"].(string), "/beta") {
		t.Fatalf("api_url: %v", m)
	}
	ctl("POST", "/accounts", `{"name":"beta","api_key":"k2"}`, 409)
	ctl("POST", "/accounts", `{"name":"Bad Name","api_key":"k"}`, 400)
	ctl("POST", "/accounts", `{"name":"x","api_key":"k","extra":1}`, 400)
	ctl("POST", "/accounts", `{"name":`, 400)
	ctl("POST", "/accounts", ``, 400)
	if l := ctl("GET", "/accounts", "", 200); len(l["accounts"].([]any)) != 2 {
		t.Fatalf("accounts: %v", l)
	}

	ids := ctl("POST", "/accounts/beta/import", `{"contacts":[{"email":"a@example.com","tags":["VIP"]},{"email":"b@example.com"}]}`, 200)
	if len(ids["ids"].([]any)) != 2 {
		t.Fatalf("import: %v", ids)
	}
	ctl("POST", "/accounts/nobody/import", `{"contacts":[]}`, 404)
	seg := ctl("POST", "/accounts/beta/segments", `{"name":"VIP","conditions":[{"type":"tag","op":"has","value":"VIP"}]}`, 201)
	ctl("POST", "/accounts/beta/segments", `{"name":"bad","conditions":[{"type":"tag","op":"is","value":"VIP"}]}`, 400)
	id := seg["id"].(string)
	if l := ctl("GET", "/accounts/beta/segments", "", 200); get(l, "segments", 0, "id") != id || get(l, "segments", 0, "name") != "VIP" {
		t.Fatalf("segments: %v", l)
	}
	ctl("GET", "/accounts/nobody/segments", "", 404)
	if mem := ctl("GET", "/accounts/beta/segments/"+id+"/members", "", 200); mem["count"] != 1.0 {
		t.Fatalf("members: %v", mem)
	}
	ctl("POST", "/accounts/beta/bulk-tag", `{"contact_ids":[2],"tag":"VIP"}`, 204)
	if mem := ctl("GET", "/accounts/beta/segments/"+id+"/members", "", 200); mem["count"] != 2.0 {
		t.Fatalf("members after bulk tag: %v", mem)
	}
	ctl("POST", "/accounts/beta/bulk-tag", `{"contact_ids":[99],"tag":"VIP"}`, 400)
	ctl("PUT", "/accounts/beta/segments/"+id, `{"name":"Nobody","conditions":[{"type":"tag","op":"has","value":"none"}]}`, 200)
	ctl("PUT", "/accounts/beta/segments/nope", `{"name":"x","conditions":[{"type":"tag","op":"has","value":"none"}]}`, 404)
	ctl("POST", "/accounts/beta/match-runs/fail-next", `{"count":2}`, 204)
	ctl("POST", "/accounts/beta/match-runs/fail-next", `{}`, 400)
	ctl("POST", "/accounts/beta/match-runs/expire", ``, 204)
	sample := ctl("POST", "/accounts/beta/seed", `{"contacts":50}`, 201)
	if sample["contacts"] != 50.0 || get(sample, "training_legacy", "legacy_id") != 1.0 {
		t.Fatalf("seed: %v", sample)
	}
	ctl("POST", "/accounts/beta/seed", `{"contacts":-1}`, 400)
	ctl("GET", "/webhook-deliveries", "", 200)
	ctl("GET", "/counters", "", 200)
	ctl("POST", "/reset", "", 204)
	if l := ctl("GET", "/accounts", "", 200); len(l["accounts"].([]any)) != 0 {
		t.Fatalf("after reset: %v", l)
	}
}

func TestSeedSampleIsDeterministicAndRealistic(t *testing.T) {
	run := func() (simac.Sample, []int64, *simac.Server) {
		srv := simac.New(simac.Options{Seed: 7})
		t.Cleanup(srv.Close)
		if err := srv.AddAccount("acme", "k"); err != nil {
			t.Fatal(err)
		}
		s, err := srv.SeedSample("acme", 2000)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := srv.Members("acme", s.CourseCompleters.ID)
		return s, m, srv
	}
	s1, m1, srv := run()
	_, m2, _ := run()
	if len(m1) == 0 || len(m1) != len(m2) || m1[0] != m2[0] {
		t.Fatalf("not deterministic: %d vs %d", len(m1), len(m2))
	}
	vip, _ := srv.Members("acme", s1.VIPMembers.ID)
	legacy, _ := srv.Members("acme", "1")
	if len(vip) < 100 || len(vip) > 300 || len(legacy) == 0 || s1.TrainingLegacy.LegacyID != 1 {
		t.Fatalf("vip %d legacy %d", len(vip), len(legacy))
	}
	invalid, _ := srv.DefineSegment("acme", simac.SegmentDef{Name: "bad email", Conditions: []simac.Condition{{Type: "email", Op: "invalid"}}})
	bad, _ := srv.Members("acme", invalid.ID)
	if len(bad) < 20 || len(bad) > 100 {
		t.Fatalf("contacts without a valid email: %d of 2000, want about 3%%", len(bad))
	}
	if w := s1.WebinarAttendees; !w.Audience || w.LegacyID == 0 || !s1.WebinarFollowUp.Hidden {
		t.Fatalf("a numeric audience and a hidden legacy segment: %+v %+v", w, s1.WebinarFollowUp)
	}
	if s1.TagIDs["VIP"] == 0 || s1.FieldIDs["COURSE_COMPLETED"] == 0 || s1.ListIDs["Newsletter"] == 0 {
		t.Fatalf("ids: %+v", s1)
	}
}
