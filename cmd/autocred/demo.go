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
	"github.com/autocred/autocred/sim/traffic"
	"github.com/autocred/autocred/store"
)

// demoConfig is what "autocred demo" is told.
type demoConfig struct {
	serve   serveConfig
	sandbox sandboxConfig
	batch   int
}

// parseDemoFlags reads the demo's flags and sets what the demo fixes: the
// sandboxes' sample data and the rates both sides use.
func parseDemoFlags(args []string, stderr io.Writer) (demoConfig, error) {
	fs := newFlagSet("demo", stderr)
	var cfg demoConfig
	// A default the flag package can show is left to it; the two it
	// cannot ("" and port 0) are said in words, once.
	fs.StringVar(&cfg.serve.addr, "addr", "127.0.0.1:8080", "`HOST:PORT` of autocred's API and UI")
	fs.StringVar(&cfg.serve.database, "database", "", "SQLite database `file` (default: a new one in a temporary folder)")
	fs.StringVar(&cfg.sandbox.acAddr, "ac-addr", "127.0.0.1:0", "`HOST:PORT` of the ActiveCampaign sandbox; port 0 is any free port")
	fs.StringVar(&cfg.sandbox.certifierAddr, "certifier-addr", "127.0.0.1:0", "`HOST:PORT` of the Certifier sandbox; port 0 is any free port")
	fs.IntVar(&cfg.sandbox.contacts, "contacts", 500, "sample contacts in the ActiveCampaign sandbox")
	fs.IntVar(&cfg.batch, "batch", 2000, "contacts in the imported batch at the end")
	fs.DurationVar(&cfg.serve.pollInterval, "poll-interval", 5*time.Second, "how often the segments are read")
	fs.StringVar(&cfg.serve.logLevel, "log-level", "warn", "log level of the service: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return cfg, err
	}
	if cfg.batch < 0 || cfg.batch > 100_000 {
		return cfg, fmt.Errorf("--batch must be between 0 and 100000")
	}
	cfg.serve.logFormat = "text"
	cfg.serve.allowPrivateUpstreams = true
	cfg.serve.dbMaxConns = store.DefaultMaxConns // SQLite's one connection, whatever it says
	// ActiveCampaign at its real limit; Certifier's is unpublished, and at
	// its sandbox default of 10/s the batch would take minutes.
	cfg.sandbox.acRate, cfg.sandbox.certifierRate = 5, 100
	cfg.serve.acRate, cfg.serve.certifierRate = 4, 90
	cfg.sandbox.seed, cfg.sandbox.randSeed = true, 1
	cfg.sandbox.logger = slog.New(slog.DiscardHandler)
	return cfg, nil
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseDemoFlags(args, stderr)
	if err != nil {
		return err
	}
	temporary := cfg.serve.database == ""
	if temporary {
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
	sb, err := startSandboxes(cfg.sandbox)
	if err != nil {
		return err
	}
	defer sb.Close()
	srv := &demoServer{cfg: cfg.serve, log: log, addr: cfg.serve.addr}
	if err := srv.start(ctx); err != nil {
		return err
	}
	defer srv.stop()
	login, err := srv.createLogins(ctx)
	if err != nil {
		return err
	}

	d := &demo{out: stdout, srv: srv, svc: srv.app.service, store: srv.app.store, sb: sb, start: time.Now(), seen: map[int64]autocred.RunStatus{}}
	fmt.Fprintf(stdout, "autocred demo\n\n  UI        http://%s/  (sign in as %s, password %s)\n  API       http://%s/api/v1/  (token: %s)\n  Sandboxes %s (ActiveCampaign, key %s)\n            %s (Certifier, token %s)\n  Database  %s\n\n",
		srv.addr, login.user, login.password, srv.addr, login.token, sb.ACURL, sb.ACKey, sb.CertifierURL, sb.CertifierToken, cfg.serve.database)
	if err := d.play(ctx, cfg.batch); err != nil {
		if ctx.Err() != nil {
			return srv.stop()
		}
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(stdout, "\nautocred keeps running at http://%s with the sandboxes: open it in a browser and sign in as %s (password %s), or use the API token above. Ctrl-C stops.\n", srv.addr, login.user, login.password)
	fmt.Fprint(stdout, startAgain(cfg.serve.database, temporary, srv.addr))
	return srv.wait()
}

// demoServer is autocred as "serve" runs it, in this process, on one
// database and one address, so that the demo can stop it and start it
// again.
type demoServer struct {
	cfg  serveConfig
	log  *slog.Logger
	addr string // the address asked for, then the one listened on

	app    *app
	cancel context.CancelFunc
	served chan error // app.run's result; nil while stopped
}

// start wires autocred on the database and serves it on addr until ctx
// ends or stop is called.
func (s *demoServer) start(ctx context.Context) error {
	a, err := newApp(ctx, s.cfg, s.log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		a.store.Close()
		return fmt.Errorf("%w (another autocred running? use --addr)", err)
	}
	s.addr = ln.Addr().String()
	actx, cancel := context.WithCancel(ctx)
	s.app, s.cancel, s.served = a, cancel, make(chan error, 1)
	go func() { s.served <- a.run(actx, ln) }()
	return nil
}

// stop shuts autocred down as "serve" does on SIGTERM (requests stop, the
// jobs under way finish, the database is closed) and returns what run
// returned. Stopping a stopped server does nothing.
func (s *demoServer) stop() error {
	if s.served == nil {
		return nil
	}
	s.cancel()
	err := <-s.served
	s.served = nil
	return err
}

// wait returns when autocred stops, once the demo's context has ended.
func (s *demoServer) wait() error {
	if s.served == nil {
		return nil
	}
	err := <-s.served
	s.served = nil
	return err
}

// demoLogin is how a person signs in to the demo: a user of the UI and a
// token of the API.
type demoLogin struct {
	user, password, token string
}

func (s *demoServer) createLogins(ctx context.Context) (demoLogin, error) {
	l := demoLogin{user: "demo@autocred.example", password: randomKey(16)}
	var err error
	if l.token, err = s.app.store.CreateToken(ctx, "demo"); err != nil {
		return l, err
	}
	_, err = s.app.store.CreateUser(ctx, l.user, l.password)
	return l, err
}

// demo plays a story against the sandboxes and checks the rules at the end.
type demo struct {
	out   io.Writer
	srv   *demoServer
	sb    *sandboxes
	start time.Time

	courseAuto, vipAuto, webinarAuto int64
	baseline                         []int64 // Course Completers members at activation
	people                           map[string]demoPerson
	// restartedAt is how many credentials of the batch were issued, and
	// how many runs were waiting, when autocred was stopped during it
	// (waiting 0: it was not).
	restartedAt struct{ issued, waiting int }

	mu    sync.Mutex // guards the three below: watch reads them while a restart swaps them
	svc   *service.Service
	store *store.DB
	seen  map[int64]autocred.RunStatus // runs already reported
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

// play tells the story: the automations start, people enter and leave one
// by one, a batch arrives, and the summary checks the rules.
func (d *demo) play(ctx context.Context, batch int) error {
	if err := d.importCast(); err != nil {
		return err
	}
	if err := d.createAutomations(ctx); err != nil {
		return err
	}
	if err := d.activate(ctx); err != nil {
		return err
	}
	go d.watch(ctx)
	if err := d.playOneByOne(ctx); err != nil {
		return err
	}
	if err := d.playReentry(ctx); err != nil {
		return err
	}
	if batch > 0 {
		if err := d.playBatch(ctx, batch); err != nil {
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

// importCast imports the people of the story, as a course platform would.
func (d *demo) importCast() error {
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
	return nil
}

// createAutomations connects both accounts and creates the story's three
// automations: course certificates, VIP badges and webinar attendance.
func (d *demo) createAutomations(ctx context.Context) error {
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
	d.say("Connecting ActiveCampaign and Certifier (each key is checked with a real call)")
	acConn, mapping, err := d.connect(ctx)
	if err != nil {
		return err
	}
	if d.baseline, err = d.sb.AC.Members(demoAccount, course.ID); err != nil {
		return err
	}
	// The batch goes to an automation whose mapping uses no custom field,
	// so that it shows the pace of the details reads alone: a custom field
	// adds the cheaper of a scan of all its values in the account (one call
	// per 100) and one call per entrant (engine/fieldscan.go).
	webinars, err := d.sb.AC.DefineSegment(demoAccount, simac.SegmentDef{Name: "Webinar Attendees",
		Conditions: []simac.Condition{{Type: "tag", Op: "has", Value: "Webinar Attendee"}}})
	if err != nil {
		return err
	}
	autos := []service.AutomationInput{
		{Name: "Course completion certificates", Trigger: autocred.Trigger{ConnectionID: acConn, SegmentID: course.ID},
			Action: mapping("Course Completion Certificate", map[string]string{"custom.course_name": "{{contact.fields.COURSE_NAME}}"})},
		{Name: "VIP badges", Trigger: autocred.Trigger{ConnectionID: acConn, SegmentID: vip.ID}, Action: mapping("VIP Member Badge", nil)},
		{Name: "Webinar attendance", Trigger: autocred.Trigger{ConnectionID: acConn, SegmentID: webinars.ID}, Action: mapping("Webinar Attendance", nil)},
	}
	ids := make([]int64, len(autos))
	for i, in := range autos {
		a, err := d.svc.CreateAutomation(ctx, in)
		if err != nil {
			return err
		}
		ids[i] = a.ID
	}
	d.courseAuto, d.vipAuto, d.webinarAuto = ids[0], ids[1], ids[2]
	return nil
}

// connect connects both sandboxes' accounts. It returns the ActiveCampaign
// connection and a mapping that issues and sends a Certifier group's
// credential to the contact.
func (d *demo) connect(ctx context.Context) (int64, func(group string, attrs map[string]string) autocred.Action, error) {
	acConn, err := d.svc.CreateConnection(ctx, service.NewConnection{App: autocred.AppActiveCampaign, Name: "Demo ActiveCampaign", APIURL: d.sb.ACURL, APIKey: d.sb.ACKey})
	if err != nil {
		return 0, nil, err
	}
	certConn, err := d.svc.CreateConnection(ctx, service.NewConnection{App: autocred.AppCertifier, Name: "Demo Certifier", APIURL: d.sb.CertifierURL, AccessToken: d.sb.CertifierToken})
	if err != nil {
		return 0, nil, err
	}
	groups, err := d.svc.Groups(ctx, certConn.ID)
	if err != nil {
		return 0, nil, err
	}
	mapping := func(group string, attrs map[string]string) autocred.Action {
		var groupID string
		for _, g := range groups {
			if g.Name == group {
				groupID = g.ID
			}
		}
		return autocred.Action{ConnectionID: certConn.ID, GroupID: groupID,
			RecipientName: "{{contact.firstName}} {{contact.lastName}}", RecipientEmail: "{{contact.email}}",
			IssueDate: "{{today}}", ExpiryDate: "{{today+2y}}", CustomAttributes: attrs, Issue: true, Send: true}
	}
	return acConn.ID, mapping, nil
}

// activate activates the three automations and waits for their baselines.
func (d *demo) activate(ctx context.Context) error {
	for _, id := range d.automations() {
		if err := d.svc.Activate(ctx, id, false); err != nil {
			return err
		}
	}
	d.say("Activated %q (segment Course Completers), %q (VIP Members) and %q (Webinar Attendees)",
		"Course completion certificates", "VIP badges", "Webinar attendance")
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
	return nil
}

// set imports a change to one person of the story: fields and tags.
func (d *demo) set(who string, fields map[string]string, tags ...string) error {
	p := d.people[who]
	_, err := d.sb.AC.Import(demoAccount, []simac.ContactInput{{Email: p.email, FirstName: strings.Fields(p.name)[0], Fields: fields, Tags: tags}})
	return err
}

// playOneByOne makes the story's changes a few seconds apart, each showing
// a rule.
func (d *demo) playOneByOne(ctx context.Context) error {
	steps := []struct {
		say string
		do  func() error
	}{
		{"Ana completes her course", func() error { return d.set("Ana", map[string]string{"COURSE_COMPLETED": "Yes"}) }},
		{"Ben completes his course", func() error { return d.set("Ben", map[string]string{"COURSE_COMPLETED": "Yes"}) }},
		{"Chloe completes her course and becomes a VIP the same minute (R3: one credential per segment)", func() error {
			return d.set("Chloe", map[string]string{"COURSE_COMPLETED": "Yes"}, "VIP")
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
	return nil
}

// playReentry has Ana leave the Course Completers and enter again (R2).
func (d *demo) playReentry(ctx context.Context) error {
	d.say("Ana's course is reset (she leaves the segment)…")
	if err := d.set("Ana", map[string]string{"COURSE_COMPLETED": "No"}); err != nil {
		return err
	}
	if err := d.waitFor(ctx, 2*time.Minute, func() bool {
		m, _ := d.store.Membership(ctx, d.courseAuto, autocred.ContactID(d.people["Ana"].id))
		return !m.InSegment
	}); err != nil {
		return err
	}
	d.say("…two complete snapshots without her confirm she left; she completes it again (R2: a new entry, a new credential)")
	if err := d.set("Ana", map[string]string{"COURSE_COMPLETED": "Yes"}); err != nil {
		return err
	}
	return sleep(ctx, 6*time.Second)
}

// demoLostAnswers is the share of Certifier's answers to a create that the
// sandbox drops during the batch after making the credential: autocred
// hears nothing, as after a timeout, and must find the credential rather
// than make a second one.
const demoLostAnswers = 0.05

// playBatch imports batch webinar attendees at once (R8); while they are
// issued, Certifier loses some answers and autocred is stopped and started
// again (R9).
func (d *demo) playBatch(ctx context.Context, batch int) error {
	d.say("A batch of %d webinar attendees arrives by import (imports fire no webhooks; polling finds them) (R8)", batch)
	d.say("Meanwhile Certifier loses %.0f%% of its answers after issuing, as a timeout would, and autocred will be restarted (R9)", 100*demoLostAnswers)
	gate := d.sb.Certifier.Gate()
	if err := gate.SetRules([]traffic.Rule{{Endpoint: "POST /v1/credentials/create-issue-send", DropAfterRate: demoLostAnswers}}); err != nil {
		return err
	}
	defer func() { _ = gate.SetRules(nil) }()
	in := make([]simac.ContactInput, batch)
	for i := range in {
		in[i] = simac.ContactInput{Email: fmt.Sprintf("attendee.%d@example.net", i+1), FirstName: "Attendee", LastName: fmt.Sprint(i + 1),
			Tags: []string{"Webinar Attendee"}}
	}
	if _, err := d.sb.AC.Import(demoAccount, in); err != nil {
		return err
	}
	return d.waitBatch(ctx, batch)
}

// waitBatch shows the batch's progress until every run of it is finished,
// and restarts autocred once, as soon as some runs are finished and some
// are not.
func (d *demo) waitBatch(ctx context.Context, batch int) error {
	shown := 0
	step := max(1, batch/10)
	deadline := time.Now().Add(15 * time.Minute)
	for {
		a, err := d.svc.Automation(ctx, d.webinarAuto)
		if err == nil {
			// Every attendee is a new entry: the batch is the total from
			// the start, whatever autocred has found so far.
			issued := a.Runs[autocred.RunIssued] + a.Runs[autocred.RunSendUnconfirmed]
			done := issued + a.Runs[autocred.RunSkipped] + a.Runs[autocred.RunFailed]
			pending := a.Runs[autocred.RunPending]
			if issued > shown && (issued-shown >= step || issued >= batch) {
				d.say("  Issued %d of %d", issued, batch)
				shown = issued
			}
			if pending == 0 && done >= batch {
				return nil
			}
			if d.restartedAt.waiting == 0 && done > 0 && pending > 0 {
				if err := d.restart(ctx, issued, pending, batch); err != nil {
					return err
				}
				continue
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the batch did not finish in 15 minutes; see the service log (--log-level info)")
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
}

// restart stops autocred while runs of the batch wait, and starts it again
// on the same database: each entry must still get one credential.
func (d *demo) restart(ctx context.Context, issued, waiting, batch int) error {
	d.say("  autocred is stopped and started again, with %d of %d credentials issued and %d runs waiting (R9)", issued, batch, waiting)
	d.restartedAt.issued, d.restartedAt.waiting = issued, waiting
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.srv.stop(); err != nil {
		return fmt.Errorf("stopping autocred: %w", err)
	}
	if err := d.srv.start(ctx); err != nil {
		return fmt.Errorf("starting autocred again: %w", err)
	}
	d.svc, d.store = d.srv.app.service, d.srv.app.store
	return nil
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
		runs, _, err := d.store.Runs(ctx, autocred.RunFilter{AutomationID: id, Limit: 50})
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

// records is what the sandboxes and autocred's database recorded, counted
// the way the summary's checks need it.
type records struct {
	creds        map[string][]string // recipient email → group names of their credentials
	emails       map[string]int      // recipient email → emails sent
	emailedTwice int                 // credentials emailed more than once
	learners     int                 // attendees with exactly one credential and one email
	baselineRuns int                 // Course Completers runs of contacts in the baseline
	skipped      int                 // Course Completers runs skipped
	lostAnswers  int64               // Certifier answers dropped after issuing
}

func (d *demo) records(ctx context.Context) (records, error) {
	r := records{creds: map[string][]string{}, emails: map[string]int{}}
	for _, c := range d.sb.Certifier.Credentials(demoAccount) {
		r.creds[c.Recipient.Email] = append(r.creds[c.Recipient.Email], c.GroupName)
	}
	perCred := map[string]int{} // credential → emails
	for _, e := range d.sb.Certifier.Outbox(demoAccount) {
		r.emails[e.To]++
		perCred[e.CredentialID]++
	}
	for _, n := range perCred {
		if n > 1 {
			r.emailedTwice++
		}
	}
	for to, n := range r.emails {
		if strings.HasPrefix(to, "attendee.") && n == 1 && len(r.creds[to]) == 1 {
			r.learners++
		}
	}
	r.lostAnswers = d.sb.Certifier.Gate().Stats().Injected.Dropped
	inBaseline := map[int64]bool{}
	for _, id := range d.baseline {
		inBaseline[id] = true
	}
	for cursor := int64(0); ; {
		page, next, err := d.store.Runs(ctx, autocred.RunFilter{AutomationID: d.courseAuto, Limit: 500, After: cursor})
		if err != nil {
			return r, err
		}
		for _, run := range page {
			if inBaseline[int64(run.ContactID)] {
				r.baselineRuns++
			}
			if run.Status == autocred.RunSkipped {
				r.skipped++
			}
		}
		if next == 0 {
			return r, nil
		}
		cursor = next
	}
}

// summary checks rules R1–R9 against what the sandboxes recorded.
func (d *demo) summary(ctx context.Context, batch int) error {
	r, err := d.records(ctx)
	if err != nil {
		return err
	}
	p := d.people
	creds, emails := r.creds, r.emails
	checks := []struct {
		rule string
		ok   bool
		says string
	}{
		{"R1", len(creds[p["Ben"].email]) == 1 && emails[p["Ben"].email] == 1, fmt.Sprintf("Ben entered once: %d credential, %d email", len(creds[p["Ben"].email]), emails[p["Ben"].email])},
		{"R2", len(creds[p["Ana"].email]) == 2, fmt.Sprintf("Ana entered twice: %d credentials", len(creds[p["Ana"].email]))},
		{"R3", len(creds[p["Chloe"].email]) == 2, fmt.Sprintf("Chloe is in both segments: %v", creds[p["Chloe"].email])},
		{"R4", slices.Equal(creds[p["Farid"].email], []string{"VIP Member Badge"}), fmt.Sprintf("Farid moved to VIP Members: %v", creds[p["Farid"].email])},
		{"R5", r.baselineRuns == 0, fmt.Sprintf("%d contacts in Course Completers at activation: %d runs for them", len(d.baseline), r.baselineRuns)},
		{"R6", len(creds[p["Ana"].email]) == 2, "Ana's first credential is still there after she left"},
		{"R7", r.skipped >= 1 && len(creds[""]) == 0, fmt.Sprintf("Grace has no email: run skipped (%d skipped), no credential", r.skipped)},
		{"R8", r.learners == batch && r.emailedTwice == 0, fmt.Sprintf("batch of %d: %d got exactly one credential and one email; %d credentials emailed more than once", batch, r.learners, r.emailedTwice)},
	}
	if batch > 0 {
		checks = append(checks, struct {
			rule string
			ok   bool
			says string
		}{"R9", d.restartedAt.waiting > 0 && r.learners == batch && r.emailedTwice == 0,
			fmt.Sprintf("autocred restarted with %d of %d issued, %d Certifier answers lost after issuing: still one credential and one email each "+
				"(crashes by SIGKILL are played by the end-to-end test TestR9CrashesAndFaultsNeverDuplicateOrLose)", d.restartedAt.issued, batch, r.lostAnswers)})
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
	d.sayUnconfirmed(ctx)
	return nil
}

// sayUnconfirmed points at the runs whose email is unconfirmed after the
// lost answers, and at what the UI offers for them.
func (d *demo) sayUnconfirmed(ctx context.Context) {
	var parts []string
	for _, id := range d.automations() {
		a, err := d.svc.Automation(ctx, id)
		if n := a.Runs[autocred.RunSendUnconfirmed]; err == nil && n > 0 {
			parts = append(parts, fmt.Sprintf("%s of %q", autocred.Thousands(n), a.Name))
		}
	}
	if len(parts) == 0 {
		return
	}
	fmt.Fprintf(d.out, "\nRuns \"send unconfirmed\": %s. Certifier made their credentials and its answers were lost, so whether\n"+
		"their emails went out is unknown (autocred never sends twice by itself). In the UI, the automation's page explains\n"+
		"them and offers \"Resend email to all\".\n", strings.Join(parts, ", "))
}

// startAgain is what the demo says, once it stays up, about its end: the
// sandboxes live in this process and end with it, with all they recorded;
// how to start again; and where its database is (and whether a Ctrl-C
// deletes it), with how to serve it after a kill, and what that serve
// meets (issue 15, round 5, #12: after kill -9 nothing said how, and serve
// waited on sandboxes that were gone).
func startAgain(database string, temporary bool, addr string) string {
	kept := "kept when the demo stops"
	if temporary {
		kept = "a temporary file: Ctrl-C deletes it, a kill leaves it; give --database FILE to keep it"
	}
	return fmt.Sprintf(`
The sandboxes live in this process: when it ends (Ctrl-C, or killed), they end with it,
with everything they recorded (contacts, segments, groups, credentials, emails).
  To start again:  autocred demo   (new sandboxes and a new database)
  Its database:    %s (with its secret key in %s.key; %s)
  After a kill, to read its history again:
                   autocred serve --database %s --allow-private-upstreams --addr %s
                   Its connections then point at sandboxes that are gone: the pages say that
                   ActiveCampaign and Certifier are not answering, and retry by themselves.
                   "autocred sim" at the same addresses answers again, but with new keys and
                   its own sample data: the demo's automations cannot go on there.
`, database, database, kept, database, addr)
}
