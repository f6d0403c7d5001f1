package policy

import "net/netip"

// ASNLookup answers the autonomous system number of an address, or 0 when
// the address is not in the database (0 is reserved and never announced, so
// no asn condition can name it). It is an interface so that tests and
// callers can inject their own.
type ASNLookup interface {
	ASN(addr netip.Addr) uint32
}

// ASNMap is an ASNLookup backed by an IPSet; handy for tests and for callers
// that have no mmdb file.
type ASNMap struct {
	set  *IPSet
	asns []uint32 // by label index
}

// NewASNMap maps each prefix to its AS number.
func NewASNMap(m map[netip.Prefix]uint32) ASNMap {
	entries := make([]IPSetEntry, 0, len(m))
	out := ASNMap{}
	for p, n := range m {
		if _, ok := normalizePrefix(p); !ok {
			continue
		}
		entries = append(entries, IPSetEntry{Prefix: p})
		out.asns = append(out.asns, n)
	}
	out.set = BuildIPSet(entries)
	return out
}

// ASN implements ASNLookup.
func (m ASNMap) ASN(addr netip.Addr) uint32 {
	if i := m.set.lookupIndex(addr); i >= 0 {
		return m.asns[i]
	}
	return 0
}

// Interface guards.
var _ ASNLookup = ASNMap{}
