package autocred

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// App is an outside service autocred connects to.
type App string

// The apps.
const (
	AppActiveCampaign App = "activecampaign"
	AppCertifier      App = "certifier"
)

// ConnectionStatus says whether a connection's key still works.
type ConnectionStatus string

// The connection statuses.
const (
	ConnectionOK     ConnectionStatus = "ok"
	ConnectionBroken ConnectionStatus = "broken" // the service refused the key; automations using it are stopped (AutomationBroken)
)

// ReconnectedReason is the status reason of an automation stopped by a
// refused key once its connections work again: it is paused, not broken,
// what it said about the key is stale, and resuming it is what is left to
// do (Automation.Reconnected).
const ReconnectedReason = "Its connections were reconnected and work again: resume it to start again. Resuming catches up unless you choose otherwise: everyone who entered the segment while it was stopped gets a credential."

// KeyRefused is what a connection whose key or token its app refused
// (401) says, and its automations and runs with it: what happened and what
// to do, in the user's words and the app's menus, ending with what is left
// to do once reconnected (then: "resume the automation"). The app's own
// answer is for the server's log: "401 Unauthorized" says nothing to a
// course business.
func KeyRefused(app App, then string) string {
	if app == AppCertifier {
		return "Certifier refused the access token: it was deleted or revoked in Certifier. " +
			"Create a new token in Certifier (Settings → Developers → Access Tokens), paste it with Reconnect on the Connections page, then " + then + "."
	}
	return "ActiveCampaign refused the API key: it was changed or deleted in ActiveCampaign, or its user lost access. " +
		"Copy the current key in ActiveCampaign (Settings → Developer → API Access), paste it with Reconnect on the Connections page, then " + then + "."
}

// NewConnection is what a user gives to connect an account
// (service.CreateConnection, ReconnectConnection). It is here, not in
// package service, for the reason AutomationInput is.
type NewConnection struct {
	App         App    `json:"app"`
	Name        string `json:"name"`
	APIURL      string `json:"api_url"`
	APIKey      string `json:"api_key"`      // ActiveCampaign
	AccessToken string `json:"access_token"` // Certifier
}

// Connection is an account of an outside service with the key to reach it.
// The key itself is stored sealed and never leaves the process; SecretHint
// is what may be shown of it.
type Connection struct {
	ID           int64            `json:"id"`
	App          App              `json:"app"`
	Name         string           `json:"name"`
	APIURL       string           `json:"api_url"`
	SecretHint   string           `json:"secret_hint"`
	Status       ConnectionStatus `json:"status"`
	StatusReason string           `json:"status_reason,omitempty"`
	// Notice is what its circuit says while open (see Circuit.Notice):
	// Certifier failing, or refusing the workspace's plan or autocred's
	// API version, and its runs waiting; for ActiveCampaign, that its
	// segments cannot be read now (ReadOutage.Notice). Filled when
	// listed, not stored.
	Notice string `json:"notice,omitempty"`
	// MissingGroups are the groups that automations issue from with this
	// Certifier connection and that no longer exist in its workspace: the
	// key works (the status says OK), yet those automations wait for
	// another group. Filled when listed, not stored.
	MissingGroups []MissingGroup `json:"missing_groups,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

// MissingGroup is a Certifier group an automation issues from that was
// deleted from the workspace (Automation.GroupMissing).
type MissingGroup struct {
	GroupName      string `json:"group_name"`
	AutomationID   int64  `json:"automation_id"`
	AutomationName string `json:"automation_name"`
}

// Sentence says it in words for a connection's line: what is gone, who
// used it, and what to do.
func (m MissingGroup) Sentence() string {
	return fmt.Sprintf("The group '%s' used by the automation %q no longer exists in this workspace: choose another group under that automation's Edit.", m.GroupName, m.AutomationName)
}

// Validate checks what can be checked without calling the service.
func (c *Connection) Validate() error {
	switch c.App {
	case AppActiveCampaign, AppCertifier:
	default:
		return FieldErrorf("app", "must be %q or %q", AppActiveCampaign, AppCertifier)
	}
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" {
		return FieldErrorf("name", "is required: a name to tell this account from others, e.g. \"Acme ActiveCampaign\"")
	}
	if utf8.RuneCountInString(c.Name) > 100 {
		return FieldErrorf("name", "is longer than 100 characters")
	}
	return nil
}
