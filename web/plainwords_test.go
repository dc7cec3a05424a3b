package web

import "testing"

// A call that got no answer is said in words, what to do first, wherever
// the UI shows it (says, userMessage): not "certifier GET /groups: no
// answer: …", the request autocred made being of no use to its reader.
func TestNoAnswerInPlainWords(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"certifier GET /groups: no answer: its host name could not be found (api.certifier.example)",
			"Certifier's address could not be found (api.certifier.example): check the API URL of the connection."},
		{"Checking the key: activecampaign GET /api/3/users/me: no answer: its host name could not be found (acme.api-us1.com)",
			"Checking the key: ActiveCampaign's address could not be found (acme.api-us1.com): check the API URL of the connection."},
		{"certifier POST /credentials: no answer: the connection was refused: nothing is listening at that address",
			"Certifier did not answer: the connection was refused: nothing is listening at that address."},
		{"Certifier refused the access token.", "Certifier refused the access token."},
	} {
		if got := plainWords(tt.in); got != tt.want {
			t.Errorf("plainWords(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
	if got := string(says("certifier GET /groups: no answer: it did not answer in time")); got != "Certifier did not answer: it did not answer in time." {
		t.Errorf("says shows %q", got)
	}
}
