// Package certifier is an HTTP sandbox of the Certifier REST API
// (https://api.certifier.io/v1), built from docs/api-notes/certifier.md.
//
// autocred cannot reach the real API from its test machines, so every
// end-to-end test, the demo and the benchmarks run against this server. What
// they assert ("exactly one credential per entry, no email sent twice") is
// asserted on what this sandbox recorded, so it models the API as the spec
// describes it, including the parts that make integrations go wrong:
//
//   - the Certifier-Version header is checked before the token, with the
//     documented missing_version / invalid_version codes;
//   - there is no idempotency key: every create is a new credential, and
//     every send is another email, recorded in the workspace's outbox;
//   - issue works only on a draft and send only on an issued credential;
//   - validation is strict (YYYY-MM-DD dates that exist, well-formed emails,
//     custom attributes that exist in the workspace) and answers 400
//     validation_error with a message naming the field;
//   - search, in strict mode, takes only the fields, operators and sort
//     property of Certifier's search reference and refuses the rest with
//     validation_error (lenient mode adds groupId, ids and createdAt
//     ranges for experiments; see SearchMode);
//   - a per-workspace rate limit answers 429 rate_limited without
//     Retry-After, and faults (5xx, latency, connections dropped after the
//     change was made) are injected by the shared traffic.Gate.
//
// One Server serves many workspaces, each with its own access tokens,
// groups, custom attributes, credentials and outbox. The API lives under
// /v1; the sandbox-only control API (workspaces, sample data, ground truth,
// faults, limits, counters) lives under /_sandbox, without auth or rate
// limit, so tests can read it during a fault storm.
//
// Where the spec is silent or leaves a question open, the choice made is
// written next to the code that makes it: the answer to a second issue
// (409), the attributes envelope, strict unknown fields, exact email
// matching in search, and so on.
package certifier
