package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestDemoChecksEveryRule runs the demo end to end, quickly, and reads its
// summary: every rule it checks must hold.
func TestDemoChecksEveryRule(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--poll-interval", "1s", "--batch", "150", "--contacts", "100"}, w, io.Discard)
		w.Close()
	}()
	var transcript strings.Builder
	checks, failed := 0, 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		transcript.WriteString(line + "\n")
		switch {
		case strings.HasPrefix(line, "  ✓ R"):
			checks++
		case strings.HasPrefix(line, "  ✗ R"):
			failed++
		}
		if strings.HasPrefix(line, "autocred keeps running") {
			cancel()
		}
	}
	if code := <-done; code != 0 {
		t.Errorf("demo exited %d", code)
	}
	if checks != 8 || failed != 0 {
		t.Errorf("summary: %d rules held, %d failed; want 8 and 0. Transcript:\n%s", checks, failed, transcript.String())
	}
}
