package policy

import (
	"fmt"
	"math/bits"
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"
)

// Request is what a policy decides on: one HTTP request or one new L4
// connection.
type Request struct {
	// Addr is the client: the connection's own address, or Caddy's client_ip
	// behind trusted proxies, never a header. An invalid Addr matches no
	// address, country or asn condition.
	Addr netip.Addr
	// Time is the instant time conditions and the rate limit are read at.
	Time time.Time
	// Method and Path are the HTTP request's method and un-escaped path
	// (r.URL.Path); empty on L4.
	Method, Path string
}

// Decide evaluates the policy for one request and, when it allows and the
// policy has a rate limit, counts it. Guards call it once per HTTP request or
// L4 connection. It allocates nothing.
func (c *Compiled) Decide(req Request) Decision {
	return c.evaluate(req, true)
}

// Explain answers what Decide would answer, without counting the request:
// the rate-limit check reports whether the client has fewer than N admissions
// in the window ending at req.Time. It runs the very code Decide runs, so the
// two cannot disagree. It also looks up the client's country and AS number
// whenever a database is configured, and reports the rate-limit state.
func (c *Compiled) Explain(req Request) Decision {
	d := c.evaluate(req, false)
	if c == nil {
		return d
	}
	if c.limiter != nil {
		used, wait := c.limiter.State(req.Addr.Unmap().WithZone(""), req.Time)
		st := &RateLimitState{Requests: c.limit.Requests, Window: c.limit.Window, Used: used,
			Remaining: max(c.limit.Requests-used, 0)}
		if wait > 0 {
			st.RetryAfterSeconds = retryAfterSeconds(wait)
		}
		d.RateLimit = st
	}
	return d
}

// ExplainWith is Explain with the client's country and AS number looked up
// in these databases even when no condition needs them (nil: not looked up).
func (c *Compiled) ExplainWith(req Request, countries CountryLookup, asns ASNLookup) Decision {
	d := c.Explain(req)
	addr := req.Addr.Unmap().WithZone("")
	if d.Country == "" && countries != nil {
		d.Country = countries.Country(addr)
	}
	if d.ASN == 0 && asns != nil {
		d.ASN = asns.ASN(addr)
	}
	return d
}

// reqCtx is one request under evaluation, with lookups made at most once.
type reqCtx struct {
	addr     netip.Addr
	t        time.Time
	method   string
	rawPath  string
	cleaned  string
	pathDone bool
	c        *Compiled
	cc       string
	ccDone   bool
	as       uint32
	asDone   bool
	zones    [zoneCacheSize]localTime
	nZones   int
}

func (rc *reqCtx) country() string {
	if !rc.ccDone {
		rc.ccDone = true
		if rc.c.countries != nil {
			rc.cc = rc.c.countries.Country(rc.addr)
		}
	}
	return rc.cc
}

func (rc *reqCtx) asn() uint32 {
	if !rc.asDone {
		rc.asDone = true
		if rc.c.asns != nil {
			rc.as = rc.c.asns.ASN(rc.addr)
		}
	}
	return rc.as
}

func (rc *reqCtx) path() string {
	if !rc.pathDone {
		rc.pathDone = true
		rc.cleaned = cleanPath(rc.rawPath)
	}
	return rc.cleaned
}

// evaluate finds the deciding rule (ruleIndex) and applies the rate limit to
// an allow, so a denied client never counts against it.
func (c *Compiled) evaluate(req Request, consume bool) Decision {
	if c == nil {
		return Decision{Allowed: true, Check: CheckDefault, RuleIndex: -1, Rule: "default allow"}
	}
	rc := reqCtx{addr: req.Addr.Unmap().WithZone(""), t: req.Time, method: req.Method, rawPath: req.Path, c: c}
	d := Decision{Check: CheckDefault, RuleIndex: -1, Rule: c.defaultText, Allowed: !c.defaultDeny, Login: c.login}
	var cand [bitmapWords]uint64
	c.index.candidates(&cand, &rc)
found:
	for w := 0; w < c.index.words; w++ {
		for word := cand[w]; word != 0; word &= word - 1 {
			i := w*64 + bits.TrailingZeros64(word)
			r := &c.rules[i]
			if r.matches(&rc) {
				d = Decision{Check: CheckRule, RuleIndex: i, Rule: r.text, Allowed: !r.deny, Login: r.login}
				break found
			}
		}
	}
	if !d.Allowed {
		d.Login = false
	}
	d.Country, d.ASN = rc.cc, rc.as
	if d.Allowed && c.limiter != nil {
		var ok bool
		var wait time.Duration
		if consume {
			ok, wait = c.limiter.Allow(rc.addr, rc.t)
		} else {
			ok, wait = c.limiter.Peek(rc.addr, rc.t)
		}
		if !ok {
			d.Allowed, d.Login, d.Check, d.RetryAfter = false, false, CheckRateLimit, wait
		}
	}
	return d
}

func (r *compiledRule) matches(rc *reqCtx) bool {
	for k := range r.conds {
		if !r.conds[k].holds(rc) {
			return false
		}
	}
	return true
}

// holds tests the condition, negation included.
func (c *cond) holds(rc *reqCtx) bool {
	var hit bool
	switch c.kind {
	case kindAddr:
		hit = c.addrs.lookupIndex(rc.addr) >= 0
	case kindCountry:
		cc := rc.country()
		hit = cc != "" && c.countries.has(cc)
	case kindASN:
		if n := rc.asn(); n != 0 {
			_, hit = slices.BinarySearch(c.asns, n)
		}
	case kindTime:
		hit = c.window.holds(rc)
	case kindMethod:
		hit = slices.Contains(c.strs, rc.method)
	case kindPath:
		p := rc.path()
		for _, pre := range c.strs {
			if pathHasPrefix(p, pre) {
				hit = true
				break
			}
		}
	}
	return hit != c.not
}

// pathHasPrefix: p equals prefix, or continues it at a "/" boundary; a
// prefix ending in "/" is a plain string prefix ("/api" matches "/api" and
// "/api/x", not "/apix").
func pathHasPrefix(p, prefix string) bool {
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	return len(p) == len(prefix) || prefix[len(prefix)-1] == '/' || p[len(prefix)] == '/'
}

// cleanPath is path.Clean keeping a trailing slash (as Caddy's path matcher
// does), "/" for an empty path. A path that is already clean is returned as
// it is, without allocating.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	cleaned := path.Clean(p)
	if cleaned != "/" && strings.HasSuffix(p, "/") {
		if len(cleaned)+1 == len(p) && p[:len(cleaned)] == cleaned {
			return p // already clean with its slash: no new string
		}
		cleaned += "/"
	}
	return cleaned
}

// ParseClientAddr parses a client address as the explain API receives it:
// a bare address, optionally in brackets or with a port. IPv4-mapped IPv6 is
// reduced to IPv4 and a zone is stripped, as Decide does.
func ParseClientAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	bare := s
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		bare = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(bare)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, fmt.Errorf("invalid client address %q", s)
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), nil
}
