package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/service"
	simac "github.com/autocred/autocred/sim/activecampaign"
	"github.com/autocred/autocred/store"
)

// demoConfig is what "autocred demo" is told.
type demoConfig struct {
	serve   serveConfig
	sandbox sandboxConfig
	batch   int
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	var cfg demoConfig
	fs.StringVar(&cfg.serve.addr, "addr", "127.0.0.1:8080", "`HOST:PORT` of autocred's API")
	fs.StringVar(&cfg.serve.database, "database", "", "SQLite database `file` (default: a new one in a temporary folder)")
	fs.StringVar(&cfg.sandbox.acAddr, "ac-addr", "127.0.0.1:0", "`HOST:PORT` of the ActiveCampaign sandbox (default: any free port)")
	fs.StringVar(&cfg.sandbox.certifierAddr, "certifier-addr", "127.0.0.1:0", "`HOST:PORT` of the Certifier sandbox (default: any free port)")
	fs.IntVar(&cfg.sandbox.contacts, "contacts", 500, "sample contacts in the ActiveCampaign sandbox")
	fs.IntVar(&cfg.batch, "batch", 2000, "contacts in the imported batch at the end")
	fs.DurationVar(&cfg.serve.pollInterval, "poll-interval", 5*time.Second, "how often the segments are read")
	fs.StringVar(&cfg.serve.logLevel, "log-level", "warn", "log level of the service: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg.serve.logFormat = "text"
	cfg.serve.allowPrivateUpstreams = true
	// ActiveCampaign at its real limit; Certifier's is unpublished, and at
	// its sandbox default of 10/s the batch would take minutes.
	cfg.sandbox.acRate, cfg.sandbox.certifierRate = 5, 100
	cfg.serve.acRate, cfg.serve.certifierRate = 4, 90
	cfg.sandbox.seed, cfg.sandbox.randSeed = true, 1
	if cfg.batch < 0 || cfg.batch > 100_000 {
		return fmt.Errorf("--batch must be between 0 and 100000")
	}
	if cfg.serve.database == "" {
		dir, err := os.MkdirTemp("", "autocred-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.serve.database = filepath.Join(dir, "autocred.db")
	}
	log, err := cfg.serve.logger(stderr)
	if err != nil {
		return err
	}
	cfg.sandbox.logger = slog.New(slog.DiscardHandler)

	sb, err := startSandboxes(cfg.sandbox)
	if err != nil {
		return err
	}
	defer sb.Close()
	a, err := newApp(ctx, cfg.serve, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.serve.addr)
	if err != nil {
		a.store.Close()
		return fmt.Errorf("%w (another autocred running? use --addr)", err)
	}
	token, err := a.store.CreateToken(ctx, "demo")
	if err != nil {
		return err
	}
	const demoUser = "demo@autocred.example"
	password := randomKey(16)
	if _, err := a.store.CreateUser(ctx, demoUser, password); err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- a.run(ctx, ln) }()

	d := &demo{out: stdout, svc: a.service, store: a.store, sb: sb, start: time.Now(), seen: map[int64]autocred.RunStatus{}}
	fmt.Fprintf(stdout, "autocred demo\n\n  UI        http://%s/  (sign in as %s, password %s)\n  API       http://%s/api/v1/  (token: %s)\n  Sandboxes %s (ActiveCampaign, key %s)\n            %s (Certifier, token %s)\n  Database  %s\n\n",
		ln.Addr(), demoUser, password, ln.Addr(), token, sb.ACURL, sb.ACKey, sb.CertifierURL, sb.CertifierToken, cfg.serve.database)
	if err := d.play(ctx, cfg.batch); err != nil {
		if ctx.Err() != nil {
			return <-served
		}
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(stdout, "\nautocred keeps running at http://%s with the sandboxes: open it in a browser and sign in as %s (password %s), or use the API token above. Ctrl-C stops.\n", ln.Addr(), demoUser, password)
	return <-served
}

// demo plays a story against the sandboxes and checks the rules at the end.
type demo struct {
	out   io.Writer
	svc   *service.Service
	store *store.DB
	sb    *sandboxes
	start time.Time

	courseAuto, vipAuto, webinarAuto int64
	baseline                         []int64 // Course Completers members at activation
	people                           map[string]demoPerson

	mu   sync.Mutex
	seen map[int64]autocred.RunStatus // runs already reported
}

type demoPerson struct {
	id    int64
	name  string
	email string
}

func (d *demo) say(format string, args ...any) {
	el := time.Since(d.start).Round(time.Second)
	fmt.Fprintf(d.out, "[%02d:%02d] %s\n", int(el.Minutes()), int(el.Seconds())%60, fmt.Sprintf(format, args...))
}

const demoAccount = "demo"

func (d *demo) play(ctx context.Context, batch int) error {
	sample, err := d.sb.AC.Segments(demoAccount)
	if err != nil {
		return err
	}
	var course, vip simac.Segment
	for _, s := range sample {
		switch s.Name {
		case "Course Completers":
			course = s
		case "VIP Members":
			vip = s
		}
	}

	// The people of the story, imported like a course platform's contacts.
	cast := []simac.ContactInput{
		{Email: "ana.lee@example.com", FirstName: "Ana", LastName: "Lee", Fields: map[string]string{"COURSE_COMPLETED": "No", "COURSE_NAME": "Workplace Safety"}},
		{Email: "ben.okafor@example.com", FirstName: "Ben", LastName: "Okafor", Fields: map[string]string{"COURSE_COMPLETED": "No", "COURSE_NAME": "First Aid Basics"}},
		{Email: "chloe.rossi@example.com", FirstName: "Chloe", LastName: "Rossi", Fields: map[string]string{"COURSE_COMPLETED": "No", "COURSE_NAME": "Data Privacy 101"}},
		{Email: "farid.haddad@example.com", FirstName: "Farid", LastName: "Haddad", Fields: map[string]string{"COURSE_COMPLETED": "Yes", "COURSE_NAME": "Advanced Excel"}},
	}
	ids, err := d.sb.AC.Import(demoAccount, cast)
	if err != nil {
		return err
	}
	d.people = map[string]demoPerson{}
	for i, c := range cast {
		d.people[c.FirstName] = demoPerson{id: ids[i], name: c.FirstName + " " + c.LastName, email: c.Email}
	}

	d.say("Connecting ActiveCampaign and Certifier (each key is checked with a real call)")
	acConn, err := d.svc.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "Demo ActiveCampaign", APIURL: d.sb.ACURL, APIKey: d.sb.ACKey})
	if err != nil {
		return err
	}
	certConn, err := d.svc.CreateConnection(ctx, service.NewConnection{App: autocred.AppCertifier, Name: "Demo Certifier", APIURL: d.sb.CertifierURL, AccessToken: d.sb.CertifierToken})
	if err != nil {
		return err
	}
	groups, err := d.svc.Groups(ctx, certConn.ID)
	if err != nil {
		return err
	}
	groupID := func(name string) string {
		for _, g := range groups {
			if g.Name == name {
				return g.ID
			}
		}
		return ""
	}
	mapping := func(group string, attrs map[string]string) autocred.Action {
		return autocred.Action{ConnectionID: certConn.ID, GroupID: groupID(group),
			RecipientName: "{{contact.firstName}} {{contact.lastName}}", RecipientEmail: "{{contact.email}}",
			IssueDate: "{{today}}", ExpiryDate: "{{today+2y}}", CustomAttributes: attrs, Issue: true, Send: true}
	}
	if d.baseline, err = d.sb.AC.Members(demoAccount, course.ID); err != nil {
		return err
	}
	ca, err := d.svc.CreateAutomation(ctx, service.AutomationInput{Name: "Course completion certificates",
		Trigger: autocred.Trigger{ConnectionID: acConn.ID, SegmentID: course.ID},
		Action:  mapping("Course Completion Certificate", map[string]string{"custom.course_name": "{{contact.fields.COURSE_NAME}}"})})
	if err != nil {
		return err
	}
	va, err := d.svc.CreateAutomation(ctx, service.AutomationInput{Name: "VIP badges",
		Trigger: autocred.Trigger{ConnectionID: acConn.ID, SegmentID: vip.ID}, Action: mapping("VIP Member Badge", nil)})
	if err != nil {
		return err
	}
	// The batch goes to an automation whose mapping uses no custom field:
	// a field value costs one ActiveCampaign call per credential (there is
	// no bulk read of field values), which at 4 calls/s would make a batch
	// of thousands take many minutes.
	webinars, err := d.sb.AC.DefineSegment(demoAccount, simac.SegmentDef{Name: "Webinar Attendees",
		Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Webinar Attendee"}}})
	if err != nil {
		return err
	}
	wa, err := d.svc.CreateAutomation(ctx, service.AutomationInput{Name: "Webinar attendance",
		Trigger: autocred.Trigger{ConnectionID: acConn.ID, SegmentID: webinars.ID}, Action: mapping("Webinar Attendance", nil)})
	if err != nil {
		return err
	}
	d.courseAuto, d.vipAuto, d.webinarAuto = ca.ID, va.ID, wa.ID
	for _, id := range d.automations() {
		if err := d.svc.Activate(ctx, id); err != nil {
			return err
		}
	}
	d.say("Activated %q (segment Course Completers), %q (VIP Members) and %q (Webinar Attendees)", ca.Name, va.Name, wa.Name)
	for _, id := range d.automations() {
		if err := d.waitFor(ctx, 2*time.Minute, func() bool {
			a, _ := d.svc.Automation(ctx, id)
			return a.Status == autocred.AutomationActive
		}); err != nil {
			return err
		}
		a, _ := d.svc.Automation(ctx, id)
		d.say("Baseline of %q: %d contacts already in the segment get nothing (R5)", a.Name, a.Baseline.Total)
	}
	go d.watch(ctx)

	set := func(who string, fields map[string]string, tags ...string) error {
		p := d.people[who]
		_, err := d.sb.AC.Import(demoAccount, []simac.ContactInput{{Email: p.email, FirstName: strings.Fields(p.name)[0], Fields: fields, Tags: tags}})
		return err
	}
	steps := []struct {
		say string
		do  func() error
	}{
		{"Ana completes her course", func() error { return set("Ana", map[string]string{"COURSE_COMPLETED": "Yes"}) }},
		{"Ben completes his course", func() error { return set("Ben", map[string]string{"COURSE_COMPLETED": "Yes"}) }},
		{"Chloe completes her course and becomes a VIP the same minute (R3: one credential per segment)", func() error {
			return set("Chloe", map[string]string{"COURSE_COMPLETED": "Yes"}, "VIP")
		}},
		{"Farid, a completer since before activation, moves to VIP Members (R4: only the VIP badge)", func() error {
			return d.sb.AC.BulkTag(demoAccount, []int64{d.people["Farid"].id}, "VIP", false)
		}},
		{"Grace, whose contact has no email address, completes her course (R7: skipped, with the reason)", func() error {
			// Without an email, an import cannot find an existing contact:
			// she arrives already completed, as a platform would create her.
			_, err := d.sb.AC.Import(demoAccount, []simac.ContactInput{{FirstName: "Grace", LastName: "Kim",
				Fields: map[string]string{"COURSE_COMPLETED": "Yes", "COURSE_NAME": "Workplace Safety"}}})
			return err
		}},
	}
	for _, s := range steps {
		d.say("%s", s.say)
		if err := s.do(); err != nil {
			return err
		}
		if err := sleep(ctx, 4*time.Second); err != nil {
			return err
		}
	}
	d.say("Ana's course is reset (she leaves the segment)…")
	if err := set("Ana", map[string]string{"COURSE_COMPLETED": "No"}); err != nil {
		return err
	}
	if err := d.waitFor(ctx, 2*time.Minute, func() bool {
		m, _ := d.store.Membership(ctx, d.courseAuto, d.people["Ana"].id)
		return !m.InSegment
	}); err != nil {
		return err
	}
	d.say("…two complete snapshots without her confirm she left; she completes it again (R2: a new entry, a new credential)")
	if err := set("Ana", map[string]string{"COURSE_COMPLETED": "Yes"}); err != nil {
		return err
	}
	if err := sleep(ctx, 6*time.Second); err != nil {
		return err
	}

	if batch > 0 {
		d.say("A batch of %d webinar attendees arrives by import (imports fire no webhooks; polling finds them) (R8)", batch)
		in := make([]simac.ContactInput, batch)
		for i := range in {
			in[i] = simac.ContactInput{Email: fmt.Sprintf("attendee.%d@example.net", i+1), FirstName: "Attendee", LastName: fmt.Sprint(i + 1),
				Tags: []string{"Webinar Attendee"}}
		}
		if _, err := d.sb.AC.Import(demoAccount, in); err != nil {
			return err
		}
		if err := d.waitBatch(ctx, batch); err != nil {
			return err
		}
	}
	if err := d.waitFor(ctx, 2*time.Minute, func() bool {
		for _, id := range d.automations() {
			if a, _ := d.svc.Automation(ctx, id); a.Runs[autocred.RunPending] > 0 {
				return false
			}
		}
		return true
	}); err != nil {
		return err
	}
	d.report(ctx)
	return d.summary(ctx, batch)
}

func (d *demo) automations() []int64 { return []int64{d.courseAuto, d.vipAuto, d.webinarAuto} }

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *demo) waitFor(ctx context.Context, timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing happened for %s; see the service log (--log-level info)", timeout)
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// watch prints every run of the story's automations that reaches a final
// status; the batch's progress is printed by waitBatch instead.
func (d *demo) watch(ctx context.Context) {
	for ctx.Err() == nil {
		d.report(ctx)
		_ = sleep(ctx, 500*time.Millisecond)
	}
}

func (d *demo) report(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range []int64{d.courseAuto, d.vipAuto} {
		runs, _, err := d.store.Runs(ctx, store.RunFilter{AutomationID: id, Limit: 50})
		if err != nil {
			return
		}
		slices.Reverse(runs)
		for _, r := range runs {
			if d.seen[r.ID] == r.Status {
				continue
			}
			d.seen[r.ID] = r.Status
			who := strings.TrimSpace(r.Contact.FirstName + " " + r.Contact.LastName)
			auto := "Course certificate"
			if id == d.vipAuto {
				auto = "VIP badge"
			}
			switch r.Status {
			case autocred.RunIssued, autocred.RunSendUnconfirmed:
				d.say("  ✓ %s issued to %s <%s>, entry %d: %s", auto, who, r.Email, r.Entry, r.PublicLink)
			case autocred.RunSkipped, autocred.RunFailed:
				d.say("  ! %s %s for %s: %s", auto, r.Status, who, r.LastError)
			}
		}
	}
}

func (d *demo) waitBatch(ctx context.Context, batch int) error {
	last := -1
	return d.waitFor(ctx, 15*time.Minute, func() bool {
		a, err := d.svc.Automation(ctx, d.webinarAuto)
		if err != nil {
			return false
		}
		done := a.Runs[autocred.RunIssued] + a.Runs[autocred.RunSendUnconfirmed] + a.Runs[autocred.RunSkipped] + a.Runs[autocred.RunFailed]
		total := done + a.Runs[autocred.RunPending]
		if done != last && (done-last >= batch/10 || done == total) {
			d.say("  Issuing %d of %d", done, total)
			last = done
		}
		return a.Runs[autocred.RunPending] == 0 && total >= batch
	})
}

// summary checks rules R1–R7 against what the sandboxes recorded.
func (d *demo) summary(ctx context.Context, batch int) error {
	creds := map[string][]string{} // email → group names
	for _, c := range d.sb.Certifier.Credentials(demoAccount) {
		creds[c.Recipient.Email] = append(creds[c.Recipient.Email], c.GroupName)
	}
	emails := map[string]int{}  // recipient → emails
	perCred := map[string]int{} // credential → emails
	for _, e := range d.sb.Certifier.Outbox(demoAccount) {
		emails[e.To]++
		perCred[e.CredentialID]++
	}
	allCourse := []autocred.Run{}
	for cursor := int64(0); ; {
		page, next, err := d.store.Runs(ctx, store.RunFilter{AutomationID: d.courseAuto, Limit: 500, After: cursor})
		if err != nil {
			return err
		}
		allCourse = append(allCourse, page...)
		if next == 0 {
			break
		}
		cursor = next
	}
	inBaseline := map[int64]bool{}
	for _, id := range d.baseline {
		inBaseline[id] = true
	}
	baselineRuns, twice, skipped, learners := 0, 0, 0, 0
	for _, r := range allCourse {
		if inBaseline[r.ContactID] {
			baselineRuns++
		}
		if r.Status == autocred.RunSkipped {
			skipped++
		}
	}
	for _, n := range perCred {
		if n > 1 {
			twice++
		}
	}
	for to, n := range emails {
		if strings.HasPrefix(to, "attendee.") && n == 1 && len(creds[to]) == 1 {
			learners++
		}
	}
	p := d.people
	checks := []struct {
		rule string
		ok   bool
		says string
	}{
		{"R1", len(creds[p["Ben"].email]) == 1 && emails[p["Ben"].email] == 1, fmt.Sprintf("Ben entered once: %d credential, %d email", len(creds[p["Ben"].email]), emails[p["Ben"].email])},
		{"R2", len(creds[p["Ana"].email]) == 2, fmt.Sprintf("Ana entered twice: %d credentials", len(creds[p["Ana"].email]))},
		{"R3", len(creds[p["Chloe"].email]) == 2, fmt.Sprintf("Chloe is in both segments: %v", creds[p["Chloe"].email])},
		{"R4", slices.Equal(creds[p["Farid"].email], []string{"VIP Member Badge"}), fmt.Sprintf("Farid moved to VIP Members: %v", creds[p["Farid"].email])},
		{"R5", baselineRuns == 0, fmt.Sprintf("%d contacts in Course Completers at activation: %d runs for them", len(d.baseline), baselineRuns)},
		{"R6", len(creds[p["Ana"].email]) == 2, "Ana's first credential is still there after she left"},
		{"R7", skipped >= 1 && len(creds[""]) == 0, fmt.Sprintf("Grace has no email: run skipped (%d skipped), no credential", skipped)},
		{"R8", learners == batch && twice == 0, fmt.Sprintf("batch of %d: %d got exactly one credential and one email; %d credentials emailed more than once", batch, learners, twice)},
	}
	fmt.Fprintln(d.out, "\nSummary, checked against the sandboxes' records:")
	failed := 0
	for _, c := range checks {
		mark := "✓"
		if !c.ok {
			mark, failed = "✗", failed+1
		}
		fmt.Fprintf(d.out, "  %s %s  %s\n", mark, c.rule, c.says)
	}
	if failed > 0 {
		return fmt.Errorf("%d rule(s) did not hold; this is a bug, please report it with the output above", failed)
	}
	return nil
}
