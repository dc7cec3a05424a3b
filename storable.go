package autocred

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text from outside must be storable on both databases. PostgreSQL's text
// types hold neither the character with code zero (NUL) nor bytes that
// are not valid in the database's encoding (UTF-8): "the character with
// code zero (sometimes called NUL) cannot be stored"
// (https://www.postgresql.org/docs/current/datatype-character.html), and a
// value with either is refused with SQLSTATE 22021 ("invalid byte sequence
// for encoding UTF8"). SQLite stores both, so a value that works on one
// database would fail on the other. The rule, applied once where a value
// enters:
//
//   - Data autocred reads from ActiveCampaign and Certifier (their
//     answers, error messages included, and webhook deliveries) is made
//     storable: each NUL and each byte that is not part of valid UTF-8
//     becomes U+FFFD, the replacement character. Nothing is dropped, so
//     an email with a NUL inside stays visibly wrong (CleanEmail refuses
//     it, and the run is skipped, R7) instead of silently becoming
//     another address; CleanName and CleanText remove the mark from the
//     values of a credential, as they remove controls, and say so.
//   - Input from people (the REST API, the web forms) holding either is
//     refused with a 400 that names the field (CheckStorable): the person
//     can correct it, and nothing they typed is changed behind their back.

// Storable returns s with each NUL and each invalid UTF-8 byte replaced
// by U+FFFD; s itself when it has neither.
func Storable(s string) string {
	if !needsStorable(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0 || r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsStorable(s string) bool {
	return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)
}

// CheckStorable reports why a person's input cannot be stored: a NUL or
// bytes that are not UTF-8, with the position counted in characters from
// 1. It returns nil for any other text.
func CheckStorable(s string) error {
	if !needsStorable(s) {
		return nil
	}
	at := 1
	for i := 0; i < len(s); at++ {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0:
			return fmt.Errorf("has a null character (U+0000) at character %d, which cannot be stored; remove it", at)
		case r == utf8.RuneError && size == 1:
			return fmt.Errorf("has bytes that are not UTF-8 text at character %d, which cannot be stored; send the value as UTF-8", at)
		}
		i += size
	}
	return nil
}

// StorableJSON makes every string a JSON document decodes to storable:
// encoding/json already decodes invalid UTF-8 and lone surrogates to
// U+FFFD, so what remains is the escape \u0000, which becomes \uFFFD. It
// returns body itself when it holds no such escape. Backslashes are read
// in pairs, so an escaped backslash followed by "u0000" (the six
// characters, not a NUL) is left alone; in a document that is not valid
// JSON the result is still not valid JSON.
func StorableJSON(body []byte) []byte {
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return body
	}
	out := bytes.Clone(body)
	for i := 0; i+1 < len(out); i++ {
		if out[i] != '\\' {
			continue
		}
		if out[i+1] == 'u' && i+6 <= len(out) && string(out[i+2:i+6]) == "0000" {
			copy(out[i+2:i+6], "FFFD")
		}
		i++ // the escaped character
	}
	return out
}
