package policy

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// condKind is a Condition.Type, as a small integer for the hot path.
type condKind uint8

const (
	kindAddr    condKind = iota + 1 // peer, peer_tag, ip, cidr: an address set
	kindCountry                     // country
	kindASN                         // asn
	kindTime                        // time
	kindPath                        // path_prefix
	kindMethod                      // method
)

// cost orders a rule's conditions for evaluation: string compares first,
// then the time (one zone conversion per request, cached), the address set
// (a binary search), the database lookups last (cached per request, but the
// first costs a tree walk).
func (k condKind) cost() int {
	switch k {
	case kindMethod:
		return 0
	case kindPath:
		return 1
	case kindTime:
		return 2
	case kindAddr:
		return 3
	case kindCountry:
		return 4
	}
	return 5
}

// cond is a compiled Condition: exactly the field of its kind is set.
type cond struct {
	kind      condKind
	not       bool
	addrs     *IPSet         // kindAddr
	countries *countrySet    // kindCountry
	asns      []uint32       // kindASN, sorted
	window    *timeWindow    // kindTime
	strs      []string       // kindPath (prefixes), kindMethod
	prefixes  []netip.Prefix // kindAddr, for the rule index
}

// condEnv compiles the conditions of one policy and notes which lookups
// they need.
type condEnv struct {
	deps                           Deps
	errs                           *errorList
	usesCountry, usesASN, usesPath bool
	reportedCountry, reportedASN   bool
}

var (
	peerIDPattern  = regexp.MustCompile(`^(0|[1-9][0-9]{0,18})$`)
	peerTagPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	asnPattern     = regexp.MustCompile(`^[1-9][0-9]{0,9}$`)
	methodPattern  = regexp.MustCompile(`^[A-Z][A-Z0-9_-]{0,31}$`)
)

func (env *condEnv) compile(path string, cd Condition) cond {
	errs := env.errs
	out := cond{not: cd.Not}
	isTime := cd.Type == CondTime
	if !isTime && (len(cd.Days) > 0 || cd.From != "" || cd.To != "" || cd.TZ != "") {
		errs.addf(path, "days, from, to and tz are for time conditions only")
	}
	if cd.Type != CondPeer && cd.Type != CondPeerTag && len(cd.Addresses) > 0 {
		errs.addf(path+".addresses", "addresses are for peer and peer_tag conditions only")
	}
	if isTime {
		if len(cd.Values) > 0 {
			errs.addf(path+".values", "a time condition has no values")
		}
		out.kind = kindTime
		out.window = compileTimeWindow(path, cd, errs)
		return out
	}
	if !env.checkValues(path, cd) {
		return out
	}
	switch cd.Type {
	case CondPeer, CondPeerTag:
		pattern, what := peerIDPattern, "a peer id (a decimal number)"
		if cd.Type == CondPeerTag {
			pattern, what = peerTagPattern, "a tag name ([a-z0-9][a-z0-9_-]{0,31})"
		}
		for k, v := range cd.Values {
			if !pattern.MatchString(v) {
				errs.addf(fmt.Sprintf("%s.values[%d]", path, k), "must be %s, got %q", what, v)
			}
		}
		if len(cd.Addresses) > MaxValues {
			errs.addf(path+".addresses", "at most %d addresses, got %d", MaxValues, len(cd.Addresses))
			return out
		}
		out.kind = kindAddr
		out.prefixes = env.parseList(path+".addresses", cd.Addresses, parseIPOrCIDR)
	case CondIP:
		out.kind = kindAddr
		out.prefixes = env.parseList(path+".values", cd.Values, func(v string) (netip.Prefix, error) {
			a, err := parseRuleIP(v)
			return netip.PrefixFrom(a, a.BitLen()), err
		})
	case CondCIDR:
		out.kind = kindAddr
		out.prefixes = env.parseList(path+".values", cd.Values, parseRuleCIDR)
	case CondCountry:
		out.kind, out.countries = kindCountry, &countrySet{}
		for k, v := range cd.Values {
			if err := checkCountry(v); err != nil {
				errs.add(fmt.Sprintf("%s.values[%d]", path, k), err)
				continue
			}
			out.countries.add(v)
		}
		env.usesCountry = true
		if env.deps.Countries == nil && !env.reportedCountry {
			env.reportedCountry = true
			errs.addf(path+".type", "country conditions need a GeoIP country database (geoip_db), and none is configured")
		}
	case CondASN:
		out.kind = kindASN
		for k, v := range cd.Values {
			n, err := strconv.ParseUint(v, 10, 32)
			if !asnPattern.MatchString(v) || err != nil {
				errs.addf(fmt.Sprintf("%s.values[%d]", path, k), "must be an AS number in decimal (e.g. \"3320\"), got %q", v)
				continue
			}
			out.asns = append(out.asns, uint32(n))
		}
		slices.Sort(out.asns)
		out.asns = slices.Compact(out.asns)
		env.usesASN = true
		if env.deps.ASNs == nil && !env.reportedASN {
			env.reportedASN = true
			errs.addf(path+".type", "asn conditions need an ASN database (asn_db), and none is configured")
		}
	case CondPathPrefix, CondMethod:
		if env.deps.Kind == KindL4 {
			errs.addf(path+".type", "%s conditions are for HTTP routes only", cd.Type)
		}
		out.kind, out.strs = kindMethod, cd.Values
		if cd.Type == CondPathPrefix {
			out.kind = kindPath
			env.usesPath = true
		}
		for k, v := range cd.Values {
			if err := checkPathOrMethod(cd.Type, v); err != nil {
				errs.add(fmt.Sprintf("%s.values[%d]", path, k), err)
			}
		}
	case "":
		errs.addf(path+".type", "type is required")
	default:
		errs.addf(path+".type", "type must be one of peer, peer_tag, ip, cidr, country, asn, time, path_prefix, method; got %q", cd.Type)
	}
	if out.kind == kindAddr {
		entries := make([]IPSetEntry, len(out.prefixes))
		for k, p := range out.prefixes {
			entries[k] = IPSetEntry{Prefix: p}
		}
		out.addrs = BuildIPSet(entries)
	}
	return out
}

// checkValues applies the limits every values list has.
func (env *condEnv) checkValues(path string, cd Condition) bool {
	switch {
	case len(cd.Values) == 0:
		env.errs.addf(path+".values", "at least one value is required")
		return false
	case len(cd.Values) > MaxValues:
		env.errs.addf(path+".values", "at most %d values, got %d", MaxValues, len(cd.Values))
		return false
	}
	ok := true
	for k, v := range cd.Values {
		if len(v) > MaxValueLen {
			env.errs.addf(fmt.Sprintf("%s.values[%d]", path, k), "at most %d bytes, got %d", MaxValueLen, len(v))
			ok = false
		}
	}
	return ok
}

func (env *condEnv) parseList(path string, vs []string, parse func(string) (netip.Prefix, error)) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(vs))
	for k, v := range vs {
		p, err := parse(v)
		if err != nil {
			env.errs.add(fmt.Sprintf("%s[%d]", path, k), err)
			continue
		}
		out = append(out, p)
	}
	return out
}

// checkCountry insists on the normalised form: the control plane upper-cases.
func checkCountry(v string) error {
	cc, err := normalizeCountry(v)
	if err == nil && cc != v {
		err = fmt.Errorf("country code must be upper case, got %q", v)
	}
	return err
}

func checkPathOrMethod(typ, v string) error {
	if typ == CondMethod {
		if !methodPattern.MatchString(v) {
			return fmt.Errorf("must be an upper-case method token (e.g. \"GET\"), got %q", v)
		}
		return nil
	}
	if !strings.HasPrefix(v, "/") {
		return fmt.Errorf("must start with /, got %q", v)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("must not contain control characters, got %q", v)
		}
	}
	if cleanPath(v) != v {
		return fmt.Errorf("must be a clean path (no //, /./ or /../), got %q", v)
	}
	return nil
}

// parseIPOrCIDR accepts an address or a CIDR (peer addresses may be either).
func parseIPOrCIDR(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		return parseRuleCIDR(v)
	}
	a, err := parseRuleIP(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseRuleIP parses an address. Zones are refused: a rule cannot name an
// interface-scoped address in any meaningful way.
func parseRuleIP(v string) (netip.Addr, error) {
	a, err := netip.ParseAddr(v)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("invalid IP address %q", v)
	}
	return a.Unmap(), nil
}

// parseRuleCIDR parses a CIDR; host bits must be zero after IPv4-mapped IPv6
// is reduced to IPv4 ("10.1.2.3/8" is an error: the writer meant something
// the prefix does not say).
func parseRuleCIDR(v string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(v)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", v)
	}
	np, _ := normalizePrefix(p)
	a := p.Addr()
	bits := p.Bits()
	if a.Is4In6() && bits >= 96 {
		a, bits = a.Unmap(), bits-96
	}
	if np.Addr() != a || np.Bits() != bits {
		return netip.Prefix{}, fmt.Errorf("CIDR %q has host bits set (did you mean %s?)", v, np)
	}
	return np, nil
}
