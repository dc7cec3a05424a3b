// Package e2e holds the end-to-end tests: the autocred binary, built once,
// runs as a separate process ("autocred serve" on SQLite) against both
// sandboxes over real HTTP, and each rule R1–R9 of docs/design.md is asserted on
// what the Certifier sandbox recorded and on the runs the REST API reports.
// A process of its own is what lets the crash tests kill it with SIGKILL.
//
// Each test has its own sandboxes, database and process, so the tests that
// mostly wait run in parallel, the large batch (R8) and the cluster among
// them (they wait on their sandboxes' rate limits); the crash test (R9)
// and the Certifier outage tests, which time what they see, run alone.
// AUTOCRED_E2E_DATABASE=postgres runs the suite with autocred on
// PostgreSQL.
package e2e
