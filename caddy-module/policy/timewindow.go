package policy

import (
	"fmt"
	"regexp"
	"sync"
	"time"
	_ "time/tzdata" // zones work on hosts (and containers) without system tzdata
)

// timeWindow is a compiled time condition: weekdays as bits (1 << Weekday),
// minutes of the day [from, to), wrapping past midnight when from > to.
type timeWindow struct {
	days     uint8
	from, to int
	loc      *time.Location
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

var tzPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$`)

func compileTimeWindow(path string, cd Condition, errs *errorList) *timeWindow {
	w := &timeWindow{}
	if len(cd.Days) == 0 {
		errs.addf(path+".days", "days is required: a non-empty subset of mon tue wed thu fri sat sun")
	}
	for k, d := range cd.Days {
		wd, ok := dayNames[d]
		switch {
		case !ok:
			errs.addf(fmt.Sprintf("%s.days[%d]", path, k), "must be one of mon tue wed thu fri sat sun, got %q", d)
		case w.days&(1<<wd) != 0:
			errs.addf(fmt.Sprintf("%s.days[%d]", path, k), "%q appears twice", d)
		default:
			w.days |= 1 << wd
		}
	}
	var okFrom, okTo bool
	w.from, okFrom = parseClock(path+".from", cd.From, errs)
	w.to, okTo = parseClock(path+".to", cd.To, errs)
	if okFrom && okTo && w.from == w.to {
		errs.addf(path+".to", "from and to must differ (both %s)", cd.From)
	}
	loc, err := loadZone(cd.TZ)
	if err != nil {
		errs.add(path+".tz", err)
	}
	w.loc = loc
	return w
}

// parseClock reads "HH:MM", 00:00–24:00, as minutes of the day.
func parseClock(path, s string, errs *errorList) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' || !isDigits(s[:2]) || !isDigits(s[3:]) {
		errs.addf(path, "must be a time of day HH:MM (00:00 to 24:00), got %q", s)
		return 0, false
	}
	h = int(s[0]-'0')*10 + int(s[1]-'0')
	m = int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		errs.addf(path, "must be a time of day HH:MM (00:00 to 24:00), got %q", s)
		return 0, false
	}
	return h*60 + m, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// zones caches loaded locations: LoadLocation parses the zone file each
// time, and a policy may name the same zone in a thousand rules.
var zones sync.Map // string -> *time.Location

// loadZone loads an IANA zone name; "" is UTC. "Local" is refused: a policy
// must mean the same on every host.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if len(name) > maxTZLen || !tzPattern.MatchString(name) || name == "Local" {
		return nil, fmt.Errorf("must be an IANA time zone name such as Europe/Berlin, got %q", name)
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	zones.Store(name, loc)
	return loc, nil
}

// holds reports whether the request's instant, read in the window's zone,
// falls on one of its days within [from, to) (the whole minute: from and to
// are whole minutes).
func (w *timeWindow) holds(rc *reqCtx) bool {
	day, now := rc.local(w.loc)
	if w.days&(1<<day) == 0 {
		return false
	}
	if w.from < w.to {
		return now >= w.from && now < w.to
	}
	return now >= w.from || now < w.to
}

// zoneCacheSize is how many zones a request remembers its local time in: a
// policy rarely names more than one or two, and a thousand time conditions
// in one zone then cost one conversion.
const zoneCacheSize = 4

type localTime struct {
	loc *time.Location
	day time.Weekday
	min int
}

// local is the request's weekday and minute of the day in loc.
func (rc *reqCtx) local(loc *time.Location) (time.Weekday, int) {
	for i := 0; i < rc.nZones; i++ {
		if z := &rc.zones[i]; z.loc == loc {
			return z.day, z.min
		}
	}
	lt := rc.t.In(loc)
	h, m, _ := lt.Clock()
	z := localTime{loc: loc, day: lt.Weekday(), min: h*60 + m}
	if rc.nZones < zoneCacheSize {
		rc.zones[rc.nZones] = z
		rc.nZones++
	}
	return z.day, z.min
}
