package service_test

import (
	"context"
	"sync"
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testdb"
	"github.com/autocred/autocred/internal/testenv"
	"github.com/autocred/autocred/service"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// Two users activating (or restoring) twin automations at the same moment
// must not both pass the duplicate check: each would then give every
// contact who enters a credential, two in all. Many at once, on each
// database, exactly one goes on; the others get the confirmation that
// activating a twin asks, and stay drafts or archived (a paused twin
// resumed at the same time is the one that goes on: it counted already). Saving twin drafts
// at once is the same: one is saved.
func TestTwinsActivatedAtOnceOnlyOnePasses(t *testing.T) {
	for _, kind := range testdb.Kinds {
		t.Run(kind, func(t *testing.T) {
			env := testenv.New(t, testenv.Options{Database: kind, Stopped: true})
			ctx := context.Background()
			ac, cert := connectBoth(t, env)
			seg := tagSegment(t, env, "Done", "Done")
			group, err := env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course certificate"})
			if err != nil {
				t.Fatal(err)
			}
			in := service.AutomationInput{Name: "Certificates", Trigger: autocred.Trigger{ConnectionID: ac.ID, SegmentID: seg.ID},
				Action: autocred.Action{ConnectionID: cert.ID, GroupID: group.ID, RecipientName: "{{contact.firstName}}",
					RecipientEmail: "{{contact.email}}", Issue: true, Send: true}, AllowDuplicate: true}

			t.Run("saved at once", func(t *testing.T) {
				var wg sync.WaitGroup
				errs := make([]error, 6)
				start := make(chan struct{})
				for i := range errs {
					wg.Go(func() {
						<-start
						alone := in
						alone.AllowDuplicate = false
						_, errs[i] = env.Service.CreateAutomation(ctx, alone)
					})
				}
				close(start)
				wg.Wait()
				saved := 0
				for _, err := range errs {
					if err == nil {
						saved++
					} else if fe := autocred.Errors(err); len(fe) != 1 || fe[0].Field != service.AllowDuplicateField {
						t.Errorf("refused for another reason than its twin: %v", err)
					}
				}
				if saved != 1 {
					t.Errorf("%d of %d twin drafts saved at once were saved, want exactly one", saved, len(errs))
				}
				archiveAll(t, env)
			})

			for round := range 3 {
				// Drafts to activate, and archived automations (activated,
				// then archived) to restore: none is watching.
				var drafts, archived []int64
				for i := range 6 {
					v, err := env.Service.CreateAutomation(ctx, in)
					if err != nil {
						t.Fatal(err)
					}
					if i%3 == 2 {
						if err := env.Service.Activate(ctx, v.ID, true); err != nil {
							t.Fatal(err)
						}
						if _, err := env.Service.ArchiveAutomation(ctx, v.ID); err != nil {
							t.Fatal(err)
						}
						archived = append(archived, v.ID)
						continue
					}
					drafts = append(drafts, v.ID)
				}
				// The last round resumes a paused twin at the same time. A
				// stopped automation already counts as a twin of the others,
				// so it is the one that goes on, whatever the order.
				var paused int64
				if round == 2 {
					v, err := env.Service.CreateAutomation(ctx, in)
					if err != nil {
						t.Fatal(err)
					}
					if err := env.Service.Activate(ctx, v.ID, true); err != nil {
						t.Fatal(err)
					}
					if err := env.Service.Pause(ctx, v.ID); err != nil {
						t.Fatal(err)
					}
					paused = v.ID
				}
				var (
					wg     sync.WaitGroup
					mu     sync.Mutex
					passed []int64
				)
				done := func(id int64, err error) {
					mu.Lock()
					defer mu.Unlock()
					switch fe := autocred.Errors(err); {
					case err == nil:
						passed = append(passed, id)
					case autocred.ErrorCode(err) != autocred.ECONFLICT || len(fe) != 1 || fe[0].Field != service.AllowDuplicateField:
						t.Errorf("automation %d refused for another reason than its twin: %v", id, err)
					}
				}
				start := make(chan struct{})
				for _, id := range drafts {
					wg.Go(func() { <-start; done(id, env.Service.Activate(ctx, id, false)) })
				}
				for _, id := range archived {
					wg.Go(func() {
						<-start
						_, err := env.Service.RestoreAutomation(ctx, id, false)
						done(id, err)
					})
				}
				if paused != 0 {
					wg.Go(func() { <-start; done(paused, env.Service.Resume(ctx, paused, nil, false)) })
				}
				close(start)
				wg.Wait()
				if len(passed) != 1 {
					t.Fatalf("round %d: %d of %d twins activated or restored at once went on (%v), want exactly one", round, len(passed), len(drafts)+len(archived), passed)
				}
				if paused != 0 && passed[0] != paused {
					t.Errorf("round %d: automation %d went on, want the paused twin %d resumed", round, passed[0], paused)
				}
				archiveAll(t, env) // for the next round to start alone
			}
		})
	}
}

// archiveAll archives every automation that is not archived.
func archiveAll(t *testing.T, env *testenv.Env) {
	t.Helper()
	ctx := context.Background()
	all, err := env.Service.Automations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if _, err := env.Service.ArchiveAutomation(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
	}
}
