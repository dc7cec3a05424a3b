package activecampaign

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/autocred/autocred"
)

// accountHost is the host of an API URL of the documented form,
// https://ACCOUNT.api-us1.com (spec §1, "Base URL"), or of the app's own
// host, ACCOUNT.activehosted.com; the account name is one DNS label.
var accountHost = regexp.MustCompile(`^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.(?:api-us1|activehosted)\.com$`)

// ContactPage is the address of a contact's page in the ActiveCampaign
// app, https://ACCOUNT.activehosted.com/app/contacts/ID, for the account
// of apiURL; "" when apiURL is not of a form the address can be derived
// from (the sandboxes, a custom domain, another region's API host), so
// that a link is never a wrong one.
//
// ActiveCampaign documents no "contact page" address. This is the one its
// own WooCommerce plugin builds from the API URL (the API host's first
// label + ".activehosted.com/app/contacts/" + id, in
// admin/class-activecampaign-for-woocommerce-admin-wc-order-page.php;
// spec §3, "Contact page in the app"). It is derived only from the two
// host forms above, where the account name is sure.
func ContactPage(apiURL string, contactID autocred.ContactID) string {
	u, err := url.Parse(strings.TrimSpace(apiURL))
	if err != nil || u.Scheme != "https" || u.Port() != "" || contactID <= 0 {
		return ""
	}
	m := accountHost.FindStringSubmatch(strings.ToLower(u.Hostname()))
	if m == nil {
		return ""
	}
	return "https://" + m[1] + ".activehosted.com/app/contacts/" + contactID.String()
}
