package certifier

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	idPattern   = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{26}$`)
	uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	timePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
)

func TestCreateDraft(t *testing.T) {
	clk := &clock{t: time.Date(2025, 3, 1, 23, 59, 0, 0, time.UTC)}
	sb := newSandbox(t, Options{Now: clk.Now})
	c := sb.ok(201, "POST", "/credentials", map[string]any{
		"groupId":          sb.sample.CourseCompletion.ID,
		"recipient":        map[string]any{"name": "Ada Lovelace", "email": "ada@example.org"},
		"customAttributes": map[string]any{"custom.course_name": "Analytical Engines 101", "custom.grade": "A"},
	})
	if c["status"] != "draft" || c["groupId"] != sb.sample.CourseCompletion.ID {
		t.Fatalf("created %v", c)
	}
	if !idPattern.MatchString(c["id"].(string)) || !uuidPattern.MatchString(c["publicId"].(string)) {
		t.Fatalf("id %v / publicId %v are not ULID-like / UUID", c["id"], c["publicId"])
	}
	if c["createdAt"] != "2025-03-01T23:59:00.000Z" || !timePattern.MatchString(c["updatedAt"].(string)) {
		t.Fatalf("createdAt %v updatedAt %v", c["createdAt"], c["updatedAt"])
	}
	// issueDate defaults to today (UTC); expiryDate to the group's 24 months.
	if c["issueDate"] != "2025-03-01" || c["expiryDate"] != "2027-03-01" {
		t.Fatalf("issueDate %v expiryDate %v", c["issueDate"], c["expiryDate"])
	}
	rec := c["recipient"].(map[string]any)
	if rec["name"] != "Ada Lovelace" || rec["email"] != "ada@example.org" || !idPattern.MatchString(rec["id"].(string)) {
		t.Fatalf("recipient %v", rec)
	}
	attrs := c["attributes"].(map[string]any)
	if attrs["recipient.name"] != "Ada Lovelace" || attrs["group.name"] != "Course Completion Certificate" || attrs["credential.expiryDate"] != "2027-03-01" {
		t.Fatalf("attributes %v", attrs)
	}
	if ca := c["customAttributes"].(map[string]any); ca["custom.grade"] != "A" || len(ca) != 2 {
		t.Fatalf("customAttributes %v", ca)
	}
	if len(sb.srv.Outbox(testWorkspace)) != 0 {
		t.Fatal("a draft was emailed")
	}

	// The same email is the same recipient.
	again := sb.credential("Ada L.", "ada@example.org")
	if again["recipient"].(map[string]any)["id"] != rec["id"] {
		t.Fatal("same email, different recipient.id")
	}
	if again["id"].(string) <= c["id"].(string) {
		t.Fatal("ids are not time-ordered")
	}

	for _, tc := range []struct {
		name   string
		body   map[string]any
		expiry any
	}{
		{"no expiry group", map[string]any{"groupId": sb.sample.VIPMember.ID}, nil},
		{"explicit null overrides group", map[string]any{"groupId": sb.sample.CourseCompletion.ID, "expiryDate": nil}, nil},
		{"explicit date overrides group", map[string]any{"groupId": sb.sample.CourseCompletion.ID, "expiryDate": "2025-12-31"}, "2025-12-31"},
		{"default from given issue date, clamped to month end", map[string]any{"groupId": sb.sample.WebinarAttendance.ID, "issueDate": "2024-02-29"}, "2025-02-28"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.body["recipient"] = map[string]any{"name": "Bob"}
			c := sb.ok(201, "POST", "/credentials", tc.body)
			if c["expiryDate"] != tc.expiry {
				t.Fatalf("expiryDate %v, want %v", c["expiryDate"], tc.expiry)
			}
			if c["recipient"].(map[string]any)["email"] != nil {
				t.Fatal("name-only recipient has an email")
			}
		})
	}
}

func TestCreateValidation(t *testing.T) {
	sb := newSandbox(t, Options{})
	course := sb.sample.CourseCompletion.ID
	base := func(change func(b map[string]any)) map[string]any {
		b := map[string]any{"groupId": course, "recipient": map[string]any{"name": "Ada", "email": "ada@example.org"}}
		change(b)
		return b
	}
	recipient := func(r map[string]any) func(b map[string]any) {
		return func(b map[string]any) { b["recipient"] = r }
	}
	set := func(k string, v any) func(b map[string]any) { return func(b map[string]any) { b[k] = v } }
	for _, tc := range []struct {
		name   string
		body   map[string]any
		inText string // the field the message must name
	}{
		{"missing groupId", base(func(b map[string]any) { delete(b, "groupId") }), "groupId"},
		{"unknown groupId", base(set("groupId", "01hzzzzzzzzzzzzzzzzzzzzzzz")), "groupId"},
		{"groupId not a string", base(set("groupId", 12)), "groupId"},
		{"missing recipient", base(func(b map[string]any) { delete(b, "recipient") }), "recipient"},
		{"missing recipient.name", base(recipient(map[string]any{"email": "ada@example.org"})), "recipient.name"},
		{"blank recipient.name", base(recipient(map[string]any{"name": " "})), "recipient.name"},
		{"recipient.name not a string", base(recipient(map[string]any{"name": 5})), "recipient.name"},
		{"email without @", base(recipient(map[string]any{"name": "A", "email": "ada.example.org"})), "recipient.email"},
		{"email without domain dot", base(recipient(map[string]any{"name": "A", "email": "ada@localhost"})), "recipient.email"},
		{"email with display name", base(recipient(map[string]any{"name": "A", "email": "Ada <ada@example.org>"})), "recipient.email"},
		{"email with space", base(recipient(map[string]any{"name": "A", "email": "ada @example.org"})), "recipient.email"},
		{"empty email", base(recipient(map[string]any{"name": "A", "email": ""})), "recipient.email"},
		{"email not a string", base(recipient(map[string]any{"name": "A", "email": true})), "recipient.email"},
		{"issueDate wrong format", base(set("issueDate", "01/03/2025")), "issueDate"},
		{"issueDate with time", base(set("issueDate", "2025-03-01T00:00:00Z")), "issueDate"},
		{"issueDate not a real day", base(set("issueDate", "2025-02-30")), "issueDate"},
		{"issueDate short month", base(set("issueDate", "2025-3-01")), "issueDate"},
		{"expiryDate wrong format", base(set("expiryDate", "2027")), "expiryDate"},
		{"expiryDate not a real day", base(set("expiryDate", "2027-13-01")), "expiryDate"},
		{"expiryDate before issueDate", base(func(b map[string]any) { b["issueDate"] = "2025-03-01"; b["expiryDate"] = "2025-02-28" }), "expiryDate"},
		{"expiryDate a number", base(set("expiryDate", 20270301)), "expiryDate"},
		{"custom attribute not in workspace", base(set("customAttributes", map[string]any{"custom.level": "3"})), "custom.level"},
		{"custom attribute without prefix", base(set("customAttributes", map[string]any{"grade": "A"})), "grade"},
		{"built-in tag as custom attribute", base(set("customAttributes", map[string]any{"recipient.name": "X"})), "recipient.name"},
		{"custom attribute number value", base(set("customAttributes", map[string]any{"custom.grade": 5})), "custom.grade"},
		{"custom attribute null value", base(set("customAttributes", map[string]any{"custom.grade": nil})), "custom.grade"},
		{"customAttributes not an object", base(set("customAttributes", []string{"custom.grade"})), "customAttributes"},
		{"unknown field", base(set("expiry_date", "2027-01-01")), "expiry_date"},
		{"unknown recipient field", base(recipient(map[string]any{"name": "A", "phone": "1"})), "phone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/credentials", "/credentials/create-issue-send"} {
				msg := wantError(t, sb.api("POST", path, tc.body), 400, "validation_error")
				if !strings.Contains(msg, tc.inText) {
					t.Errorf("%s: message %q does not name %q", path, msg, tc.inText)
				}
			}
		})
	}
	if n := len(sb.srv.Credentials(testWorkspace)); n != 0 {
		t.Fatalf("%d credentials created by invalid requests", n)
	}
	if n := len(sb.srv.Outbox(testWorkspace)); n != 0 {
		t.Fatalf("%d emails sent by invalid requests", n)
	}
	// Equal dates are fine.
	sb.ok(201, "POST", "/credentials", base(func(b map[string]any) { b["issueDate"] = "2025-03-01"; b["expiryDate"] = "2025-03-01" }))
}

func TestIssueOnlyFromDraft(t *testing.T) {
	sb := newSandbox(t, Options{})
	id := sb.credential("Ada", "ada@example.org")["id"].(string)
	issued := sb.ok(200, "POST", "/credentials/"+id+"/issue", nil)
	if issued["status"] != "issued" {
		t.Fatalf("issue: %v", issued)
	}
	msg := wantError(t, sb.api("POST", "/credentials/"+id+"/issue", nil), 409, "conflict")
	if !strings.Contains(msg, "issued") {
		t.Errorf("message %q does not say the credential is issued", msg)
	}
	wantError(t, sb.api("POST", "/credentials/01hzzzzzzzzzzzzzzzzzzzzzzz/issue", nil), 404, "not_found")
	if len(sb.srv.Outbox(testWorkspace)) != 0 {
		t.Fatal("issue sent an email")
	}
}

func TestSend(t *testing.T) {
	sb := newSandbox(t, Options{PublicBaseURL: "https://wallet.example/c/"})
	c := sb.credential("Ada Lovelace", "ada@example.org")
	id := c["id"].(string)
	email := map[string]any{"deliveryMethod": "email"}

	wantError(t, sb.api("POST", "/credentials/"+id+"/send", email), 409, "conflict")
	sb.ok(200, "POST", "/credentials/"+id+"/issue", nil)
	wantError(t, sb.api("POST", "/credentials/"+id+"/send", nil), 400, "invalid_json")
	wantError(t, sb.api("POST", "/credentials/"+id+"/send", map[string]any{}), 400, "validation_error")
	wantError(t, sb.api("POST", "/credentials/"+id+"/send", map[string]any{"deliveryMethod": "sms"}), 400, "validation_error")
	wantError(t, sb.api("POST", "/credentials/01hzzzzzzzzzzzzzzzzzzzzzzz/send", email), 404, "not_found")
	if n := len(sb.srv.Outbox(testWorkspace)); n != 0 {
		t.Fatalf("%d emails before a valid send", n)
	}

	sent := sb.ok(200, "POST", "/credentials/"+id+"/send", email)
	if sent["status"] != "issued" {
		t.Fatalf("send answered %v", sent)
	}
	out := sb.srv.Outbox(testWorkspace)
	want := Email{
		To: "ada@example.org", RecipientName: "Ada Lovelace", CredentialID: id, PublicID: c["publicId"].(string),
		GroupID: sb.sample.CourseCompletion.ID, GroupName: "Course Completion Certificate",
		Link: "https://wallet.example/c/" + c["publicId"].(string),
	}
	if len(out) != 1 {
		t.Fatalf("outbox %v", out)
	}
	got := out[0]
	if got.SentAt.IsZero() || !strings.Contains(got.Subject, "Course Completion Certificate") {
		t.Fatalf("email %+v", got)
	}
	got.SentAt, got.Subject = time.Time{}, ""
	if got != want {
		t.Fatalf("email %+v\nwant  %+v", got, want)
	}

	// Send is not idempotent: every call is another email.
	sb.ok(200, "POST", "/credentials/"+id+"/send", email)
	if n := len(sb.srv.Outbox(testWorkspace)); n != 2 {
		t.Fatalf("%d emails after two sends, want 2", n)
	}

	// An issued credential without an email cannot be sent.
	nameOnly := sb.ok(201, "POST", "/credentials", map[string]any{"groupId": sb.sample.VIPMember.ID, "recipient": map[string]any{"name": "Bob"}})
	sb.ok(200, "POST", "/credentials/"+nameOnly["id"].(string)+"/issue", nil)
	msg := wantError(t, sb.api("POST", "/credentials/"+nameOnly["id"].(string)+"/send", email), 400, "validation_error")
	if !strings.Contains(msg, "recipient.email") {
		t.Errorf("message %q", msg)
	}
}

func TestCreateIssueSend(t *testing.T) {
	sb := newSandbox(t, Options{})
	c := sb.ok(201, "POST", "/credentials/create-issue-send", map[string]any{
		"groupId":          sb.sample.CourseCompletion.ID,
		"recipient":        map[string]any{"name": "Ada Lovelace", "email": "ada@example.org"},
		"issueDate":        "2025-03-01",
		"expiryDate":       "2027-03-01",
		"customAttributes": map[string]any{"custom.course_name": "Analytical Engines 101", "custom.grade": "A"},
	})
	if c["status"] != "issued" || c["issueDate"] != "2025-03-01" || c["expiryDate"] != "2027-03-01" {
		t.Fatalf("create-issue-send answered %v", c)
	}
	out := sb.srv.Outbox(testWorkspace)
	if len(out) != 1 || out[0].CredentialID != c["id"] || out[0].To != "ada@example.org" {
		t.Fatalf("outbox %+v", out)
	}
	creds := sb.srv.Credentials(testWorkspace)
	if len(creds) != 1 || creds[0].Status != StatusIssued || creds[0].CustomAttributes["custom.grade"] != "A" {
		t.Fatalf("ground truth %+v", creds)
	}

	// Without an email nothing can be sent: refused, nothing made.
	msg := wantError(t, sb.api("POST", "/credentials/create-issue-send", map[string]any{
		"groupId": sb.sample.CourseCompletion.ID, "recipient": map[string]any{"name": "Bob"},
	}), 400, "validation_error")
	if !strings.Contains(msg, "recipient.email") {
		t.Errorf("message %q", msg)
	}
	if len(sb.srv.Credentials(testWorkspace)) != 1 || len(sb.srv.Outbox(testWorkspace)) != 1 {
		t.Fatal("a refused create-issue-send changed something")
	}

	// No idempotency: the same body twice is two credentials, two emails.
	body := map[string]any{"groupId": sb.sample.VIPMember.ID, "recipient": map[string]any{"name": "Eve", "email": "eve@example.org"}}
	a := sb.ok(201, "POST", "/credentials/create-issue-send", body)
	b := sb.ok(201, "POST", "/credentials/create-issue-send", body)
	if a["id"] == b["id"] || len(sb.srv.Outbox(testWorkspace)) != 3 {
		t.Fatal("a repeated create-issue-send was deduplicated")
	}
}

func TestGetListUpdateDelete(t *testing.T) {
	sb := newSandbox(t, Options{})
	var ids []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		ids = append(ids, sb.credential(n, n+"@example.org")["id"].(string))
	}
	got := sb.ok(200, "GET", "/credentials/"+ids[0], nil)
	if got["id"] != ids[0] || got["recipient"].(map[string]any)["name"] != "a" {
		t.Fatalf("GET: %v", got)
	}
	wantError(t, sb.api("GET", "/credentials/01hzzzzzzzzzzzzzzzzzzzzzzz", nil), 404, "not_found")

	var listed []string
	cursor := ""
	for {
		data, _, next := sb.api("GET", "/credentials?limit=2&cursor="+cursor, nil).list(t)
		for _, c := range data {
			listed = append(listed, c["id"].(string))
		}
		if next == nil {
			break
		}
		cursor = *next
	}
	if strings.Join(listed, ",") != strings.Join([]string{ids[4], ids[3], ids[2], ids[1], ids[0]}, ",") {
		t.Fatalf("list order %v, want newest first", listed)
	}
	wantError(t, sb.api("GET", "/credentials?limit=101", nil), 400, "validation_error")

	before := got["updatedAt"].(string)
	time.Sleep(2 * time.Millisecond)
	patched := sb.ok(200, "PATCH", "/credentials/"+ids[0], map[string]any{
		"recipient":        map[string]any{"email": "a.new@example.org"},
		"issueDate":        "2025-01-01",
		"expiryDate":       nil,
		"customAttributes": map[string]any{"custom.mentor": "Jane Doe"},
	})
	rec := patched["recipient"].(map[string]any)
	if rec["name"] != "a" || rec["email"] != "a.new@example.org" || patched["issueDate"] != "2025-01-01" || patched["expiryDate"] != nil {
		t.Fatalf("PATCH: %v", patched)
	}
	if ca := patched["customAttributes"].(map[string]any); len(ca) != 1 || ca["custom.mentor"] != "Jane Doe" {
		t.Fatalf("customAttributes %v", ca)
	}
	if patched["updatedAt"].(string) <= before || patched["createdAt"] != got["createdAt"] {
		t.Fatalf("timestamps after PATCH: %v / %v", patched["createdAt"], patched["updatedAt"])
	}
	// The email index follows the change.
	for email, want := range map[string]int{"a@example.org": 0, "a.new@example.org": 1} {
		data, _, _ := sb.api("POST", "/credentials/search", map[string]any{"filter": map[string]any{"recipient.email": map[string]any{"equals": email}}}).list(t)
		if len(data) != want {
			t.Errorf("search %s: %d results, want %d", email, len(data), want)
		}
	}
	for _, bad := range []map[string]any{
		{"expiryDate": "2024-12-31"}, // before the issue date set above
		{"issueDate": "2025/01/01"},
		{"recipient": map[string]any{"name": ""}},
		{"recipient": map[string]any{"email": "nope"}},
		{"customAttributes": map[string]any{"custom.nope": "x"}},
		{"groupId": sb.sample.VIPMember.ID},
	} {
		wantError(t, sb.api("PATCH", "/credentials/"+ids[0], bad), 400, "validation_error")
	}
	wantError(t, sb.api("PATCH", "/credentials/01hzzzzzzzzzzzzzzzzzzzzzzz", map[string]any{}), 404, "not_found")

	if r := sb.api("DELETE", "/credentials/"+ids[1], nil); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("DELETE: %d %q", r.status, r.body)
	}
	wantError(t, sb.api("GET", "/credentials/"+ids[1], nil), 404, "not_found")
	wantError(t, sb.api("DELETE", "/credentials/"+ids[1], nil), 404, "not_found")
	if n := len(sb.srv.Credentials(testWorkspace)); n != 4 {
		t.Fatalf("%d credentials after a delete, want 4", n)
	}
}

// Concurrent creates of one workspace are all kept, each once, in id order.
func TestConcurrentCreateIssueSend(t *testing.T) {
	sb := newSandbox(t, Options{})
	const n = 60
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sb.ok(201, "POST", "/credentials/create-issue-send", map[string]any{
				"groupId": sb.sample.CourseCompletion.ID, "recipient": map[string]any{"name": "P", "email": "p" + string(rune('a'+i%26)) + "@example.org"},
			})
		})
	}
	wg.Wait()
	creds, out := sb.srv.Credentials(testWorkspace), sb.srv.Outbox(testWorkspace)
	if len(creds) != n || len(out) != n {
		t.Fatalf("%d credentials, %d emails, want %d each", len(creds), len(out), n)
	}
	seen := map[string]bool{}
	for i, c := range creds {
		if i > 0 && c.ID <= creds[i-1].ID {
			t.Fatal("ground truth is not in creation (id) order")
		}
		seen[c.ID] = true
	}
	for _, e := range out {
		if !seen[e.CredentialID] {
			t.Fatalf("email for unknown credential %s", e.CredentialID)
		}
		delete(seen, e.CredentialID)
	}
	if len(seen) != 0 {
		t.Fatal("some credential was emailed twice or never")
	}
}
