package activecampaign

import (
	"context"
	"net/url"
	"strconv"

	"github.com/autocred/autocred"
)

// Webhook is a webhook registered on the account.
type Webhook struct {
	ID      autocred.WebhookID `json:"id,omitempty"`
	Name    string             `json:"name"`
	URL     string             `json:"url"`
	Events  []string           `json:"events"`
	Sources []string           `json:"sources"`
}

// HintEvents are the webhook events that can move a contact into or out of
// a segment. There is no segment event: these are only hints to re-check.
var HintEvents = []string{"subscribe", "update", "contact_tag_added", "contact_tag_removed", "unsubscribe"}

// AllSources are every initiator of a change: the contact, a user in the
// app, the API, and automations and other automatic processes.
var AllSources = []string{"public", "admin", "api", "system"}

// CreateWebhook registers a webhook (POST /webhooks).
func (c *Client) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	var resp struct {
		Webhook Webhook `json:"webhook"`
	}
	body := map[string]Webhook{"webhook": {Name: w.Name, URL: w.URL, Events: w.Events, Sources: w.Sources}}
	if err := c.call(ctx, "POST", "POST /webhooks", "/webhooks", nil, body, &resp); err != nil {
		return Webhook{}, err
	}
	return resp.Webhook, nil
}

// Webhooks lists the account's webhooks (GET /webhooks).
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	var out []Webhook
	for offset := 0; ; {
		var resp struct {
			Webhooks []Webhook `json:"webhooks"`
			Meta     struct {
				Total count `json:"total"`
			} `json:"meta"`
		}
		q := url.Values{"limit": {"100"}, "offset": {strconv.Itoa(offset)}}
		if err := c.get(ctx, "GET /webhooks", "/webhooks", q, &resp); err != nil {
			return nil, err
		}
		out = append(out, resp.Webhooks...)
		offset += len(resp.Webhooks)
		if len(resp.Webhooks) == 0 || offset >= int(resp.Meta.Total) {
			return out, nil
		}
	}
}

// Webhook reads one webhook; a removed one matches ErrNotFound.
func (c *Client) Webhook(ctx context.Context, id autocred.WebhookID) (Webhook, error) {
	var resp struct {
		Webhook Webhook `json:"webhook"`
	}
	err := c.get(ctx, "GET /webhooks/{id}", "/webhooks/"+id.String(), nil, &resp)
	return resp.Webhook, err
}

// DeleteWebhook removes a webhook (DELETE /webhooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, id autocred.WebhookID) error {
	return c.call(ctx, "DELETE", "DELETE /webhooks/{id}", "/webhooks/"+id.String(), nil, nil, nil)
}
