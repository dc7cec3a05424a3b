package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
)

// cpuProfileEnv names a file to which serve writes a CPU profile of its
// whole life, for measuring where the engine's time goes
// (docs/benchmarks.md); "{pid}" in it is replaced by the process id, so
// that several nodes started with one environment write one each. It is
// read from the environment only, not a flag: it is a tool for whoever
// measures, not a setting of the service.
const cpuProfileEnv = "AUTOCRED_CPU_PROFILE"

// startCPUProfile starts the profile cpuProfileEnv asks for, if any, and
// returns what stops it and writes it out.
func startCPUProfile(stderr io.Writer) (stop func(), err error) {
	path := os.Getenv(cpuProfileEnv)
	if path == "" {
		return func() {}, nil
	}
	path = strings.ReplaceAll(path, "{pid}", strconv.Itoa(os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", cpuProfileEnv, err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", cpuProfileEnv, err)
		}
	}, nil
}
