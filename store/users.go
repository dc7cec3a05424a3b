package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/autocred/autocred"
)

// Password length limits: bcrypt reads at most 72 bytes, and a longer
// password would be silently cut.
const (
	MinPasswordLen = 10
	maxPasswordLen = 72
)

// CreateUser adds a user who can sign in with email and password.
func (db *DB) CreateUser(ctx context.Context, email, password string) (autocred.User, error) {
	return db.createUser(ctx, email, password, false)
}

// CheckNewUser checks a new user's email and password, and returns every
// mistake (at most one per field), so that a form can show them all at
// once, each beside its input.
func CheckNewUser(email, password string) []error {
	var errs []error
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		errs = append(errs, autocred.FieldErrorf("email", "is required: the address you sign in with"))
	} else if err := autocred.CheckEmail(email); err != nil {
		errs = append(errs, autocred.FieldErrorf("email", "%s", err.Error()))
	}
	if len(password) < MinPasswordLen {
		errs = append(errs, autocred.FieldErrorf("password", "must be at least %d characters long", MinPasswordLen))
	} else if len(password) > maxPasswordLen {
		errs = append(errs, autocred.FieldErrorf("password", "must be at most %d bytes long", maxPasswordLen))
	}
	return errs
}

// CreateFirstUser adds the first user (the admin of a fresh install), and
// refuses once any user exists, so that the first-start page cannot be
// used to add accounts later.
func (db *DB) CreateFirstUser(ctx context.Context, email, password string) (autocred.User, error) {
	return db.createUser(ctx, email, password, true)
}

func (db *DB) createUser(ctx context.Context, email, password string, onlyFirst bool) (autocred.User, error) {
	// Emails are kept lower-cased, so that sign-in ignores case on every
	// database.
	email = strings.ToLower(strings.TrimSpace(email))
	if errs := CheckNewUser(email, password); len(errs) > 0 {
		return autocred.User{}, errs[0]
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), db.passwordCost())
	if err != nil {
		return autocred.User{}, fmt.Errorf("hashing password: %w", err)
	}
	u := autocred.User{Email: email, CreatedAt: db.now().UTC()}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := db.in(tx).QueryRowContext(ctx, `SELECT count(*) FROM users WHERE ? OR email = ?`, onlyFirst, email).Scan(&n); err != nil {
			return err
		}
		if n > 0 && onlyFirst {
			return autocred.Errorf(autocred.ECONFLICT, "an admin already exists; sign in instead")
		}
		if n > 0 {
			return &autocred.Error{Code: autocred.ECONFLICT, Field: "email", Message: "a user with this email already exists"}
		}
		return db.in(tx).QueryRowContext(ctx, `INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?) RETURNING id`,
			email, string(hash), ms(u.CreatedAt)).Scan(&u.ID)
	})
	if err != nil {
		return autocred.User{}, err
	}
	return u, nil
}

// HasUsers tells whether anyone can sign in yet.
func (db *DB) HasUsers(ctx context.Context) (bool, error) {
	var has bool
	err := db.pool().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&has)
	return has, err
}

// dummyHash is compared against when the email is unknown, so that the
// time a sign-in takes does not tell which emails have an account.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("autocred-no-such-user"), bcrypt.DefaultCost)

// setPasswordCost makes new password hashes, and the comparison of an
// unknown email, use bcrypt cost cost instead of bcrypt.DefaultCost: a
// fixture for tests (see fixtures.go).
func (db *DB) setPasswordCost(cost int) {
	db.bcryptCost = cost
	db.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("autocred-no-such-user"), cost)
}

func (db *DB) passwordCost() int {
	if db.bcryptCost == 0 {
		return bcrypt.DefaultCost
	}
	return db.bcryptCost
}

// errBadCredentials says nothing about which of the two was wrong.
var errBadCredentials = &autocred.Error{Code: autocred.EUNAUTHORIZED, Field: "password", Message: "wrong email or password"}

// Authenticate returns the user with this email and password.
func (db *DB) Authenticate(ctx context.Context, email, password string) (autocred.User, error) {
	var u autocred.User
	var hash string
	var created int64
	err := db.pool().QueryRowContext(ctx, `SELECT id, email, password_hash, created_at FROM users WHERE email = ?`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&u.ID, &u.Email, &hash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		dummy := dummyHash
		if db.dummyHash != nil {
			dummy = db.dummyHash
		}
		_ = bcrypt.CompareHashAndPassword(dummy, []byte(password))
		return autocred.User{}, errBadCredentials
	}
	if err != nil {
		return autocred.User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return autocred.User{}, errBadCredentials
	}
	u.CreatedAt = fromMS(created)
	return u, nil
}
