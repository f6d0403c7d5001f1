package policy

import (
	"strconv"
	"strings"
)

// textValues is how many values a rule text shows per condition; the rest
// are counted ("cidr 10.0.0.0/8,192.168.0.0/16,… (+998 more)").
const textValues = 3

// ruleText is the readable text of rule i for explain, logs and metrics:
// "#2 allow country DE (login)", "#3 deny not time mon,tue 08:00-18:00
// Europe/Berlin", "#1 allow all". Rules are numbered from 1, for people.
func ruleText(i int, r Rule, login bool) string {
	var b strings.Builder
	b.WriteString("#")
	b.WriteString(strconv.Itoa(i + 1))
	b.WriteString(" ")
	b.WriteString(r.Action)
	if len(r.Conditions) == 0 {
		b.WriteString(" all")
	}
	for k, c := range r.Conditions {
		if k > 0 {
			b.WriteString(" and")
		}
		b.WriteString(" ")
		writeCondition(&b, c)
	}
	if login && r.Action == ActionAllow {
		b.WriteString(" (login)")
	}
	return b.String()
}

func writeCondition(b *strings.Builder, c Condition) {
	if c.Not {
		b.WriteString("not ")
	}
	b.WriteString(c.Type)
	if c.Type == CondTime {
		b.WriteString(" ")
		b.WriteString(strings.Join(c.Days, ","))
		b.WriteString(" ")
		b.WriteString(c.From)
		b.WriteString("-")
		b.WriteString(c.To)
		b.WriteString(" ")
		if c.TZ == "" {
			b.WriteString("UTC")
		} else {
			b.WriteString(c.TZ)
		}
		return
	}
	b.WriteString(" ")
	shown := c.Values[:min(len(c.Values), textValues)]
	b.WriteString(strings.Join(shown, ","))
	if rest := len(c.Values) - len(shown); rest > 0 {
		b.WriteString(",… (+")
		b.WriteString(strconv.Itoa(rest))
		b.WriteString(" more)")
	}
}
