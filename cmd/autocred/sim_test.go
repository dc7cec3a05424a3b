package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSimPrintsCredentialsFirst runs "autocred sim" as a script would: the
// first four lines must name URLs and keys that work against the sandboxes.
func TestSimPrintsCredentialsFirst(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sim", "--seed", "--contacts", "50", "--ac-addr", "127.0.0.1:0", "--certifier-addr", "127.0.0.1:0"}, w, io.Discard)
		w.Close()
	}()

	vars := map[string]string{}
	sc := bufio.NewScanner(out)
	for i := 0; i < 4 && sc.Scan(); i++ {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			t.Fatalf("line %d is %q, want NAME=value", i+1, sc.Text())
		}
		vars[k] = v
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	for _, k := range []string{"AC_URL", "AC_KEY", "CERTIFIER_URL", "CERTIFIER_TOKEN"} {
		if vars[k] == "" {
			t.Fatalf("%s missing from the first four lines: %v", k, vars)
		}
	}

	get := func(url string, header map[string]string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", url, resp.Status)
		}
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return body
	}
	audiences := get(vars["AC_URL"]+"/api/3/audiences", map[string]string{"Api-Token": vars["AC_KEY"]})
	if data, _ := audiences["data"].([]any); len(data) == 0 {
		t.Errorf("--seed made no segments: %v", audiences)
	}
	groups := get(vars["CERTIFIER_URL"]+"/groups", map[string]string{
		"Authorization": "Bearer " + vars["CERTIFIER_TOKEN"], "Certifier-Version": "2022-10-26"})
	if data, _ := groups["data"].([]any); len(data) == 0 {
		t.Errorf("--seed made no groups: %v", groups)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d after Ctrl-C, want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop on cancel")
	}
}

func TestUnknownCommandAndBadFlags(t *testing.T) {
	var stderr strings.Builder
	if code := run(context.Background(), []string{"frobnicate"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: code %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"sim", "--contacts", "many"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "invalid value") {
		t.Errorf("bad flag: code %d, stderr %q", code, stderr.String())
	}
	t.Setenv("AUTOCRED_CONTACTS", "lots")
	stderr.Reset()
	if code := run(context.Background(), []string{"sim"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "AUTOCRED_CONTACTS") {
		t.Errorf("bad environment variable: code %d, stderr %q", code, stderr.String())
	}
}
