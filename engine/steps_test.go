package engine

import (
	"testing"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/certifier"
)

// TestNextStep is the step table: from what a run knows, the next step,
// and every way a run comes back after an answer it never saw.
func TestNextStep(t *testing.T) {
	var (
		draft  = &certifier.Credential{ID: "c1", Status: certifier.StatusDraft}
		issued = &certifier.Credential{ID: "c1", Status: certifier.StatusIssued}

		oneCall   = autocred.Action{Issue: true, Send: true}
		issueOnly = autocred.Action{Issue: true}
		draftOnly = autocred.Action{}
	)
	finish := func(s autocred.RunStatus, msg string) decision {
		return decision{kind: stepFinish, status: s, message: msg}
	}
	tests := []struct {
		name string
		p    progress
		act  autocred.Action
		want decision
	}{
		// A new run.
		{"new, issue and send: one call", progress{}, oneCall, decision{kind: stepCreateIssueSend}},
		{"new, issue only: a draft first", progress{}, issueOnly, decision{kind: stepCreate}},
		{"new, draft only", progress{}, draftOnly, decision{kind: stepCreate}},
		{"create-issue-send answered", progress{credID: "c1", cred: issued, created: true}, oneCall, finish(autocred.RunIssued, "")},
		{"draft created, issue it", progress{credID: "c1", cred: draft}, issueOnly, decision{kind: stepIssue}},
		{"draft created, the automation keeps drafts", progress{credID: "c1", cred: draft}, draftOnly, finish(autocred.RunDraft, "")},
		{"issued, no send asked", progress{step: autocred.StepIssue, credID: "c1", cred: issued, issued: true}, issueOnly, finish(autocred.RunIssued, "")},
		{"issued by this run, send it", progress{step: autocred.StepIssue, credID: "c1", cred: issued, issued: true}, oneCall, decision{kind: stepSend}},
		{"sent", progress{step: autocred.StepSend, credID: "c1", cred: issued, issued: true, sent: true}, oneCall, finish(autocred.RunIssued, "")},

		// Unknown outcomes: a create whose answer was lost.
		{"create lost: search before anything", progress{step: autocred.StepCreate}, oneCall, decision{kind: stepReconcile}},
		{"create lost, issue only: search", progress{step: autocred.StepCreate}, issueOnly, decision{kind: stepReconcile}},
		{"create lost, search found nothing: create again", progress{step: autocred.StepCreate, searched: true}, oneCall, decision{kind: stepCreateIssueSend}},
		{"create lost, search found nothing (drafts)", progress{step: autocred.StepCreate, searched: true}, issueOnly, decision{kind: stepCreate}},
		{"create-issue-send lost, found issued: its email may have left", progress{credID: "c1", cred: issued, searched: true, adopted: true}, oneCall,
			finish(autocred.RunSendUnconfirmed, msgLostOneCall)},
		{"create lost, found a draft: issue it", progress{credID: "c1", cred: draft, searched: true, adopted: true}, oneCall, decision{kind: stepIssue}},
		{"create lost, found a draft and issued it: send it", progress{step: autocred.StepIssue, credID: "c1", cred: issued, searched: true, adopted: true, issued: true}, oneCall, decision{kind: stepSend}},
		{"create lost, found a draft, the automation keeps drafts", progress{credID: "c1", cred: draft, searched: true, adopted: true}, draftOnly, finish(autocred.RunDraft, "")},
		{"create lost, found issued, issue only", progress{credID: "c1", cred: issued, searched: true, adopted: true}, issueOnly, finish(autocred.RunIssued, "")},

		// Resumed after a crash with a credential: read it first.
		{"resumed with a credential", progress{credID: "c1"}, oneCall, decision{kind: stepRead}},
		{"resumed during issue", progress{step: autocred.StepIssue, credID: "c1"}, oneCall, decision{kind: stepRead}},
		// Unknown outcome of an issue: it is safe to repeat on a draft.
		{"issue lost, still a draft: issue again", progress{step: autocred.StepIssue, credID: "c1", cred: draft}, oneCall, decision{kind: stepIssue}},
		{"issue lost, it was issued: send it", progress{step: autocred.StepIssue, credID: "c1", cred: issued}, oneCall, decision{kind: stepSend}},
		{"issue lost, it was issued, no send asked", progress{step: autocred.StepIssue, credID: "c1", cred: issued}, issueOnly, finish(autocred.RunIssued, "")},
		// Unknown outcome of a send: never sent twice.
		{"send lost", progress{step: autocred.StepSend, credID: "c1", cred: issued}, oneCall, finish(autocred.RunSendUnconfirmed, msgSendNoReply)},
		// Issued, but by no issue step of this run: create-issue-send, which sends.
		{"issued with no step recorded", progress{credID: "c1", cred: issued}, oneCall, finish(autocred.RunSendUnconfirmed, msgOneCallSent)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := next(tt.p, tt.act); got != tt.want {
				t.Errorf("next = %s %q %q, want %s %q %q", got.kind, got.status, got.message, tt.want.kind, tt.want.status, tt.want.message)
			}
		})
	}
}

// Every step moves on: a step whose answer is recorded as its execution
// records it never comes back as the next step (no loop without a call).
func TestEveryStepMovesOn(t *testing.T) {
	for _, act := range []autocred.Action{{Issue: true, Send: true}, {Issue: true}, {}} {
		for _, start := range []progress{{}, {step: autocred.StepCreate}, {credID: "c1"}, {step: autocred.StepIssue, credID: "c1"}} {
			p, steps := start, 0
			for ; steps < 10; steps++ {
				d := next(p, act)
				if d.kind == stepFinish {
					break
				}
				// The sandbox's answers, as take records them.
				switch d.kind {
				case stepReconcile:
					p.searched = true
				case stepCreate:
					p.credID, p.step, p.cred = "c1", autocred.StepNone, &certifier.Credential{Status: certifier.StatusDraft}
				case stepCreateIssueSend:
					p.credID, p.step, p.cred, p.created = "c1", autocred.StepNone, &certifier.Credential{Status: certifier.StatusIssued}, true
				case stepRead:
					p.cred = &certifier.Credential{Status: certifier.StatusDraft}
				case stepIssue:
					p.step, p.cred, p.issued = autocred.StepIssue, &certifier.Credential{Status: certifier.StatusIssued}, true
				case stepSend:
					p.step, p.sent = autocred.StepSend, true
				}
			}
			if steps == 10 {
				t.Errorf("action %+v from %+v: no outcome after 10 steps", act, start)
			}
		}
	}
}
