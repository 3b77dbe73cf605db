package webhooks

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// The SSRF guard. A tenant chooses where deliveries go, so without a guard the server
// would post to whatever its own network reaches: the cloud's metadata service, an
// admin port on localhost, a database in the private network. The address is checked
// when the connection is made, after DNS (net.Dialer.Control sees the address being
// dialled), so a name that resolves to a private address — or one that changes its
// answer after the URL was saved (DNS rebinding) — is refused too.

// blockedRange is a range deliveries may not reach unless allowed.
type blockedRange struct {
	prefix netip.Prefix
	what   string
}

// blockedRanges: loopback, private, link-local, multicast, the metadata address and
// other addresses that are not the public internet.
var blockedRanges = func() []blockedRange {
	var out []blockedRange
	add := func(what string, cidrs ...string) {
		for _, c := range cidrs {
			out = append(out, blockedRange{netip.MustParsePrefix(c), what})
		}
	}
	add("the cloud metadata address", "169.254.169.254/32", "fd00:ec2::254/128", "100.100.100.200/32")
	add("unspecified", "0.0.0.0/8", "::/128")
	add("loopback", "127.0.0.0/8", "::1/128")
	add("private", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
	add("link-local", "169.254.0.0/16", "fe80::/10")
	add("multicast", "224.0.0.0/4", "ff00::/8")
	add("reserved", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
	return out
}()

// nat64 is the well-known NAT64 prefix: its addresses reach the IPv4 address in their
// last four bytes.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Guard decides which addresses deliveries may connect to.
type Guard struct {
	allow []netip.Prefix
}

// NewGuard returns a guard that refuses the blocked ranges except what allow lists.
// The metadata addresses stay refused unless allow names them exactly (a /32 or
// /128), so allowing a link-local range for a receiver does not open them.
func NewGuard(allow []netip.Prefix) *Guard { return &Guard{allow: allow} }

// ParseAllowList reads CONTACTHUB_WEBHOOK_ALLOW_PRIVATE: comma-separated CIDR ranges
// or single addresses ("127.0.0.0/8, ::1, 10.1.2.0/24").
func ParseAllowList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR range nor an address", part)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// BlockedError is a connection the guard refused.
type BlockedError struct {
	Addr netip.Addr
	What string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("address %s is %s: deliveries to it are refused (CONTACTHUB_WEBHOOK_ALLOW_PRIVATE can allow its range)", e.Addr, e.What)
}

// Check returns a *BlockedError when deliveries may not reach addr.
func (g *Guard) Check(addr netip.Addr) error {
	addr = addr.Unmap().WithZone("") // a zoned address matches no prefix
	if nat64.Contains(addr) {
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	for _, r := range blockedRanges {
		if !r.prefix.Contains(addr) {
			continue
		}
		if g.allowed(addr, r) {
			return nil
		}
		return &BlockedError{Addr: addr, What: r.what}
	}
	return nil
}

func (g *Guard) allowed(addr netip.Addr, r blockedRange) bool {
	exact := r.prefix.Bits() == addr.BitLen()
	for _, p := range g.allow {
		if p.Contains(addr) && (!exact || p.Bits() == addr.BitLen()) {
			return true
		}
	}
	return false
}

// control is the dialer's Control hook: it runs for every address the dialer tries,
// after name resolution and before the connection is made.
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("webhooks: dial %q: %w", address, err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("webhooks: dial %q: %w", address, err)
	}
	return g.Check(addr)
}
