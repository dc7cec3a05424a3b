package autocred

import (
	"fmt"
	"net/mail"
	"strings"
)

// CheckEmail tells whether a contact's email can receive a credential
// (rule R7). The error says what is wrong, for the run's log.
//
// net/mail accepts far more than a mailbox Certifier will deliver to (display
// names, comments, local domains), so the address must also be bare,
// at most 254 characters, and on a domain with a dot. It must hold no
// white space, control or invisible format character either (net/mail
// takes any non-ASCII character as part of an address, a zero-width space
// included): CleanEmail removes those that can be removed safely.
func CheckEmail(email string) error {
	if strings.TrimSpace(email) == "" {
		return fmt.Errorf("the contact has no email address")
	}
	for i, r := range []rune(email) {
		if classOf(r) != visible {
			return fmt.Errorf("the email address %q has %s at character %d", email, CharName(r), i+1)
		}
	}
	if len(email) > 254 {
		return fmt.Errorf("the email address is %d characters long; the most a mailbox can have is 254", len(email))
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return fmt.Errorf("%q is not a valid email address", email)
	}
	at := strings.LastIndexByte(email, '@')
	domain := email[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return fmt.Errorf("%q is not a valid email address: the domain %q cannot receive mail", email, domain)
	}
	return nil
}
