package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoChecksEveryRule runs the demo end to end, quickly, and reads what
// a user reads: the batch's progress counts up to the size of the batch
// (never "0 of 0", never a total that grows), autocred is restarted during
// the batch, the summary checks R1–R9, each of which must hold, and the
// emails left unconfirmed by lost answers are pointed at.
func TestDemoChecksEveryRule(t *testing.T) {
	t.Parallel()
	const batch = 300
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--poll-interval", "1s", "--batch", fmt.Sprint(batch), "--contacts", "100"}, w, io.Discard)
		w.Close()
	}()
	var transcript strings.Builder
	var held, failed []string
	var progress []string
	restarted := false
	progressLine := regexp.MustCompile(`(\d+) of (\d+)$`)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		transcript.WriteString(line + "\n")
		switch {
		case strings.HasPrefix(line, "  ✓ R"):
			held = append(held, strings.Fields(line)[1])
		case strings.HasPrefix(line, "  ✗ R"):
			failed = append(failed, strings.Fields(line)[1])
		case strings.Contains(line, "autocred is stopped and started again"):
			restarted = true
		}
		if m := progressLine.FindStringSubmatch(line); m != nil {
			progress = append(progress, m[1]+"/"+m[2])
			if m[1] == "0" || m[2] != fmt.Sprint(batch) {
				t.Errorf("progress line %q: want a count above 0 of the batch's %d", line, batch)
			}
		}
		if strings.HasPrefix(line, "autocred keeps running") {
			cancel()
		}
	}
	if strings.Contains(transcript.String(), " 0 of 0") {
		t.Errorf("the demo says \"0 of 0\"")
	}
	// Certifier's lost answers leave emails unconfirmed (5% of 300 lost:
	// some, all but surely): the demo says what the UI offers for them.
	if !regexp.MustCompile(`Runs "send unconfirmed": \d+ of "`).MatchString(transcript.String()) ||
		!strings.Contains(transcript.String(), `offers "Resend email to all"`) {
		t.Errorf("the demo does not point at the unconfirmed emails and the resend the UI offers")
	}
	if code := <-done; code != 0 {
		t.Errorf("demo exited %d", code)
	}
	if t.Failed() || len(failed) > 0 || strings.Join(held, " ") != "R1 R2 R3 R4 R5 R6 R7 R8 R9" ||
		len(progress) == 0 || progress[len(progress)-1] != fmt.Sprintf("%d/%d", batch, batch) || !restarted {
		t.Errorf("rules held %v, failed %v (want R1–R9 and none); progress %v (want it to end at %d/%d); restart announced: %v. Transcript:\n%s",
			held, failed, progress, batch, batch, restarted, transcript.String())
	}
}

// TestDemoHelpShowsEachDefaultOnce reads "autocred demo --help" as a user
// would: each flag's default is said once, and every flag is explained.
func TestDemoHelpShowsEachDefaultOnce(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"demo", "--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("demo --help exited %d", code)
	}
	help := stderr.String()
	flags := 0
	for _, line := range strings.Split(help, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "-") {
			flags++
			continue
		}
		if n := strings.Count(line, "default"); n > 1 {
			t.Errorf("%d defaults in one flag's help: %q", n, line)
		}
	}
	if flags != 8 {
		t.Errorf("%d flags in the help, want 8:\n%s", flags, help)
	}
	for _, want := range []string{"any free port", "a new one in a temporary folder", `(default "127.0.0.1:8080")`, "(default 2000)"} {
		if !strings.Contains(help, want) {
			t.Errorf("help does not say %q:\n%s", want, help)
		}
	}
}

// After the demo, its closing text says how to start again and how to
// serve its database after a kill, and that the sandboxes die with it
// (issue 15, round 5, #12).
func TestDemoSaysHowToStartAgain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		temporary bool
		want      string
	}{
		{true, "Ctrl-C deletes it, a kill leaves it; give --database FILE to keep it"},
		{false, "kept when the demo stops"},
	} {
		got := startAgain("/tmp/d/autocred.db", tt.temporary, "127.0.0.1:8080")
		for _, want := range []string{
			"The sandboxes live in this process", "autocred demo", tt.want, "/tmp/d/autocred.db.key",
			"autocred serve --database /tmp/d/autocred.db --allow-private-upstreams --addr 127.0.0.1:8080",
			"not answering", "autocred sim",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("startAgain(temporary %v) does not say %q:\n%s", tt.temporary, want, got)
			}
		}
	}
}
