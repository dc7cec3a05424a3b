package web

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.7 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		peer, xff, want string
	}{
		{"203.0.113.9:5000", "", "address:203.0.113.9"},
		// Not from a trusted proxy: X-Forwarded-For is the client's own say.
		{"203.0.113.9:5000", "198.51.100.1", "address:203.0.113.9"},
		{"127.0.0.1:5000", "198.51.100.1", "address:127.0.0.1"},
		// From a trusted proxy: the nearest untrusted hop.
		{"10.1.2.3:5000", "198.51.100.1", "address:198.51.100.1"},
		{"192.0.2.7:5000", "1.1.1.1, 198.51.100.1", "address:198.51.100.1"}, // 1.1.1.1 is the client's claim
		{"10.1.2.3:5000", "198.51.100.1, 10.9.9.9", "address:198.51.100.1"}, // two proxies
		{"10.1.2.3:5000", "", "address:10.1.2.3"},
		{"10.1.2.3:5000", "garbage, 198.51.100.1", "address:198.51.100.1"},
		{"10.1.2.3:5000", "198.51.100.1, garbage", "address:10.1.2.3"},
		{"[::1]:5000", "2001:db8:1:2:3:4:5:6", "address:2001:db8:1:2::/64"},
		{"[2001:db8:1:2::9]:5000", "", "address:2001:db8:1:2::/64"},
		{"[::ffff:203.0.113.9]:5000", "", "address:203.0.113.9"},
	} {
		r := httptest.NewRequest("POST", "/signin", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := addressKey(clientAddr(r, proxies)); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0.1/8/2"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
}
