package download

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A download aborted after it started reaches the client as a broken
// transfer, never as a complete file; one that ends normally is whole and
// offered as an attachment.
func TestAbortedDownloadIsNotAWholeFile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := &Attachment{W: w, Filename: "runs.csv", ContentType: "text/csv; charset=utf-8"}
		io.WriteString(a, "run_id\n1\n")
		a.Flush()
		if r.URL.Query().Has("fail") {
			a.Abort()
		}
		io.WriteString(a, "2\n")
	}))
	defer srv.Close()
	srv.Config.ErrorLog = nil

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "run_id\n1\n2\n" || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="runs.csv"`) {
		t.Errorf("whole download: %q, %v, %q", body, err, resp.Header.Get("Content-Disposition"))
	}

	resp, err = http.Get(srv.URL + "?fail")
	if err != nil {
		t.Fatal(err)
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Errorf("aborted download read as a whole file: %q", body)
	}
}
