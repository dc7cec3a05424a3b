package service

import (
	"context"
	"time"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/store"
)

// Auth is who may use autocred: the web UI's users, their sessions and
// the sign-in limits, and the REST API's tokens. It is apart from Service,
// whose use cases need the accounts and the engine; these need only the
// store.
type Auth struct {
	store *store.DB
}

// NewAuth returns the sign-in and token checks over st.
func NewAuth(st *store.DB) *Auth { return &Auth{store: st} }

// The sign-in limits' types are the store's, which counts the attempts
// in the database so that every node sees them; they are given here under
// the service's name, so that the UI need not import the store.
type (
	// SigninRule limits the attempts of one key (store.SigninRule).
	SigninRule = store.SigninRule
	// SigninKey is one thing whose attempts are counted (store.SigninKey).
	SigninKey = store.SigninKey
	// SigninLocked says that an attempt was refused (store.SigninLocked).
	SigninLocked = store.SigninLocked
)

// HasUsers tells whether anyone can sign in yet: until then the UI asks
// for the first admin.
func (a *Auth) HasUsers(ctx context.Context) (bool, error) { return a.store.HasUsers(ctx) }

// CreateFirstUser creates the admin of a fresh install; it is refused
// once a user exists.
func (a *Auth) CreateFirstUser(ctx context.Context, email, password string) (autocred.User, error) {
	return a.store.CreateFirstUser(ctx, email, password)
}

// CheckNewUser returns every mistake in a new user's email and password
// (store.CheckNewUser), for a form that shows them all at once.
func (a *Auth) CheckNewUser(email, password string) []error {
	return store.CheckNewUser(email, password)
}

// Authenticate returns the user with this email and password.
func (a *Auth) Authenticate(ctx context.Context, email, password string) (autocred.User, error) {
	return a.store.Authenticate(ctx, email, password)
}

// BeginSignin counts an attempt against each key before the password is
// checked; it returns the first key that is locked, or nil when the
// attempt may go on (store.DB.BeginSignin).
func (a *Auth) BeginSignin(ctx context.Context, now time.Time, keys ...SigninKey) (*SigninLocked, error) {
	return a.store.BeginSignin(ctx, now, keys...)
}

// SigninSucceeded gives the attempt back to each key: the password was
// right.
func (a *Auth) SigninSucceeded(ctx context.Context, keys ...string) error {
	return a.store.SigninSucceeded(ctx, keys...)
}

// CreateSession starts a session of a user: its token, for the cookie,
// and when it ends.
func (a *Auth) CreateSession(ctx context.Context, userID int64) (string, time.Time, error) {
	return a.store.CreateSession(ctx, userID)
}

// SessionUser returns the user of a live session.
func (a *Auth) SessionUser(ctx context.Context, token string) (autocred.User, error) {
	return a.store.SessionUser(ctx, token)
}

// DeleteSession ends a session (sign out).
func (a *Auth) DeleteSession(ctx context.Context, token string) error {
	return a.store.DeleteSession(ctx, token)
}

// CheckToken returns the name of a valid API token.
func (a *Auth) CheckToken(ctx context.Context, token string) (string, error) {
	return a.store.CheckToken(ctx, token)
}
