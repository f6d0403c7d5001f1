package policy

import (
	"cmp"
	"net/netip"
	"slices"
)

// ruleIndex finds, with one lookup per address kind, the rules a client can
// possibly match, so that Decide does not test 1,000 rules one by one.
//
// Each rule is filed under one "anchor": its first non-negated address
// condition, IP-like (peer, peer_tag, ip, cidr) before country before asn.
// A rule can only match a client its anchor matches, so the candidates for
// an address are the rules filed under the prefixes containing it, its
// country and its AS number, plus the rules without an anchor (filed under
// always). Decide marks the candidates in a bitmap and tests them, and only
// them, in rule order; the first that matches decides, exactly as a scan of
// all rules would.
type ruleIndex struct {
	words  int      // bitmap words for the policy's rules
	always []uint64 // rules without an anchor

	// prefixes holds every anchor prefix once; its segments carry the node
	// of the innermost prefix, parent links lead to the enclosing ones.
	prefixes  *IPSet
	parent    []int32
	nodeRules [][]int32

	countryRules map[int][]int32    // countryIndex -> rules
	asnRules     map[uint32][]int32 // AS number -> rules
}

// bitmapWords is the size of Decide's candidate bitmap: one bit per rule.
const bitmapWords = (MaxRules + 63) / 64

func buildRuleIndex(rules []compiledRule) ruleIndex {
	ix := ruleIndex{words: (len(rules) + 63) / 64}
	ix.always = make([]uint64, ix.words)
	nodeOf := map[netip.Prefix]int32{}
	var nodes []netip.Prefix
	for i, r := range rules {
		anchor := -1
		for _, want := range []condKind{kindAddr, kindCountry, kindASN} {
			for j, c := range r.conds {
				if c.kind == want && !c.not {
					anchor = j
					break
				}
			}
			if anchor >= 0 {
				break
			}
		}
		if anchor < 0 {
			ix.always[i/64] |= 1 << (i % 64)
			continue
		}
		rule := int32(i)
		c := r.conds[anchor]
		switch c.kind {
		case kindAddr:
			for _, p := range c.prefixes {
				n, ok := nodeOf[p]
				if !ok {
					n = int32(len(nodes))
					nodeOf[p] = n
					nodes = append(nodes, p)
					ix.nodeRules = append(ix.nodeRules, nil)
				}
				if l := ix.nodeRules[n]; len(l) == 0 || l[len(l)-1] != rule {
					ix.nodeRules[n] = append(l, rule)
				}
			}
		case kindCountry:
			if ix.countryRules == nil {
				ix.countryRules = map[int][]int32{}
			}
			for k := range 26 * 26 {
				if c.countries.bits[k/64]&(1<<(k%64)) != 0 {
					ix.countryRules[k] = append(ix.countryRules[k], rule)
				}
			}
		case kindASN:
			if ix.asnRules == nil {
				ix.asnRules = map[uint32][]int32{}
			}
			for _, n := range c.asns { // deduplicated at compile
				ix.asnRules[n] = append(ix.asnRules[n], rule)
			}
		}
	}
	if len(nodes) > 0 {
		entries := make([]IPSetEntry, len(nodes))
		for n, p := range nodes {
			entries[n] = IPSetEntry{Prefix: p}
		}
		ix.prefixes = BuildIPSet(entries)
		ix.parent = parents(nodes)
	}
	return ix
}

// parents links each prefix to the innermost other prefix containing it
// (-1 for none). Prefixes nest or are disjoint, so one sweep in address
// order with a stack of the enclosing prefixes finds them all.
func parents(nodes []netip.Prefix) []int32 {
	order := make([]int32, len(nodes))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		pa, pb := nodes[a], nodes[b]
		if c := cmp.Compare(pa.Addr().BitLen(), pb.Addr().BitLen()); c != 0 {
			return c
		}
		if c := pa.Addr().Compare(pb.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(pa.Bits(), pb.Bits())
	})
	parent := make([]int32, len(nodes))
	var stack []int32
	for _, n := range order {
		p := nodes[n]
		for len(stack) > 0 {
			top := nodes[stack[len(stack)-1]]
			if top.Addr().BitLen() == p.Addr().BitLen() && top.Contains(p.Addr()) {
				break
			}
			stack = stack[:len(stack)-1]
		}
		parent[n] = -1
		if len(stack) > 0 {
			parent[n] = stack[len(stack)-1]
		}
		stack = append(stack, n)
	}
	return parent
}

// candidates marks in bits the rules rc's client can match.
func (ix *ruleIndex) candidates(bits *[bitmapWords]uint64, rc *reqCtx) {
	copy(bits[:ix.words], ix.always)
	if ix.prefixes != nil {
		for n := ix.prefixes.lookupIndex(rc.addr); n >= 0; n = ix.parent[n] {
			mark(bits, ix.nodeRules[n])
		}
	}
	if ix.countryRules != nil {
		if cc := rc.country(); cc != "" {
			mark(bits, ix.countryRules[countryIndex(cc)])
		}
	}
	if ix.asnRules != nil {
		if n := rc.asn(); n != 0 {
			mark(bits, ix.asnRules[n])
		}
	}
}

func mark(bits *[bitmapWords]uint64, rules []int32) {
	for _, r := range rules {
		bits[r>>6] |= 1 << (r & 63)
	}
}
