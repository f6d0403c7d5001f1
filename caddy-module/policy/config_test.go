package policy

// Pure: Policy.Equal, which decides whether the app recompiles a policy.

import (
	"reflect"
	"testing"
)

func TestPolicyEqual(t *testing.T) {
	base := func() Policy {
		return Policy{
			ACL:       &ACL{Enabled: true, Allow: []string{"10.8.0.3"}},
			IPFilter:  &IPFilter{Enabled: true, Mode: ModeWhitelist, Rules: []Rule{{Type: RuleCIDR, Value: "10.0.0.0/8"}}},
			RateLimit: &RateLimit{Enabled: true, Requests: 5, Window: Window1m},
		}
	}
	if !base().Equal(base()) || !(Policy{}).Equal(Policy{}) {
		t.Fatal("equal policies compare unequal")
	}
	changes := map[string]func(p *Policy){
		"acl.enabled":        func(p *Policy) { p.ACL.Enabled = false },
		"acl.allow":          func(p *Policy) { p.ACL.Allow = append(p.ACL.Allow, "10.8.0.4") },
		"acl nil":            func(p *Policy) { p.ACL = nil },
		"ip_filter.enabled":  func(p *Policy) { p.IPFilter.Enabled = false },
		"ip_filter.mode":     func(p *Policy) { p.IPFilter.Mode = ModeBlacklist },
		"ip_filter.rules":    func(p *Policy) { p.IPFilter.Rules[0].Value = "10.0.0.0/9" },
		"rate_limit.window":  func(p *Policy) { p.RateLimit.Window = Window1h },
		"rate_limit.enabled": func(p *Policy) { p.RateLimit.Enabled = false },
		"rate_limit nil":     func(p *Policy) { p.RateLimit = nil },
	}
	for name, change := range changes {
		p := base()
		change(&p)
		if p.Equal(base()) || base().Equal(p) {
			t.Errorf("%s: a changed policy compares equal", name)
		}
	}
	// A field added to a section must be added to Equal too.
	for typ, fields := range map[reflect.Type]int{
		reflect.TypeOf(Policy{}): 3, reflect.TypeOf(ACL{}): 2, reflect.TypeOf(IPFilter{}): 3,
		reflect.TypeOf(Rule{}): 2, reflect.TypeOf(RateLimit{}): 3,
	} {
		if typ.NumField() != fields {
			t.Errorf("%s has %d fields, Equal knows %d", typ, typ.NumField(), fields)
		}
	}
}
