package autocred

import "strconv"

// WebhookID is the id ActiveCampaign gave the hint webhook autocred
// registered on an account; 0 is none. As with ContactID, the
// activecampaign package reads it once, and the engine and the store carry
// this one type (the store keeps it as text, "" for none).
type WebhookID int64

// String formats the id in decimal, as ActiveCampaign writes it.
func (id WebhookID) String() string { return strconv.FormatInt(int64(id), 10) }

// UnmarshalJSON accepts "42", 42 and null (as 0): ActiveCampaign writes
// every id alike.
func (id *WebhookID) UnmarshalJSON(b []byte) error {
	var n ContactID
	err := n.UnmarshalJSON(b)
	*id = WebhookID(n)
	return err
}
