package policy

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// FieldError is one problem in a policy, at a JSON path relative to the policy
// object (e.g. "ip_filter.rules[2].value"). Its JSON form is the element of
// the admin API's 422 `errors` array.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Path + ": " + e.Message }

// WithPrefix places the error inside an enclosing document, e.g.
// err.WithPrefix("routes[1].policy").
func (e FieldError) WithPrefix(prefix string) FieldError {
	if prefix == "" {
		return e
	}
	return FieldError{Path: prefix + "." + e.Path, Message: e.Message}
}

// Deps is what Compile needs from the app besides the policy itself.
type Deps struct {
	// RouteID names the route's limiter, so that a route keeps its rate-limit
	// counters across snapshots.
	RouteID string
	// Countries answers country rules; nil makes country rules an error.
	Countries CountryLookup
	// Limiters holds rate-limit state across snapshots; nil gives the policy
	// a private limiter (right for dry-run validation and tests).
	Limiters *Limiters
}

// Compiled is a validated policy ready for Decide; immutable apart from the
// rate-limit state it points to, and safe for concurrent use. A nil *Compiled
// allows everything.
type Compiled struct {
	acl       *IPSet    // nil: no ACL check
	filter    *ipFilter // nil: no IP filter
	limiter   *Limiter  // nil: no rate limit
	limitRule string    // Decision.Rule of a rate-limit denial
	summary   []string  // enabled checks, for Describe
}

// ipFilter is a compiled IPFilter. Rule labels are built here, once, so that
// Decide allocates nothing on the allow path.
type ipFilter struct {
	whitelist     bool
	set           *IPSet // ip and cidr rules, labelled e.g. "cidr 10.0.0.0/8 (blacklist)"
	countries     countrySet
	countryLabels map[int]string // countryIndex -> e.g. "country DE (whitelist)"
	lookup        CountryLookup
}

// Enabled reports whether the policy runs any check at all; guards may skip
// a policy that does not.
func (c *Compiled) Enabled() bool {
	return c != nil && (c.acl != nil || c.filter != nil || c.limiter != nil)
}

// Limiter returns the policy's rate limiter, or nil.
func (c *Compiled) Limiter() *Limiter {
	if c == nil {
		return nil
	}
	return c.limiter
}

// Describe lists the enabled checks, e.g. ["acl (2 entries)", "ip_filter
// whitelist (3 rules)", "rate_limit 100/1m"], for explain and logs.
func (c *Compiled) Describe() []string {
	if c == nil {
		return nil
	}
	return c.summary
}

var windows = map[string]time.Duration{
	Window1s: time.Second,
	Window1m: time.Minute,
	Window5m: 5 * time.Minute,
	Window1h: time.Hour,
}

// ParseWindow converts one of the allowed rate-limit windows to a duration.
// Other values, even valid Go durations such as "2m", are errors rather than
// being rounded to a neighbour: the control plane only ever sends these four.
func ParseWindow(w string) (time.Duration, error) {
	d, ok := windows[w]
	if !ok {
		return 0, fmt.Errorf("window must be one of 1s, 1m, 5m, 1h, got %q", w)
	}
	return d, nil
}

// Compile validates p and builds what Decide needs. It reports every error it
// finds, each with its path, and returns a nil *Compiled if there is any.
//
// Sections that are disabled are still validated, so a bad value cannot hide
// until someone flips the switch; but their zero values (no mode, no window,
// requests 0) are accepted, because a disabled check need not be configured.
func Compile(p Policy, deps Deps) (*Compiled, []FieldError) {
	var errs errorList
	c := &Compiled{}
	if p.ACL != nil {
		set := compileACL(p.ACL, &errs)
		if p.ACL.Enabled {
			c.acl = set
			c.summary = append(c.summary, fmt.Sprintf("acl (%d entries)", len(p.ACL.Allow)))
		}
	}
	if p.IPFilter != nil {
		f := compileIPFilter(p.IPFilter, deps.Countries, &errs)
		if p.IPFilter.Enabled {
			c.filter = f
			c.summary = append(c.summary, fmt.Sprintf("ip_filter %s (%d rules)", p.IPFilter.Mode, len(p.IPFilter.Rules)))
		}
	}
	if p.RateLimit != nil {
		key, ok := compileRateLimit(p.RateLimit, &errs)
		if ok && p.RateLimit.Enabled {
			key.RouteID = deps.RouteID
			if deps.Limiters != nil {
				c.limiter = deps.Limiters.Get(key)
			} else {
				c.limiter = newLimiter(key, 0)
			}
			c.limitRule = fmt.Sprintf("rate limit %d/%s exceeded", p.RateLimit.Requests, p.RateLimit.Window)
			c.summary = append(c.summary, fmt.Sprintf("rate_limit %d/%s", p.RateLimit.Requests, p.RateLimit.Window))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func compileACL(acl *ACL, errs *errorList) *IPSet {
	entries := make([]IPSetEntry, 0, len(acl.Allow))
	for i, v := range acl.Allow {
		p, err := parseIPOrCIDR(v)
		if err != nil {
			errs.add(fmt.Sprintf("acl.allow[%d]", i), err)
			continue
		}
		entries = append(entries, IPSetEntry{Prefix: p, Label: "in peer ACL (" + v + ")"})
	}
	return BuildIPSet(entries)
}

func compileIPFilter(f *IPFilter, lookup CountryLookup, errs *errorList) *ipFilter {
	out := &ipFilter{lookup: lookup, countryLabels: map[int]string{}}
	switch f.Mode {
	case ModeWhitelist:
		out.whitelist = true
	case ModeBlacklist:
	case "":
		if f.Enabled {
			errs.addf("ip_filter.mode", "mode is required: whitelist or blacklist")
		}
	default:
		errs.addf("ip_filter.mode", "mode must be whitelist or blacklist, got %q", f.Mode)
	}
	suffix := " (" + f.Mode + ")"
	var entries []IPSetEntry
	missingGeoIP := false
	for i, r := range f.Rules {
		path := fmt.Sprintf("ip_filter.rules[%d]", i)
		switch r.Type {
		case RuleIP:
			a, err := parseRuleIP(r.Value)
			if err != nil {
				errs.add(path+".value", err)
				continue
			}
			entries = append(entries, IPSetEntry{Prefix: netip.PrefixFrom(a, a.BitLen()), Label: "ip " + r.Value + suffix})
		case RuleCIDR:
			p, err := parseRuleCIDR(r.Value)
			if err != nil {
				errs.add(path+".value", err)
				continue
			}
			entries = append(entries, IPSetEntry{Prefix: p, Label: "cidr " + r.Value + suffix})
		case RuleCountry:
			cc, err := normalizeCountry(r.Value)
			if err != nil {
				errs.add(path+".value", err)
				continue
			}
			if lookup == nil && f.Enabled && !missingGeoIP {
				missingGeoIP = true
				errs.addf(path+".value", "country rules need a GeoIP database, and none is configured")
			}
			out.countries.add(cc)
			if _, dup := out.countryLabels[countryIndex(cc)]; !dup {
				out.countryLabels[countryIndex(cc)] = "country " + cc + suffix
			}
		default:
			errs.addf(path+".type", "type must be ip, cidr or country, got %q", r.Type)
		}
	}
	out.set = BuildIPSet(entries)
	return out
}

func compileRateLimit(rl *RateLimit, errs *errorList) (LimiterKey, bool) {
	ok := true
	if rl.Enabled || rl.Requests != 0 {
		if rl.Requests < MinRequests || rl.Requests > MaxRequests {
			errs.addf("rate_limit.requests", "requests must be between %d and %d, got %d", MinRequests, MaxRequests, rl.Requests)
			ok = false
		}
	}
	var window time.Duration
	if rl.Enabled || rl.Window != "" {
		d, err := ParseWindow(rl.Window)
		if err != nil {
			errs.add("rate_limit.window", err)
			ok = false
		}
		window = d
	}
	return LimiterKey{Requests: rl.Requests, Window: window}, ok
}

// parseIPOrCIDR accepts an address or a CIDR (ACL entries may be either).
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

// parseRuleIP parses an address rule. Zones are refused: a rule cannot name
// an interface-scoped address in any meaningful way.
func parseRuleIP(v string) (netip.Addr, error) {
	a, err := netip.ParseAddr(v)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("invalid IP address %q", v)
	}
	return a.Unmap(), nil
}

// parseRuleCIDR parses a CIDR rule. Host bits are allowed and masked off
// ("10.1.2.3/8" is 10.0.0.0/8), as most firewalls do; explain still shows the
// rule as written.
func parseRuleCIDR(v string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q", v)
	}
	np, _ := normalizePrefix(p)
	return np, nil
}

// errorList collects FieldErrors in the order they are found.
type errorList []FieldError

func (l *errorList) add(path string, err error) {
	*l = append(*l, FieldError{Path: path, Message: err.Error()})
}

func (l *errorList) addf(path, format string, args ...any) {
	*l = append(*l, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}
