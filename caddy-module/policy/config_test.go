package policy

// Pure: Policy.Equal, which decides whether the app recompiles a policy.

import (
	"encoding/json"
	"testing"
)

func TestPolicyEqual(t *testing.T) {
	base := func() Policy {
		var p Policy
		if err := json.Unmarshal([]byte(contractPolicy), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if !base().Equal(base()) || !(Policy{}).Equal(Policy{}) {
		t.Fatal("equal policies compare unequal")
	}
	if !(Policy{Default: "deny", Rules: []Rule{}}).Equal(Policy{Default: "deny"}) {
		t.Error("an empty rule list and none compile alike, so they are equal")
	}
	changes := map[string]func(p *Policy){
		"name":            func(p *Policy) { p.Name = "x" },
		"default":         func(p *Policy) { p.Default = "deny" },
		"login":           func(p *Policy) { p.Login = true },
		"rate limit":      func(p *Policy) { p.RateLimit.Requests++ },
		"no rate limit":   func(p *Policy) { p.RateLimit = nil },
		"rule order":      func(p *Policy) { p.Rules[0], p.Rules[1] = p.Rules[1], p.Rules[0] },
		"rule action":     func(p *Policy) { p.Rules[0].Action = "deny" },
		"rule name":       func(p *Policy) { p.Rules[0].Name = "" },
		"rule login":      func(p *Policy) { p.Rules[1].Login = false },
		"condition not":   func(p *Policy) { p.Rules[2].Conditions[0].Not = false },
		"addresses":       func(p *Policy) { p.Rules[0].Conditions[0].Addresses = p.Rules[0].Conditions[0].Addresses[:1] },
		"values":          func(p *Policy) { p.Rules[1].Conditions[0].Values = []string{"AT"} },
		"days":            func(p *Policy) { p.Rules[2].Conditions[0].Days = []string{"mon"} },
		"from":            func(p *Policy) { p.Rules[2].Conditions[0].From = "09:00" },
		"tz":              func(p *Policy) { p.Rules[2].Conditions[0].TZ = "UTC" },
		"extra condition": func(p *Policy) { p.Rules[0].Conditions = append(p.Rules[0].Conditions, Condition{Type: "ip"}) },
		"extra rule":      func(p *Policy) { p.Rules = append(p.Rules, Rule{Action: "allow"}) },
	}
	for name, change := range changes {
		p := base()
		change(&p)
		if p.Equal(base()) || base().Equal(p) {
			t.Errorf("%s: changed policy compares equal", name)
		}
	}
}
