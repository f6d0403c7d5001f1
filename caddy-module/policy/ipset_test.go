// Tests of IPSet: everything real (no mocks); the property test compares the
// flattened binary-search set with a naive linear scan over random prefixes.
package policy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

func entries(prefixes ...string) []IPSetEntry {
	out := make([]IPSetEntry, len(prefixes))
	for i, p := range prefixes {
		out[i] = IPSetEntry{Prefix: netip.MustParsePrefix(p), Label: p}
	}
	return out
}

func TestIPSetLookup(t *testing.T) {
	set := BuildIPSet(entries(
		"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32",
		"192.168.1.7/32",
		"2001:db8::/32", "2001:db8:1::/48",
		"::ffff:172.16.0.0/108", // IPv4-mapped: means 172.16.0.0/12
		"::/0",                  // all IPv6, but not IPv4 clients
	))
	tests := []struct {
		addr, want string // want "" = no match
	}{
		{"10.9.9.9", "10.0.0.0/8"},
		{"10.1.9.9", "10.1.0.0/16"},
		{"10.1.2.4", "10.1.2.0/24"},
		{"10.1.2.3", "10.1.2.3/32"},
		{"10.1.3.0", "10.1.0.0/16"},
		{"10.255.255.255", "10.0.0.0/8"},
		{"11.0.0.0", ""},
		{"9.255.255.255", ""},
		{"192.168.1.7", "192.168.1.7/32"},
		{"192.168.1.8", ""},
		{"::ffff:10.1.2.3", "10.1.2.3/32"}, // mapped client reduced to IPv4
		{"172.20.0.1", "::ffff:172.16.0.0/108"},
		{"172.32.0.1", ""},
		{"2001:db8:1::5", "2001:db8:1::/48"},
		{"2001:db8:2::5", "2001:db8::/32"},
		{"2001:db9::1", "::/0"},
		{"fe80::1%eth0", "::/0"},
		{"0.0.0.0", ""},
	}
	for _, tt := range tests {
		got, ok := set.Lookup(netip.MustParseAddr(tt.addr))
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Lookup(%s) = %q, %v; want %q", tt.addr, got, ok, tt.want)
		}
	}
	if set.Len() != 9 {
		t.Errorf("Len = %d, want 9", set.Len())
	}
}

func TestIPSetEdges(t *testing.T) {
	tests := []struct {
		name     string
		prefixes []string
		addr     string
		want     string
	}{
		{"v4 everything", []string{"0.0.0.0/0"}, "255.255.255.255", "0.0.0.0/0"},
		{"v4 everything low", []string{"0.0.0.0/0"}, "0.0.0.0", "0.0.0.0/0"},
		{"v4 top host inside /0", []string{"0.0.0.0/0", "255.255.255.255/32"}, "255.255.255.255", "255.255.255.255/32"},
		{"v4 after top host", []string{"0.0.0.0/0", "255.255.255.254/32"}, "255.255.255.255", "0.0.0.0/0"},
		{"v6 top nested", []string{"::/0", "ffff::/16", "ffff:ffff::/32"}, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff::/32"},
		{"v6 top nested outer", []string{"::/0", "ffff::/16", "ffff:ffff::/32"}, "fffe::1", "::/0"},
		{"v6 /64 boundary", []string{"2001:db8::/64"}, "2001:db8:0:1::", ""},
		{"v6 /64 last", []string{"2001:db8::/64"}, "2001:db8::ffff:ffff:ffff:ffff", "2001:db8::/64"},
		{"duplicate keeps first", []string{"10.0.0.0/8", "10.0.0.0/8"}, "10.0.0.1", "10.0.0.0/8"},
		{"host bits masked", []string{"10.1.2.3/8"}, "10.200.0.1", "10.1.2.3/8"},
		{"v4 not matched by v6 /0", []string{"::/0"}, "1.2.3.4", ""},
		{"empty set", nil, "1.2.3.4", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := BuildIPSet(entries(tt.prefixes...))
			got, _ := set.Lookup(netip.MustParseAddr(tt.addr))
			if got != tt.want {
				t.Errorf("Lookup(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
	var nilSet *IPSet
	if nilSet.Contains(netip.MustParseAddr("1.2.3.4")) || nilSet.Len() != 0 {
		t.Error("nil set must be empty")
	}
	if BuildIPSet(entries("10.0.0.0/8")).Contains(netip.Addr{}) {
		t.Error("invalid address must match nothing")
	}
}

func TestIPSetDuplicateLabelsFirstWins(t *testing.T) {
	set := BuildIPSet([]IPSetEntry{
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Label: "first"},
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Label: "second"},
	})
	if got, _ := set.Lookup(netip.MustParseAddr("10.0.0.1")); got != "first" {
		t.Errorf("got %q, want first", got)
	}
}

// naiveLookup is the obviously correct reference: scan all prefixes and keep
// the most specific match, the first one on ties.
func naiveLookup(es []IPSetEntry, addr netip.Addr) (string, bool) {
	addr = addr.Unmap()
	best, bestBits := "", -1
	for _, e := range es {
		p, _ := normalizePrefix(e.Prefix)
		if p.Contains(addr) && p.Bits() > bestBits {
			best, bestBits = e.Label, p.Bits()
		}
	}
	return best, bestBits >= 0
}

// randomPrefixes draws prefixes from a few small regions so that they nest
// and touch often, which is where flattening can go wrong.
func randomPrefixes(r *rand.Rand, n int) []IPSetEntry {
	out := make([]IPSetEntry, 0, n)
	for i := 0; i < n; i++ {
		var p netip.Prefix
		if r.IntN(4) == 0 {
			var b [16]byte
			b[0], b[1] = 0x20, 0x01
			b[2] = byte(r.IntN(2))
			for j := 3; j < 16; j++ {
				b[j] = byte(r.IntN(4))
			}
			p = netip.PrefixFrom(netip.AddrFrom16(b), 8+r.IntN(121)).Masked()
		} else {
			b := [4]byte{byte(10 + r.IntN(2)), byte(r.IntN(4)), byte(r.IntN(8)), byte(r.IntN(256))}
			p = netip.PrefixFrom(netip.AddrFrom4(b), r.IntN(33)).Masked()
		}
		out = append(out, IPSetEntry{Prefix: p, Label: fmt.Sprintf("%d:%s", i, p)})
	}
	return out
}

func randomAddr(r *rand.Rand) netip.Addr {
	switch r.IntN(5) {
	case 0:
		var b [16]byte
		b[0], b[1], b[2] = 0x20, 0x01, byte(r.IntN(2))
		for j := 3; j < 16; j++ {
			b[j] = byte(r.IntN(4))
		}
		return netip.AddrFrom16(b)
	case 1:
		return netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
	case 2: // IPv4-mapped IPv6 clients go through the IPv4 table
		return netip.AddrFrom16(netip.AddrFrom4([4]byte{byte(10 + r.IntN(2)), byte(r.IntN(4)), byte(r.IntN(8)), byte(r.IntN(256))}).As16())
	default:
		return netip.AddrFrom4([4]byte{byte(9 + r.IntN(4)), byte(r.IntN(4)), byte(r.IntN(8)), byte(r.IntN(256))})
	}
}

func TestIPSetMatchesNaive(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		r := rand.New(rand.NewPCG(seed, 42))
		es := randomPrefixes(r, 50+r.IntN(3000))
		set := BuildIPSet(es)
		for i := 0; i < 1500; i++ {
			a := randomAddr(r)
			want, wantOK := naiveLookup(es, a)
			got, gotOK := set.Lookup(a)
			// Equal prefixes may carry different labels; compare the prefix.
			if gotOK != wantOK || (gotOK && prefixOfLabel(got) != prefixOfLabel(want)) {
				t.Fatalf("seed %d, %d entries: Lookup(%s) = %q, %v; naive %q, %v", seed, len(es), a, got, gotOK, want, wantOK)
			}
		}
	}
}

func prefixOfLabel(label string) string {
	for i := range label {
		if label[i] == ':' {
			return label[i+1:]
		}
	}
	return label
}

func BenchmarkIPSetLookup(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	set := BuildIPSet(randomPrefixes(r, 10000))
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		addrs[i] = randomAddr(r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		set.Lookup(addrs[i%len(addrs)])
	}
}
