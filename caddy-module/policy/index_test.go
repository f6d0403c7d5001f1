// Tests of the rule index: it must decide exactly as a scan of every rule in
// order would (property test over random policies, addresses and times), and
// Decide must stay allocation-free and cheap with 1,000 rules.
package policy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// checkAgainstScan compares Explain with a scan of all rules in order, each
// tested with a fresh context: the reference the index must agree with.
func checkAgainstScan(t testing.TB, c *Compiled, req Request) {
	t.Helper()
	want := -1
	rc := reqCtx{addr: req.Addr.Unmap().WithZone(""), t: req.Time, method: req.Method, rawPath: req.Path, c: c}
	for i := range c.rules {
		if c.rules[i].matches(&rc) {
			want = i
			break
		}
	}
	d := c.Explain(req)
	if d.RuleIndex != want {
		t.Fatalf("%+v: index found rule %d (%s), a scan finds %d", req, d.RuleIndex, d.Rule, want)
	}
	if d.Check == CheckRule && (want < 0 || d.Allowed == c.rules[want].deny) {
		t.Fatalf("%+v: decision %+v disagrees with rule %d", req, d, want)
	}
}

// randomPolicy builds rules over a small universe of nested prefixes,
// countries, AS numbers and times, so that rules overlap a lot.
func randomPolicy(r *rand.Rand, rules int) Policy {
	prefixes := []string{"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "10.2.0.0/16",
		"203.0.113.0/24", "203.0.113.0/25", "::/0", "2001:db8::/32", "2001:db8:de::/48", "2001:db8:de::1/128"}
	countries := []string{"DE", "FR", "US"}
	asns := []string{"3320", "3215", "64496", "1"}
	days := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	pick := func(from []string) []string {
		n := 1 + r.IntN(3)
		out := make([]string, n)
		for i := range out {
			out[i] = from[r.IntN(len(from))]
		}
		return out
	}
	p := Policy{Default: []string{ActionAllow, ActionDeny}[r.IntN(2)]}
	for range rules {
		rule := Rule{Action: []string{ActionAllow, ActionDeny}[r.IntN(2)]}
		for range r.IntN(4) {
			c := Condition{Not: r.IntN(4) == 0}
			switch r.IntN(6) {
			case 0:
				c.Type, c.Values = CondCIDR, pick(prefixes)
			case 1:
				c.Type, c.Values, c.Addresses = CondPeerTag, []string{"staff"}, pick([]string{"10.1.2.3", "10.8.0.3", "2001:db8:de::1"})
			case 2:
				c.Type, c.Values = CondCountry, pick(countries)
			case 3:
				c.Type, c.Values = CondASN, pick(asns)
			case 4:
				c.Type, c.Days, c.From, c.To, c.TZ = CondTime, []string{days[r.IntN(7)]}, fmt.Sprintf("%02d:00", r.IntN(24)), fmt.Sprintf("%02d:30", r.IntN(24)), "Europe/Berlin"
			case 5:
				c.Type, c.Values = CondIP, pick([]string{"10.1.2.3", "203.0.113.9", "2001:db8:de::1"})
			}
			rule.Conditions = append(rule.Conditions, c)
		}
		p.Rules = append(p.Rules, rule)
	}
	return p
}

func TestIndexMatchesScanProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 1))
	addrs := []string{"10.1.2.3", "10.1.2.4", "10.1.9.9", "10.2.0.1", "10.8.0.3", "203.0.113.9", "203.0.113.200",
		"198.51.100.1", "192.0.2.1", "2001:db8:de::1", "2001:db8:de::2", "2001:db8::9", "fd00::1", ""}
	for iter := 0; iter < 300; iter++ {
		p := randomPolicy(r, 1+r.IntN(40))
		c, errs := Compile(p, Deps{Countries: testCountries, ASNs: testASNs})
		if len(errs) > 0 {
			t.Fatalf("random policy does not compile: %v", errs)
		}
		for range 40 {
			a, _ := netip.ParseAddr(addrs[r.IntN(len(addrs))])
			at := t0.Add(time.Duration(r.IntN(7*24*60)) * time.Minute)
			checkAgainstScan(t, c, Request{Addr: a, Time: at})
		}
	}
}

// mixedPolicy is n rules mixing CIDR, country, ASN and time conditions (time
// together with a CIDR, as in "this office on weekends"), none of which
// matches the benchmark client until the last rule, so that every kind of
// condition is looked up and the index has the whole policy to sift.
func mixedPolicy(n int) Policy {
	p := Policy{Default: ActionDeny, RateLimit: &RateLimit{Requests: 100000, Window: Window1s}}
	for i := 0; i < n-1; i++ {
		var c []Condition
		switch i % 4 {
		case 0:
			c = []Condition{{Type: CondCIDR, Values: []string{fmt.Sprintf("100.%d.%d.0/24", i/256%256, i%256), fmt.Sprintf("2001:db8:%x::/48", i)}}}
		case 1:
			c = []Condition{{Type: CondCountry, Values: []string{"FR", "US"}}, {Type: CondCIDR, Not: true, Values: []string{"10.0.0.0/8"}}}
		case 2:
			c = []Condition{{Type: CondASN, Values: []string{fmt.Sprint(64512 + i)}}}
		case 3:
			c = []Condition{{Type: CondTime, Days: []string{"sat", "sun"}, From: "08:00", To: "18:00", TZ: "Europe/Berlin"}, {Type: CondCIDR, Values: []string{fmt.Sprintf("172.16.%d.0/24", i%256)}}}
		}
		p.Rules = append(p.Rules, Rule{Action: ActionDeny, Conditions: c})
	}
	p.Rules = append(p.Rules, Rule{Action: ActionAllow, Conditions: []Condition{
		{Type: CondCountry, Values: []string{"DE"}},
		{Type: CondTime, Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "08:00", To: "18:00", TZ: "Europe/Berlin"},
	}})
	return p
}

func compileMixed(t testing.TB, n int) *Compiled {
	t.Helper()
	c, errs := Compile(mixedPolicy(n), Deps{RouteID: "bench", Countries: testCountries, ASNs: testASNs})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return c
}

func TestDecideAllocationFree(t *testing.T) {
	c := compileMixed(t, 1000)
	req := Request{Addr: netip.MustParseAddr("203.0.113.9"), Time: t0, Method: "GET", Path: "/api/x"}
	if d := c.Decide(req); !d.Allowed || d.RuleIndex != 999 {
		t.Fatalf("the benchmark request: %+v", d)
	}
	checkAgainstScan(t, c, req)
	if n := testing.AllocsPerRun(1000, func() { c.Decide(req) }); n != 0 {
		t.Errorf("Decide with 1,000 rules allocates %v times per request", n)
	}
	denied := Request{Addr: netip.MustParseAddr("100.0.4.7"), Time: t0}
	if d := c.Decide(denied); d.Allowed || d.RuleIndex != 4 {
		t.Fatalf("a client of the fifth rule's CIDR: %+v", d)
	}
	if n := testing.AllocsPerRun(1000, func() { c.Decide(denied) }); n != 0 {
		t.Errorf("a denial allocates %v times", n)
	}
}

func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("%d-rules", n), func(b *testing.B) {
			c := compileMixed(b, n)
			// clients spread over the DE /24, so that the limiter allows
			// them all
			reqs := make([]Request, 256)
			for i := range reqs {
				reqs[i] = Request{Addr: netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}), Time: t0}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if d := c.Decide(reqs[i&255]); !d.Allowed {
					b.Fatalf("denied: %+v", d)
				}
			}
		})
	}
}

// BenchmarkDecideUnindexable is the worst case for the index: 1,000 rules
// without an address condition (a time window and a method each), all of
// them candidates, none matching; the cost is a plain scan's.
func BenchmarkDecideUnindexable(b *testing.B) {
	p := Policy{Default: ActionAllow}
	for i := 0; i < 1000; i++ {
		p.Rules = append(p.Rules, Rule{Action: ActionDeny, Conditions: []Condition{
			{Type: CondTime, Days: []string{"sat"}, From: "08:00", To: "18:00", TZ: "Europe/Berlin"},
			{Type: CondMethod, Values: []string{"DELETE"}},
		}})
	}
	c, errs := Compile(p, Deps{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	req := Request{Addr: netip.MustParseAddr("203.0.113.9"), Time: t0, Method: "GET"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d := c.Decide(req); !d.Allowed {
			b.Fatalf("denied: %+v", d)
		}
	}
}
