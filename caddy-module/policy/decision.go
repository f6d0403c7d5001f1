package policy

import (
	"encoding/json"
	"time"
)

// Checks named in Decision.Check.
const (
	// CheckRule: a rule decided (RuleIndex is its index).
	CheckRule = "rule"
	// CheckDefault: no rule matched; the policy's default decided.
	CheckDefault = "default"
	// CheckRateLimit: a rule or the default allowed, the rate limit refused.
	CheckRateLimit = "rate_limit"
)

// Decision is the outcome of a policy for one request.
type Decision struct {
	// Allowed is true when the deciding rule (or the default) allows and
	// the rate limit admits.
	Allowed bool
	// Check is what decided: CheckRule, CheckDefault or CheckRateLimit.
	Check string
	// RuleIndex is the deciding rule's index in Policy.Rules (0-based, as in
	// the JSON paths), or -1 when the default decided. For CheckRateLimit it
	// is the rule (or -1: the default) that allowed before the limit refused.
	RuleIndex int
	// Rule is a readable text of the deciding rule, e.g. "#2 allow country
	// DE (login)" (numbered from 1 for people) or "default deny".
	Rule string
	// Login is true on an allow that needs the route's login (the policy's
	// login or the deciding rule's).
	Login bool
	// Country and ASN are the client's, when a condition needed them (or
	// ExplainWith looked them up); "" and 0 when unknown.
	Country string
	ASN     uint32
	// RetryAfter is, for a rate-limit denial, how long until the next
	// request would be admitted.
	RetryAfter time.Duration
	// RateLimit is the client's rate-limit state; Explain only.
	RateLimit *RateLimitState
}

// RateLimitState is the rate-limit part of an explain answer.
type RateLimitState struct {
	Requests          int    `json:"requests"`
	Window            string `json:"window"`
	Used              int    `json:"used"`
	Remaining         int    `json:"remaining"`
	RetryAfterSeconds int    `json:"retry_after_seconds,omitempty"`
}

// MarshalJSON writes the explain API's decision object: rule_index is null
// when the default decided, retry_after_seconds is set on a rate-limit
// denial, country, asn and rate_limit only when known.
func (d Decision) MarshalJSON() ([]byte, error) {
	out := struct {
		Allowed           bool            `json:"allowed"`
		Check             string          `json:"check"`
		RuleIndex         *int            `json:"rule_index"`
		Rule              string          `json:"rule"`
		Login             bool            `json:"login"`
		Country           string          `json:"country,omitempty"`
		ASN               uint32          `json:"asn,omitempty"`
		RetryAfterSeconds int             `json:"retry_after_seconds,omitempty"`
		RateLimit         *RateLimitState `json:"rate_limit,omitempty"`
	}{Allowed: d.Allowed, Check: d.Check, Rule: d.Rule, Login: d.Login, Country: d.Country, ASN: d.ASN, RateLimit: d.RateLimit}
	if d.RuleIndex >= 0 {
		out.RuleIndex = &d.RuleIndex
	}
	if d.Check == CheckRateLimit {
		out.RetryAfterSeconds = d.RetryAfterSeconds()
	}
	return json.Marshal(out)
}

// RetryAfterSeconds is the value of an HTTP Retry-After header: whole
// seconds, rounded up, at least 1.
func (d Decision) RetryAfterSeconds() int {
	return retryAfterSeconds(d.RetryAfter)
}

func retryAfterSeconds(wait time.Duration) int {
	s := int((wait + time.Second - 1) / time.Second)
	return max(s, 1)
}
