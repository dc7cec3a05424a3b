package autocred

import (
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // every IANA zone loads, on hosts without a zoneinfo database too
)

// zoneName is the shape of an IANA time zone name ("America/Chicago",
// "UTC", "Etc/GMT+6"): what a user may type, nothing a file path could
// abuse.
var zoneName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$`)

// LoadTimeZone loads a time zone by its IANA name, for an automation's
// action.time_zone. An empty name is the server's zone (LocalTimeZone).
// An unknown name is an invalid-input error on field that says what to
// write.
func LoadTimeZone(field, name string) (string, *time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = LocalTimeZone()
	}
	if len(name) <= 64 && zoneName.MatchString(name) && name != "Local" {
		if loc, err := time.LoadLocation(name); err == nil {
			return name, loc, nil
		}
	}
	return "", nil, FieldErrorf(field, "%q is not a time zone: write its IANA name, such as America/Chicago, Europe/Paris or UTC", truncate(name, 64))
}

// LocalTimeZone is the IANA name of the server's own time zone, the
// default of an automation: $TZ when it names a zone, else the zone that
// /etc/localtime links to, else /etc/timezone (Debian), else UTC. It is
// read once.
//
// ActiveCampaign's account time zone would be the better default, but the
// v3 API does not give it: GET /api/3/users/me answers with the user's
// username, names, email, phone, signature and links only
// (https://developers.activecampaign.com/reference/get-user-loggedin), and
// no documented v3 resource carries the account's Settings → Account →
// Timezone.
func LocalTimeZone() string { return localZone() }

var localZone = sync.OnceValue(func() string {
	return utcAlias(localZoneFrom(os.LookupEnv, os.Readlink, os.ReadFile))
})

// utcAlias names UTC "UTC" under any of its IANA aliases: a server's
// /etc/localtime often links to Etc/UTC, and "days in Etc/UTC" on a page
// reads as something other than UTC to most people.
func utcAlias(name string) string {
	switch name {
	case "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu":
		return "UTC"
	}
	return name
}

// localZoneFrom is LocalTimeZone with the environment and files given, for
// tests.
func localZoneFrom(lookupEnv func(string) (string, bool), readlink func(string) (string, error), readFile func(string) ([]byte, error)) string {
	valid := func(name string) bool {
		if !zoneName.MatchString(name) || name == "Local" {
			return false
		}
		_, err := time.LoadLocation(name)
		return err == nil
	}
	fromPath := func(p string) string {
		if _, after, ok := strings.Cut(p, "zoneinfo/"); ok && valid(after) {
			return after
		}
		return ""
	}
	if tz, ok := lookupEnv("TZ"); ok {
		// As Go reads TZ: "" is UTC, ":name" is name, a path names its file.
		tz = strings.TrimPrefix(tz, ":")
		switch {
		case tz == "":
			return "UTC"
		case strings.HasPrefix(tz, "/"):
			if name := fromPath(tz); name != "" {
				return name
			}
		case valid(tz):
			return tz
		}
	}
	if target, err := readlink("/etc/localtime"); err == nil {
		if name := fromPath(target); name != "" {
			return name
		}
	}
	if b, err := readFile("/etc/timezone"); err == nil {
		if name := strings.TrimSpace(string(b)); valid(name) {
			return name
		}
	}
	return "UTC"
}
