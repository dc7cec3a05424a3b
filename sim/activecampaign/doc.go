// Package activecampaign is an HTTP sandbox of the ActiveCampaign API v3, as
// far as autocred uses it: contacts with custom fields, tags and lists;
// segments in both forms (legacy numeric ids and UUIDs), the asynchronous
// segment-matching API and the cached contacts?segmentid evaluation; and
// webhooks delivered the way ActiveCampaign documents them (form-encoded,
// asynchronous, at least once, never retried, 410 turns a webhook off).
//
// It is written from docs/api-notes/activecampaign.md, not from any client: every
// end-to-end test, the demo and every benchmark run against it, so a quirk of
// the real API that the spec documents is reproduced here on purpose, and the
// choices made where the spec is silent are listed in docs/sandboxes.md.
//
// One Server serves many accounts. Account "acme" lives under the path prefix
// /acme, so its API URL is http://HOST:PORT/acme and its v3 resources are under
// /acme/api/3. Every API route goes through a traffic.Gate (the per-account
// rate limit of 5 requests per second, fault injection and counters); fault
// rules name routes without the account prefix, e.g. "GET /api/3/contacts".
// The sandbox-only control API lives under /_sandbox, outside the gate and
// without authentication.
//
// Segment membership is never stored: it is computed from each segment's
// rules over the contacts' current data, so a contact enters or leaves a
// segment exactly when its data changes, as in the real product.
package activecampaign
