package policy

import (
	"cmp"
	"net/netip"
	"slices"
)

// IPSet is an immutable set of IPv4 and IPv6 prefixes that answers "which
// entry contains this address?" in O(log n).
//
// CIDRs never overlap partially: two prefixes are either disjoint or one
// contains the other. So the set is flattened once, at build time, into
// sorted, non-overlapping address ranges ("segments"), each labelled with the
// most specific entry that covers it. A lookup is then one binary search, with
// no per-lookup allocation, however many thousands of entries there are. The
// most specific entry is reported because it is the one a person reading an
// explain answer expects ("10.1.2.0/24", not the "10.0.0.0/8" around it).
type IPSet struct {
	v4, v6 []segment
	labels []string
	n      int
}

// IPSetEntry is one prefix of an IPSet with the label reported when it matches.
type IPSetEntry struct {
	Prefix netip.Prefix
	Label  string
}

// segment is the inclusive range [start, end] of addresses whose most specific
// covering entry is labels[label].
type segment struct {
	start, end uint128
	label      int32
}

// BuildIPSet builds an IPSet. Prefixes are masked; IPv4-mapped IPv6 prefixes
// of /96 or longer are reduced to IPv4, so that "::ffff:10.0.0.0/104" and
// "10.0.0.0/8" mean the same. Invalid prefixes are ignored (Compile reports
// them before they get here). When the same prefix appears twice, the first
// label wins.
func BuildIPSet(entries []IPSetEntry) *IPSet {
	s := &IPSet{labels: make([]string, 0, len(entries))}
	var v4, v6 []rangeEntry
	for _, e := range entries {
		p, ok := normalizePrefix(e.Prefix)
		if !ok {
			continue
		}
		idx := int32(len(s.labels))
		s.labels = append(s.labels, e.Label)
		r := rangeEntry{start: addrToUint128(p.Addr()), bits: p.Bits(), label: idx}
		if p.Addr().Is4() {
			r.end = r.start.or(hostMask(32, p.Bits()))
			v4 = append(v4, r)
		} else {
			r.end = r.start.or(hostMask(128, p.Bits()))
			v6 = append(v6, r)
		}
	}
	s.n = len(s.labels)
	s.v4 = flatten(v4, uint128{lo: 1<<32 - 1})
	s.v6 = flatten(v6, uint128{hi: ^uint64(0), lo: ^uint64(0)})
	return s
}

// Len is the number of entries the set was built from.
func (s *IPSet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Contains reports whether any entry contains addr.
func (s *IPSet) Contains(addr netip.Addr) bool {
	_, ok := s.Lookup(addr)
	return ok
}

// Lookup returns the label of the most specific entry that contains addr.
// IPv4-mapped IPv6 addresses are looked up as IPv4; zones are ignored.
func (s *IPSet) Lookup(addr netip.Addr) (label string, ok bool) {
	i := s.lookupIndex(addr)
	if i < 0 {
		return "", false
	}
	return s.labels[i], true
}

// lookupIndex is Lookup returning the label's index (the position of the
// entry among the valid entries BuildIPSet was given), or -1.
func (s *IPSet) lookupIndex(addr netip.Addr) int32 {
	if s == nil || !addr.IsValid() {
		return -1
	}
	addr = addr.Unmap()
	segs := s.v6
	if addr.Is4() {
		segs = s.v4
	}
	x := addrToUint128(addr)
	// Find the last segment whose start is <= x (hand-rolled so the hot path
	// has no closure call per probe).
	lo, hi := 0, len(segs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x.less(segs[mid].start) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo == 0 {
		return -1
	}
	seg := &segs[lo-1]
	if seg.end.less(x) {
		return -1
	}
	return seg.label
}

// rangeEntry is a prefix as an address range, before flattening.
type rangeEntry struct {
	start, end uint128
	bits       int
	label      int32
}

// flatten turns laminar ranges (nested or disjoint, as prefixes always are)
// into sorted non-overlapping segments labelled with the innermost range. It
// sweeps the ranges in address order with a stack of the enclosing ranges.
func flatten(rs []rangeEntry, maxAddr uint128) []segment {
	if len(rs) == 0 {
		return nil
	}
	// Outer ranges before inner ones at the same start; among duplicates the
	// first entry (lowest label) comes first and the others are skipped.
	slices.SortFunc(rs, func(a, b rangeEntry) int {
		if c := a.start.cmp(b.start); c != 0 {
			return c
		}
		if c := cmp.Compare(a.bits, b.bits); c != 0 {
			return c
		}
		return cmp.Compare(a.label, b.label)
	})
	out := make([]segment, 0, 2*len(rs))
	var (
		stack     []rangeEntry
		cursor    uint128 // first address not yet assigned to a segment
		exhausted bool    // cursor passed maxAddr (cannot be represented)
	)
	emit := func(upTo uint128, label int32) {
		if exhausted || upTo.less(cursor) {
			return
		}
		out = append(out, segment{start: cursor, end: upTo, label: label})
		if upTo == maxAddr {
			exhausted = true
		} else {
			cursor = upTo.add1()
		}
	}
	for i, r := range rs {
		if i > 0 && r.start == rs[i-1].start && r.bits == rs[i-1].bits {
			continue // duplicate prefix: the first label wins
		}
		// Close every enclosing range that ends before this one starts.
		for len(stack) > 0 && stack[len(stack)-1].end.less(r.start) {
			top := stack[len(stack)-1]
			emit(top.end, top.label)
			stack = stack[:len(stack)-1]
		}
		// The part of the enclosing range before this one belongs to it.
		if len(stack) > 0 && cursor.less(r.start) {
			emit(r.start.sub1(), stack[len(stack)-1].label)
		}
		stack = append(stack, r)
		if !exhausted {
			cursor = r.start
		}
	}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		emit(top.end, top.label)
		stack = stack[:len(stack)-1]
	}
	return slices.Clip(out)
}

// normalizePrefix masks p and reduces IPv4-mapped IPv6 prefixes of /96 or
// longer to IPv4. Shorter mapped prefixes (e.g. ::/0) stay IPv6: they are IPv6
// rules, and clients are compared as IPv4, so they do not match IPv4 clients.
func normalizePrefix(p netip.Prefix) (netip.Prefix, bool) {
	if !p.IsValid() {
		return netip.Prefix{}, false
	}
	a := p.Addr().WithZone("")
	bits := p.Bits()
	if a.Is4In6() && bits >= 96 {
		a, bits = a.Unmap(), bits-96
	}
	return netip.PrefixFrom(a, bits).Masked(), true
}

// uint128 is an address as a 128-bit integer (IPv4 in the low 32 bits).
type uint128 struct{ hi, lo uint64 }

func addrToUint128(a netip.Addr) uint128 {
	if a.Is4() {
		b := a.As4()
		return uint128{lo: uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	return uint128{hi: be64(b[:8]), lo: be64(b[8:])}
}

func be64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// hostMask returns the host bits of a /bits prefix in an address of width bits
// (32 or 128). Go defines shifts by >= 64 as 0, which the arithmetic relies on.
func hostMask(width, bits int) uint128 {
	host := uint(width - bits)
	if host >= 64 {
		return uint128{hi: 1<<(host-64) - 1, lo: ^uint64(0)}
	}
	return uint128{lo: 1<<host - 1}
}

func (u uint128) less(v uint128) bool {
	return u.hi < v.hi || (u.hi == v.hi && u.lo < v.lo)
}

func (u uint128) cmp(v uint128) int {
	switch {
	case u.less(v):
		return -1
	case v.less(u):
		return 1
	}
	return 0
}

func (u uint128) or(v uint128) uint128 { return uint128{hi: u.hi | v.hi, lo: u.lo | v.lo} }

func (u uint128) add1() uint128 {
	if u.lo == ^uint64(0) {
		return uint128{hi: u.hi + 1}
	}
	return uint128{hi: u.hi, lo: u.lo + 1}
}

func (u uint128) sub1() uint128 {
	if u.lo == 0 {
		return uint128{hi: u.hi - 1, lo: ^uint64(0)}
	}
	return uint128{hi: u.hi, lo: u.lo - 1}
}
