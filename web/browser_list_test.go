package web

import (
	"context"
	"net/http"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/autocred/autocred"
	"github.com/autocred/autocred/internal/testenv"
	simac "github.com/autocred/autocred/sim/activecampaign"
	simcert "github.com/autocred/autocred/sim/certifier"
)

// TestBrowserListLinksTheFix follows, in headless Chromium, the link the
// Automations list puts beside an automation that autocred stopped, to
// the page that fixes it, and fixes it there: a refused ActiveCampaign key
// (the Broken badge, "Reconnect AC" under it) leads to the Reconnect form of that
// connection; reconnected, the row says "Needs you: resume to catch up",
// whose link leads to the automation's Resume form with Catch up chosen;
// a deleted Certifier group ("Group gone: choose another group") leads
// to the automation's Edit form at its group. Each fix brings the row back
// to Active.
func TestBrowserListLinksTheFix(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: the browser tests need Debian's Chromium; run apt-get install -y chromium", chromium)
	}
	u := newUITest(t)
	f := u.fixture()
	ctx := context.Background()
	u.activate(f)
	b := u.adminBrowser()
	list := b.url + "/automations"
	auto := "/automations/" + itoa(f.automation)
	note := `document.querySelector("tbody[data-region=automations] .stopped-note")`
	status := func(want autocred.AutomationStatus) func() bool {
		return func() bool {
			a, err := u.env.Service.Automation(ctx, f.automation)
			return err == nil && a.Status == want
		}
	}

	// A refused key: the row links to the Reconnect form of the
	// ActiveCampaign connection.
	const newKey = "ac-key-regenerated-000000"
	must(t, u.env.AC.SetAPIKey(testenv.ACAccount, newKey))
	eventually(t, "the refused key to stop the automation", func() bool {
		_ = u.env.Service.SyncNow(ctx, f.automation)
		return status(autocred.AutomationBroken)()
	})
	b.waitReload(list, note+` && `+note+`.innerText.includes("Reconnect AC")`)
	b.expectText("tbody[data-region=automations] .stopped-note a", "Reconnect AC")
	b.run("follow reconnect", chromedp.Click(chromedp.CSS("tbody[data-region=automations] .stopped-note a")), chromedp.WaitVisible(chromedp.CSS("#ac-key")))
	b.expectJS(`location.pathname === "/connections" && location.search === "?reconnect=`+itoa(f.acConn)+`" && location.hash === "#connect-activecampaign"`,
		"the link leads to the Reconnect form of the ActiveCampaign connection")
	b.expectText("#connect-activecampaign h2", "Reconnect AC")
	b.run("reconnect",
		chromedp.SetValue(chromedp.CSS("#ac-key"), newKey),
		chromedp.Click(chromedp.CSS("#connect-activecampaign button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.expectText(".flash", "Reconnected")

	// Reconnected, not yet resumed: the row links to the Resume form.
	b.waitReload(list, note+` && `+note+`.innerText.includes("Needs you:")`)
	b.expectText("tbody[data-region=automations] .stopped-note a", "resume to catch up")
	b.run("follow resume", chromedp.Click(chromedp.CSS("tbody[data-region=automations] .stopped-note a")), chromedp.WaitVisible(chromedp.CSS(`#resume form[action$="/resume"] button`)))
	b.expectJS(`location.pathname === "`+auto+`" && location.hash === "#resume"`, "the link leads to the automation's Resume form")
	b.expectJS(`document.querySelector("#resume input[name=catch_up][value=yes]").checked`, "Catch up chosen after autocred stopped it")
	b.run("resume", chromedp.Click(chromedp.CSS(`#resume form[action$="/resume"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	eventually(t, "the automation active again", status(autocred.AutomationActive))
	b.waitReload(list, `!`+note)

	// The group deleted in Certifier, found when a contact enters: the
	// row links to the Edit form, where another group is chosen.
	other, err := u.env.Certifier.AddGroup(testenv.CertWorkspace, simcert.GroupInput{Name: "Course certificate 2027"})
	must(t, err)
	req, err := http.NewRequest("DELETE", u.env.CertifierURL+"/groups/"+f.group, nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+testenv.CertifierToken)
	req.Header.Set("Certifier-Version", "2022-10-26")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("deleting the group in the sandbox: %s", resp.Status)
	}
	_, err = u.env.AC.Import(testenv.ACAccount, []simac.ContactInput{{Email: "kay@example.com", FirstName: "Kay", Tags: []string{"done"}}})
	must(t, err)
	eventually(t, "the deleted group to stop the automation", func() bool {
		a, err := u.env.Service.Automation(ctx, f.automation)
		return err == nil && a.GroupMissing()
	})
	b.waitReload(list, note+` && `+note+`.innerText.includes("Group gone:")`)
	b.expectText("tbody[data-region=automations] .stopped-note a", "choose another group")
	b.run("follow choose another group", chromedp.Click(chromedp.CSS("tbody[data-region=automations] .stopped-note a")), chromedp.WaitVisible(chromedp.CSS("#group")))
	b.expectJS(`location.pathname === "`+auto+`/edit"`, "the link leads to the automation's Edit form")
	b.run("save with another group",
		chromedp.SetValue(chromedp.CSS("#group"), other.ID),
		chromedp.Click(chromedp.CSS("#step-action .step-nav button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	eventually(t, "the automation active on its new group", status(autocred.AutomationActive))
	b.waitReload(list, `!`+note+` && document.querySelector("tbody[data-region=automations]").innerText.includes("Course certificate 2027")`)
}

// adminBrowser signs a new admin in, in headless Chromium (in UTC), on
// the list of automations.
func (u *uiTest) adminBrowser() *browser {
	u.t.Helper()
	if _, err := u.env.Store.CreateUser(context.Background(), adminEmail, adminPassword); err != nil {
		u.t.Fatal(err)
	}
	b := newBrowser(u.t, u.url, chromedp.Env("TZ=UTC"))
	b.run("sign in",
		chromedp.Navigate(b.url+"/signin"),
		chromedp.SetValue(chromedp.CSS("#email"), adminEmail),
		chromedp.SetValue(chromedp.CSS("#password"), adminPassword),
		chromedp.Click(chromedp.CSS("button.primary")),
		chromedp.WaitVisible(chromedp.CSS("a.button.primary[href='/automations/new']")))
	return b
}
