package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxMessage is the most runes of a service's own error message that an
// error keeps. ActiveCampaign's and Certifier's messages are one sentence;
// anything longer is not meant for a person.
const MaxMessage = 300

// CleanMessage makes a message taken from a service's error answer fit to
// show and to log: invalid UTF-8 and invisible format characters (bidi
// overrides, zero-width spaces) are dropped, control characters (newlines
// and tabs too) and runs of spaces become one space, and the text is cut to
// MaxMessage runes, ending in "…" when cut.
func CleanMessage(s string) string {
	var b strings.Builder
	space, n := false, 0
	for _, r := range strings.ToValidUTF8(s, "") {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError {
			space = b.Len() > 0
			continue
		}
		if unicode.Is(unicode.Cf, r) {
			continue
		}
		if n == MaxMessage {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
			n++
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// Unrecognised describes an error answer whose body is none of the
// service's error shapes (a proxy's HTML page, a truncated body), by its
// status and the kind of body only: never its bytes, which may be
// anything, secrets and markup included. name is how users know the
// service, e.g. "ActiveCampaign":
//
//	ActiveCampaign answered 502 Bad Gateway (a non-JSON page, not an API answer)
func Unrecognised(name string, status int, body []byte) string {
	kind := "a non-JSON page, not an API answer"
	switch trimmed := bytes.TrimSpace(body); {
	case len(trimmed) == 0:
		kind = "an empty answer"
	case json.Valid(trimmed):
		kind = "a JSON answer with no error message in it"
	}
	return fmt.Sprintf("%s answered %s (%s)", name, StatusText(status), kind)
}

// StatusText is "502 Bad Gateway", or "599" for a status without a name.
func StatusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return fmt.Sprintf("%d %s", status, t)
	}
	return fmt.Sprint(status)
}
