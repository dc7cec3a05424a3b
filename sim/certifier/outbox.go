package certifier

import (
	"strings"
	"time"
)

// Email is one credential email the sandbox "sent". The outbox holds every
// one, in order, so tests can assert that no recipient got the same
// credential twice.
type Email struct {
	To            string    `json:"to"`
	RecipientName string    `json:"recipientName"`
	Subject       string    `json:"subject"`
	CredentialID  string    `json:"credentialId"`
	PublicID      string    `json:"publicId"`
	GroupID       string    `json:"groupId"`
	GroupName     string    `json:"groupName"`
	Link          string    `json:"link"` // the credential's public page
	SentAt        time.Time `json:"sentAt"`
}

// send records the email of an issued credential; the caller holds ws.mu
// and has checked that the credential has an address.
func (s *Server) send(ws *workspace, c *Credential) {
	e := Email{
		To:            c.Recipient.Email,
		RecipientName: c.Recipient.Name,
		Subject:       "You have received a credential: " + c.GroupName,
		CredentialID:  c.ID,
		PublicID:      c.PublicID,
		GroupID:       c.GroupID,
		GroupName:     c.GroupName,
		Link:          strings.TrimSuffix(s.opts.PublicBaseURL, "/") + "/" + c.PublicID,
		SentAt:        s.now(),
	}
	ws.outbox = append(ws.outbox, e)
	s.log.Debug("email sent", "workspace", ws.name, "credential", c.ID, "to", e.To)
}

// Outbox returns every email sent from a workspace, in sending order. An
// unknown workspace has sent none.
func (s *Server) Outbox(workspace string) []Email {
	ws, err := s.workspace(workspace)
	if err != nil {
		return nil
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return append([]Email(nil), ws.outbox...)
}
