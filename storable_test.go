package autocred

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStorable(t *testing.T) {
	tests := []struct {
		class, in, want string
	}{
		{"plain", "Ana Lee", "Ana Lee"},
		{"letters of other scripts", "Ёлка 王小明 👩\u200D💻", "Ёлка 王小明 👩\u200D💻"},
		{"NUL inside", "ana\x00lee@example.com", "ana\uFFFDlee@example.com"},
		{"NUL at the end", "Ana\x00", "Ana\uFFFD"},
		{"other controls stay", "Ana\x07\x1b", "Ana\x07\x1b"},
		{"a Latin-1 byte", "Jos\xe9", "Jos\uFFFD"},
		{"a cut sequence", "caf\xc3", "caf\uFFFD"},
		{"a surrogate's bytes", "a\xed\xa0\x80b", "a\uFFFD\uFFFD\uFFFDb"},
		{"the replacement character itself stays", "a\uFFFDb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			got := Storable(tt.in)
			if got != tt.want {
				t.Errorf("Storable(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
			if CheckStorable(got) != nil {
				t.Errorf("CheckStorable(Storable(%+q)) = %v, want nil", tt.in, CheckStorable(got))
			}
		})
	}
}

func TestCheckStorable(t *testing.T) {
	tests := []struct {
		class, in, err string
	}{
		{"plain", "Ana Lee", ""},
		{"replacement character", "a\uFFFD", ""},
		{"NUL", "Ana\x00Lee", "a null character (U+0000) at character 4"},
		{"NUL after a wide letter", "王\x00", "a null character (U+0000) at character 2"},
		{"invalid byte", "Jos\xe9", "bytes that are not UTF-8 text at character 4"},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			err := CheckStorable(tt.in)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("CheckStorable(%+q) = %v, want nil", tt.in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("CheckStorable(%+q) = %v, want an error with %q", tt.in, err, tt.err)
			}
		})
	}
}

func TestStorableJSON(t *testing.T) {
	tests := []struct {
		class, body, want string
	}{
		{"a NUL escape", `{"email":"ana\u0000lee@example.com"}`, "ana\uFFFDlee@example.com"},
		{"an escaped backslash before u0000", `{"email":"ana\\u0000"}`, `ana\u0000`},
		{"an escaped backslash, then a NUL escape", `{"email":"\\\u0000"}`, "\\\uFFFD"},
		{"no escape", `{"email":"ana@example.com"}`, "ana@example.com"},
		// encoding/json itself turns these into U+FFFD.
		{"invalid UTF-8", "{\"email\":\"ana\xe9\"}", "ana\uFFFD"},
		{"a lone surrogate", `{"email":"ana\ud800"}`, "ana\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			var v struct{ Email string }
			if err := json.Unmarshal(StorableJSON([]byte(tt.body)), &v); err != nil {
				t.Fatal(err)
			}
			if v.Email != tt.want {
				t.Errorf("decoded %+q, want %+q", v.Email, tt.want)
			}
			if CheckStorable(v.Email) != nil {
				t.Errorf("decoded %+q is not storable", v.Email)
			}
		})
	}
}

// FuzzStorableJSON: whatever a JSON answer holds, once StorableJSON has
// passed over it every string it decodes to is storable, and a document
// without a NUL escape is untouched.
func FuzzStorableJSON(f *testing.F) {
	f.Add(`{"a":"\u0000"}`)
	f.Add(`["\\u0000", "\\\u0000"]`)
	f.Add("\"\xff\"")
	f.Fuzz(func(t *testing.T, body string) {
		out := StorableJSON([]byte(body))
		if !strings.Contains(body, `\u0000`) && string(out) != body {
			t.Fatalf("changed a document without a NUL escape: %+q → %+q", body, out)
		}
		var v any
		if json.Unmarshal(out, &v) != nil {
			return
		}
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
					t.Fatalf("%+q decodes to an unstorable %+q", body, v)
				}
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				for k, e := range v {
					walk(k)
					walk(e)
				}
			}
		}
		walk(v)
	})
}
