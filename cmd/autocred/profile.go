package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// cpuProfileEnv names a file to which serve writes a CPU profile of its
// whole life, for measuring where the engine's time goes
// (docs/benchmarks.md); "{pid}" in it is replaced by the process id, so
// that several nodes started with one environment write one each. It is
// read from the environment only, not a flag: it is a tool for whoever
// measures, not a setting of the service.
//
// SIGUSR1 cuts the profile: the one running is written out and the next
// begins, in a file of the same name with ".1", ".2"… added. A benchmark
// signals at the start and the end of the phase it measures, so that the
// profile of that phase is not drowned in its setup's (a thousand
// baselines).
const cpuProfileEnv = "AUTOCRED_CPU_PROFILE"

// startCPUProfile starts the profile cpuProfileEnv asks for, if any, and
// returns what stops it and writes it out.
func startCPUProfile(stderr io.Writer) (stop func(), err error) {
	path := os.Getenv(cpuProfileEnv)
	if path == "" {
		return func() {}, nil
	}
	path = strings.ReplaceAll(path, "{pid}", strconv.Itoa(os.Getpid()))
	p := &cpuProfile{stderr: stderr}
	if err := p.start(path); err != nil {
		return nil, err
	}
	cut := make(chan os.Signal, 1)
	signal.Notify(cut, syscall.SIGUSR1)
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case <-done:
				return
			case <-cut:
			}
			p.stop()
			if err := p.start(path + "." + strconv.Itoa(n)); err != nil {
				fmt.Fprintln(stderr, err)
			}
		}
	}()
	return func() {
		signal.Stop(cut)
		close(done)
		p.stop()
	}, nil
}

// cpuProfile is the profile being written.
type cpuProfile struct {
	stderr io.Writer
	mu     sync.Mutex
	f      *os.File
}

func (p *cpuProfile) start(path string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	p.f = f
	return nil
}

func (p *cpuProfile) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return
	}
	pprof.StopCPUProfile()
	if err := p.f.Close(); err != nil {
		fmt.Fprintf(p.stderr, "%s: %v\n", cpuProfileEnv, err)
	}
	p.f = nil
}
