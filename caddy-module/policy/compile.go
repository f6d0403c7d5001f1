package policy

import (
	"cmp"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// FieldError is one problem in a policy, at a JSON path relative to the policy
// object (e.g. "rules[2].conditions[0].values[1]"). Its JSON form is the
// element of the admin API's 422 `errors` array.
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
	if e.Path == "" {
		return FieldError{Path: prefix, Message: e.Message}
	}
	return FieldError{Path: prefix + "." + e.Path, Message: e.Message}
}

// Route kinds of Deps.Kind.
const (
	KindHTTP = "http"
	KindL4   = "l4"
)

// Deps is what Compile needs from the app besides the policy itself.
type Deps struct {
	// RouteID names the route's limiter, so that a route keeps its rate-limit
	// counters across snapshots.
	RouteID string
	// Kind is KindHTTP or KindL4; on L4 routes path_prefix, method and login
	// are errors. "" is taken as KindHTTP.
	Kind string
	// Countries answers country conditions; nil makes them an error.
	Countries CountryLookup
	// ASNs answers asn conditions; nil makes them an error.
	ASNs ASNLookup
	// Limiters holds rate-limit state across snapshots; nil gives the policy
	// a private limiter (right for dry-run validation and tests).
	Limiters *Limiters
}

// Compiled is a validated policy ready for Decide; immutable apart from the
// rate-limit state it points to, and safe for concurrent use. A nil *Compiled
// allows everything.
type Compiled struct {
	name        string
	rules       []compiledRule
	defaultDeny bool
	defaultText string // e.g. "default deny"
	login       bool   // Policy.Login
	index       ruleIndex
	countries   CountryLookup // nil unless a condition needs it
	asns        ASNLookup     // nil unless a condition needs it
	needPath    bool          // some condition reads the path
	limiter     *Limiter      // nil: no rate limit
	limit       RateLimit
}

// compiledRule is a Rule ready for evaluation, its text built once so that
// Decide allocates nothing.
type compiledRule struct {
	deny  bool
	login bool // the allow needs the route login (rule or policy)
	conds []cond
	text  string // e.g. "#2 allow country DE (login)"
}

// Name is the shared policy's name ("" for an inline policy).
func (c *Compiled) Name() string {
	if c == nil {
		return ""
	}
	return c.name
}

// Rules is the number of rules.
func (c *Compiled) Rules() int {
	if c == nil {
		return 0
	}
	return len(c.rules)
}

// AllowsAll reports whether the policy allows every request without a login
// or a rate limit (no rules, default allow), so a guard may skip deciding.
func (c *Compiled) AllowsAll() bool {
	return c == nil || (len(c.rules) == 0 && !c.defaultDeny && !c.login && c.limiter == nil)
}

// Limiter returns the policy's rate limiter, or nil.
func (c *Compiled) Limiter() *Limiter {
	if c == nil {
		return nil
	}
	return c.limiter
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
func Compile(p Policy, deps Deps) (*Compiled, []FieldError) {
	var errs errorList
	l4 := deps.Kind == KindL4
	c := &Compiled{name: p.Name, login: p.Login}
	checkName(&errs, "name", p.Name)
	switch p.Default {
	case ActionAllow:
		c.defaultText = "default allow"
		if p.Login {
			c.defaultText += " (login)"
		}
	case ActionDeny:
		c.defaultDeny, c.defaultText = true, "default deny"
	case "":
		errs.addf("default", "default is required: allow or deny")
	default:
		errs.addf("default", "default must be allow or deny, got %q", p.Default)
	}
	if p.Login && l4 {
		errs.addf("login", "login is for HTTP routes only")
	}
	if len(p.Rules) > MaxRules {
		errs.addf("rules", "at most %d rules, got %d", MaxRules, len(p.Rules))
	} else {
		env := condEnv{deps: deps, errs: &errs}
		c.rules = make([]compiledRule, len(p.Rules))
		for i, r := range p.Rules {
			c.rules[i] = compileRule(fmt.Sprintf("rules[%d]", i), i, r, p.Login, &env)
		}
		if env.usesCountry {
			c.countries = deps.Countries
		}
		if env.usesASN {
			c.asns = deps.ASNs
		}
		c.needPath = env.usesPath
	}
	if p.RateLimit != nil {
		if key, ok := compileRateLimit(p.RateLimit, &errs); ok {
			key.RouteID = deps.RouteID
			if deps.Limiters != nil {
				c.limiter = deps.Limiters.Get(key)
			} else {
				c.limiter = newLimiter(key, 0)
			}
			c.limit = *p.RateLimit
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	c.index = buildRuleIndex(c.rules)
	return c, nil
}

func compileRule(path string, i int, r Rule, policyLogin bool, env *condEnv) compiledRule {
	out := compiledRule{}
	switch r.Action {
	case ActionAllow:
		out.login = r.Login || policyLogin
	case ActionDeny:
		out.deny = true
		if r.Login {
			env.errs.addf(path+".login", "login is for allow rules only")
		}
	case "":
		env.errs.addf(path+".action", "action is required: allow or deny")
	default:
		env.errs.addf(path+".action", "action must be allow or deny, got %q", r.Action)
	}
	if r.Login && env.deps.Kind == KindL4 {
		env.errs.addf(path+".login", "login is for HTTP routes only")
	}
	checkName(env.errs, path+".name", r.Name)
	if len(r.Conditions) > MaxConditions {
		env.errs.addf(path+".conditions", "at most %d conditions, got %d", MaxConditions, len(r.Conditions))
		return out
	}
	out.conds = make([]cond, len(r.Conditions))
	for j, cd := range r.Conditions {
		out.conds[j] = env.compile(fmt.Sprintf("%s.conditions[%d]", path, j), cd)
	}
	// All must hold, so the order is free: the cheapest tests first.
	slices.SortStableFunc(out.conds, func(a, b cond) int { return cmp.Compare(a.kind.cost(), b.kind.cost()) })
	out.text = ruleText(i, r, out.login)
	return out
}

func checkName(errs *errorList, path, name string) {
	if n := utf8.RuneCountInString(name); n > MaxNameLen {
		errs.addf(path, "at most %d characters, got %d", MaxNameLen, n)
	}
}

func compileRateLimit(rl *RateLimit, errs *errorList) (LimiterKey, bool) {
	ok := true
	if rl.Requests < MinRequests || rl.Requests > MaxRequests {
		errs.addf("rate_limit.requests", "requests must be between %d and %d, got %d", MinRequests, MaxRequests, rl.Requests)
		ok = false
	}
	window, err := ParseWindow(rl.Window)
	if err != nil {
		errs.add("rate_limit.window", err)
		ok = false
	}
	return LimiterKey{Requests: rl.Requests, Window: window}, ok
}

// maxErrors bounds a policy's error list: a 10,000-value list of typos
// needs a few examples, not a 10,000-line answer.
const maxErrors = 100

// errorList collects FieldErrors in the order they are found, at most
// maxErrors of them plus a note that more were left out.
type errorList []FieldError

func (l *errorList) add(path string, err error) {
	l.addf(path, "%s", err.Error())
}

func (l *errorList) addf(path, format string, args ...any) {
	switch {
	case len(*l) < maxErrors:
		*l = append(*l, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
	case len(*l) == maxErrors:
		*l = append(*l, FieldError{Path: path, Message: fmt.Sprintf("more than %d errors; the rest are left out", maxErrors)})
	}
}
