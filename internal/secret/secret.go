// Package secret seals the API keys and access tokens that autocred keeps,
// so that a copy of the database alone does not give away the accounts
// it connects to. Sealing is AES-256-GCM with a random nonce per value.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a key: AES-256.
const KeySize = 32

// Box seals and opens values with one key.
type Box struct {
	aead cipher.AEAD
	mac  []byte // a key for Token, derived from the sealing key
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("the secret key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	derived := hmac.New(sha256.New, key)
	derived.Write([]byte("autocred token key"))
	return &Box{aead: aead, mac: derived.Sum(nil)}, nil
}

// Token returns a stable, unguessable token for a purpose, such as the
// secret path of a webhook: the same for the same key and purpose, and
// nothing about the key can be learnt from it.
func (b *Box) Token(purpose string) string {
	m := hmac.New(sha256.New, b.mac)
	m.Write([]byte(purpose))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// Seal encrypts a value; the result holds its nonce.
func (b *Box) Seal(plain string) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return b.aead.Seal(nonce, nonce, []byte(plain), nil)
}

// ErrWrongKey means a sealed value cannot be opened with this key: the key
// changed since the value was stored, or the value was damaged.
var ErrWrongKey = errors.New("a stored secret cannot be decrypted with this secret key; was AUTOCRED_SECRET_KEY or the key file changed?")

// Open decrypts a value sealed with the same key.
func (b *Box) Open(sealed []byte) (string, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return "", ErrWrongKey
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}

// Hint returns what may be shown of a secret: its last 4 characters.
func Hint(s string) string {
	s = strings.TrimSpace(s)
	if len(s) <= 8 {
		return "…"
	}
	return "…" + s[len(s)-4:]
}

// ReadKey returns the key given in base64 by envValue when it is set, and
// otherwise the key in the file at path. A missing file is an error that
// wraps fs.ErrNotExist; nothing is written.
func ReadKey(envValue, path string) ([]byte, error) {
	if envValue != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(envValue))
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("AUTOCRED_SECRET_KEY must be %d random bytes in base64 (make one with: head -c 32 /dev/urandom | base64)", KeySize)
		}
		return key, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the key file %s does not exist: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the key file: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("the key file %s does not hold a %d-byte base64 key", path, KeySize)
	}
	if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("the key file %s can be read by others (mode %v); run: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	return key, nil
}

// CreateKeyFile writes a fresh random key to a new file at path, mode
// 0600, and returns it. When another process created the file first, its
// key is returned instead.
func CreateKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the key file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) { // another process won the race
			return ReadKey("", path)
		}
		return nil, fmt.Errorf("creating the key file: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("writing the key file %s: %w", path, werr)
	}
	return key, nil
}
