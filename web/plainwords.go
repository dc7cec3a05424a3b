package web

import (
	"regexp"
	"strings"
)

// noAnswer is an upstream call's "no answer" error as the clients word it
// for the log: which app, which request, and why in words.
var noAnswer = regexp.MustCompile(`(?i)\b(certifier|activecampaign) (?:GET|POST|PUT|PATCH|DELETE) \S+: no answer: (.+?)\.?$`)

// hostNotFound is upstream.DescribeNetwork's sentence for a name the DNS
// does not know.
var hostNotFound = regexp.MustCompile(`^its host name could not be found( \([^)]*\))?$`)

// plainWords says an upstream call that got no answer as its reader needs
// it: which app did not answer and why, and for an address that does not
// exist, what to check; the request autocred sent stays in the log.
func plainWords(msg string) string {
	m := noAnswer.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	app := "Certifier"
	if strings.EqualFold(msg[m[2]:m[3]], "activecampaign") {
		app = "ActiveCampaign"
	}
	why := msg[m[4]:m[5]]
	if h := hostNotFound.FindStringSubmatch(why); h != nil {
		return msg[:m[0]] + app + "'s address could not be found" + h[1] + ": check the API URL of the connection."
	}
	return msg[:m[0]] + app + " did not answer: " + why + "."
}
