package webhooks_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/contacthub/contacthub/webhooks"
)

func TestGuard(t *testing.T) {
	t.Parallel()
	cases := []struct {
		addr  string
		allow string
		what  string // "" = allowed
	}{
		{"93.184.216.34", "", ""},
		{"2606:2800:220:1:248:1893:25c8:1946", "", ""},
		{"127.0.0.1", "", "loopback"},
		{"127.3.4.5", "", "loopback"},
		{"::1", "", "loopback"},
		{"::ffff:127.0.0.1", "", "loopback"}, // IPv4-mapped
		{"64:ff9b::7f00:1", "", "loopback"},  // NAT64 of 127.0.0.1
		{"0.0.0.0", "", "unspecified"},
		{"10.1.2.3", "", "private"},
		{"172.16.0.1", "", "private"},
		{"172.32.0.1", "", ""},
		{"192.168.1.1", "", "private"},
		{"100.64.0.1", "", "private"},
		{"fd12::1", "", "private"},
		{"169.254.1.1", "", "link-local"},
		{"fe80::1%eth0", "", "link-local"},
		{"224.0.0.1", "", "multicast"},
		{"ff02::1", "", "multicast"},
		{"169.254.169.254", "", "the cloud metadata address"},
		{"fd00:ec2::254", "", "the cloud metadata address"},
		{"127.0.0.1", "127.0.0.0/8", ""},
		{"10.1.2.3", "10.1.0.0/16", ""},
		{"10.2.0.1", "10.1.0.0/16", "private"},
		{"::1", "::1", ""},
		{"::ffff:127.0.0.1", "127.0.0.1", ""},
		// Allowing link-local receivers does not open the metadata address; naming it does.
		{"169.254.169.254", "169.254.0.0/16", "the cloud metadata address"},
		{"169.254.169.254", "169.254.169.254", ""},
		{"169.254.1.1", "169.254.0.0/16", ""},
	}
	for _, c := range cases {
		allow, err := webhooks.ParseAllowList(c.allow)
		if err != nil {
			t.Fatalf("%q: %v", c.allow, err)
		}
		err = webhooks.NewGuard(allow).Check(netip.MustParseAddr(c.addr))
		var blocked *webhooks.BlockedError
		switch {
		case c.what == "" && err != nil:
			t.Errorf("%s (allow %q): refused: %v", c.addr, c.allow, err)
		case c.what != "" && !errors.As(err, &blocked):
			t.Errorf("%s (allow %q): %v, want refused as %s", c.addr, c.allow, err, c.what)
		case c.what != "" && blocked.What != c.what:
			t.Errorf("%s (allow %q): refused as %s, want %s", c.addr, c.allow, blocked.What, c.what)
		}
	}
}

func TestParseAllowList(t *testing.T) {
	t.Parallel()
	got, err := webhooks.ParseAllowList(" 127.0.0.0/8, ::1 ,10.1.2.3/16,")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.0/8", "::1/128", "10.1.0.0/16"}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("%d: %v, want %s", i, got[i], want[i])
		}
	}
	if _, err := webhooks.ParseAllowList("127.0.0.0/8,localhost"); err == nil {
		t.Error("a name was accepted as a range")
	}
}
