package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/autocred/autocred/service"
)

// The sign-in limits (issue 13, point 2). An account gets 10 password
// checks per 15 minutes, whoever tries; a client address 30, over every
// account it tries (a shared office address has room for its people's
// typos). The attempt past a limit locks the account or the address for
// 15 minutes, on every node: the counts are in the database. The
// first-run setup page counts against the address too. API tokens are not
// affected.
var (
	accountRule = service.SigninRule{Attempts: 10, Window: 15 * time.Minute, Lock: 15 * time.Minute}
	addressRule = service.SigninRule{Attempts: 30, Window: 15 * time.Minute, Lock: 15 * time.Minute}
)

// accountKey counts the attempts on the email as typed (trimmed, lower
// case, as users are stored), whether or not it has an account, so a lock
// tells nothing about which emails exist.
func accountKey(email string) string {
	return "account:" + strings.ToLower(strings.TrimSpace(email))
}

// passwordChecks holds one slot per password check (bcrypt) that may run
// at once in this process: about 65 ms of a core each, so that a flood of
// sign-ins from many addresses leaves cores for the API and the engine.
// A sign-in waits for a slot at most passwordCheckWait.
type passwordChecks chan struct{}

const passwordCheckWait = 10 * time.Second

// errBusy says the server is too busy checking passwords.
var errBusy = fmt.Errorf("too many sign-ins at once")

func (c passwordChecks) do(ctx context.Context, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, passwordCheckWait)
	defer cancel()
	select {
	case c <- struct{}{}:
	case <-ctx.Done():
		return errBusy
	}
	defer func() { <-c }()
	return check()
}

// lockedMessage says why an attempt was refused and for how long, in
// whole minutes rounded up. It does not tell whether the account exists.
func lockedMessage(l *service.SigninLocked, now time.Time) (string, int) {
	wait := max(l.Until.Sub(now), time.Second)
	minutes := int(math.Ceil(wait.Minutes()))
	in := "1 minute"
	if minutes != 1 {
		in = strconv.Itoa(minutes) + " minutes"
	}
	if strings.HasPrefix(l.Key, "account:") {
		return "Too many sign-in attempts for this account; try again in " + in + ".", int(math.Ceil(wait.Seconds()))
	}
	return "Too many sign-in attempts from your network address; try again in " + in + ".", int(math.Ceil(wait.Seconds()))
}

// refuseLocked answers an attempt refused by a lock: 429 with Retry-After
// and the message for the form's top.
func refuseLocked(w http.ResponseWriter, l *service.SigninLocked, now time.Time) (formErrors, int) {
	msg, secs := lockedMessage(l, now)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return formErrors{Top: msg, Fields: map[string]string{}}, http.StatusTooManyRequests
}
