package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	box, err := NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	const token = "ac-key-0123456789abcdef"
	sealed := box.Seal(token)
	if bytes.Contains(sealed, []byte(token)) || bytes.Contains(sealed, []byte("0123456789")) {
		t.Fatal("sealed value contains the plain text")
	}
	if again := box.Seal(token); bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	got, err := box.Open(sealed)
	if err != nil || got != token {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := NewBox(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(sealed); err != ErrWrongKey {
		t.Errorf("open with another key: %v, want ErrWrongKey", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := box.Open(sealed); err != ErrWrongKey {
		t.Errorf("open of a damaged value: %v, want ErrWrongKey", err)
	}
}

// A key file is made with mode 0600 and read back; a key in the
// environment wins over the file, a short one is refused with how to make
// one, and a key file others can read is refused with how to fix it.
func TestKeyFileAndEnvironmentKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "autocred.key")
	first, err := CreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}
	second, err := ReadKey("", path)
	if err != nil || !bytes.Equal(first, second) {
		t.Fatalf("reading the key file gave another key (%v)", err)
	}

	env := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, KeySize))
	if k, err := ReadKey(env, path); err != nil || !bytes.Equal(k, bytes.Repeat([]byte{1}, KeySize)) {
		t.Errorf("env key not used: %v", err)
	}
	if _, err := ReadKey("c2hvcnQ=", path); err == nil || !strings.Contains(err.Error(), "head -c 32") {
		t.Errorf("short env key: %v, want a hint how to make one", err)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKey("", path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key file accepted: %v", err)
	}
}

// ReadKey never writes: a missing key file is reported as missing, and
// CreateKeyFile makes it.
func TestReadKeyWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "autocred.key")
	if _, err := ReadKey("", path); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadKey of a missing file: %v, want a not-exist error naming it", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadKey created %s (%v)", path, err)
	}
	made, err := CreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if read, err := ReadKey("", path); err != nil || !bytes.Equal(made, read) {
		t.Errorf("ReadKey after CreateKeyFile: %v", err)
	}
	if again, err := CreateKeyFile(path); err != nil || !bytes.Equal(made, again) {
		t.Errorf("CreateKeyFile on an existing file must return its key: %v", err)
	}
}

func TestHint(t *testing.T) {
	for in, want := range map[string]string{"abcdefghijkl": "…ijkl", "short": "…", "": "…"} {
		if got := Hint(in); got != want {
			t.Errorf("Hint(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestToken(t *testing.T) {
	box, _ := NewBox(bytes.Repeat([]byte{7}, KeySize))
	other, _ := NewBox(bytes.Repeat([]byte{8}, KeySize))
	a, b := box.Token("webhook:1"), box.Token("webhook:2")
	if a != box.Token("webhook:1") {
		t.Error("a token changes for the same key and purpose")
	}
	if a == b || a == other.Token("webhook:1") {
		t.Error("tokens for other purposes or keys are equal")
	}
	if len(a) != 32 || strings.ContainsAny(a, "/+=") {
		t.Errorf("token %q is not 32 URL-safe characters", a)
	}
}
