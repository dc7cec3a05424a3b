// Package e2e holds the end-to-end tests: the autocred binary, built once,
// runs as a separate process ("autocred serve" on SQLite) against both
// sandboxes over real HTTP, and each rule R1–R9 of DESIGN.md is asserted on
// what the Certifier sandbox recorded and on the runs the REST API reports.
// A process of its own is what lets the crash tests kill it with SIGKILL.
package e2e
