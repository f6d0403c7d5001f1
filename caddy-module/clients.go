package gatehouse

import (
	"net/netip"
	"sort"
	"sync"
	"time"
)

// recentClientsPerRoute bounds each HTTP route's recent clients: when a new
// address comes and the table is full, the one seen longest ago leaves.
const recentClientsPerRoute = 100

// clientRing is an HTTP route's most recently seen distinct client
// addresses (issue 19), with what each did since it entered: requests,
// bytes, the upstream host (gateway) of its last request. Memory is fixed:
// a table of recentClientsPerRoute entries and an index of the same size,
// both made on the route's first request. A known client costs a map
// lookup and a few adds under the route's lock; a new one also a country
// lookup (outside the lock) and a scan of the table for the oldest entry.
type clientRing struct {
	mu      sync.Mutex
	index   map[netip.Addr]int
	entries []recentClient
}

// countryLookup is the country database (policy.GeoIPDB), nil without one.
type countryLookup interface {
	Country(addr netip.Addr) string
}

type recentClient struct {
	addr     netip.Addr
	country  string
	member   string
	requests uint64
	bytesIn  uint64
	bytesOut uint64
	first    time.Time
	last     time.Time
}

// ClientView is a recent client as the admin API shows it.
type ClientView struct {
	Route       string `json:"route"`
	Client      string `json:"client"`
	Country     string `json:"country,omitempty"`
	Member      string `json:"member,omitempty"`
	Requests    uint64 `json:"requests"`
	BytesIn     uint64 `json:"bytes_in"`
	BytesOut    uint64 `json:"bytes_out"`
	FirstSeenAt string `json:"first_seen_at"`
	LastSeenAt  string `json:"last_seen_at"`
	AgeSeconds  int64  `json:"age_seconds"`
}

// seen records one request of addr. country is asked only for an address
// not in the table.
func (r *clientRing) seen(addr netip.Addr, member string, in, out uint64, now time.Time, countries countryLookup) {
	if !addr.IsValid() {
		return
	}
	r.mu.Lock()
	if r.bump(addr, member, in, out, now) {
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	cc := ""
	if countries != nil {
		cc = countries.Country(addr)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bump(addr, member, in, out, now) { // it came in meanwhile
		return
	}
	if r.index == nil {
		r.index = make(map[netip.Addr]int, recentClientsPerRoute)
		r.entries = make([]recentClient, 0, recentClientsPerRoute)
	}
	c := recentClient{addr: addr, country: cc, member: member, requests: 1, bytesIn: in, bytesOut: out, first: now, last: now}
	if len(r.entries) < recentClientsPerRoute {
		r.index[addr] = len(r.entries)
		r.entries = append(r.entries, c)
		return
	}
	oldest := 0
	for i := range r.entries {
		if r.entries[i].last.Before(r.entries[oldest].last) {
			oldest = i
		}
	}
	delete(r.index, r.entries[oldest].addr)
	r.entries[oldest] = c
	r.index[addr] = oldest
}

// bump adds a request to a known client; false when addr is not in the
// table. Called with r.mu held.
func (r *clientRing) bump(addr netip.Addr, member string, in, out uint64, now time.Time) bool {
	i, ok := r.index[addr]
	if !ok {
		return false
	}
	c := &r.entries[i]
	c.requests++
	c.bytesIn += in
	c.bytesOut += out
	c.last = now
	if member != "" {
		c.member = member
	}
	return true
}

// list returns the table, most recently seen first.
func (r *clientRing) list(route string, now time.Time) []ClientView {
	r.mu.Lock()
	copied := append([]recentClient(nil), r.entries...)
	r.mu.Unlock()
	sort.Slice(copied, func(i, j int) bool { return copied[i].last.After(copied[j].last) })
	out := make([]ClientView, 0, len(copied))
	for _, c := range copied {
		out = append(out, ClientView{
			Route: route, Client: c.addr.String(), Country: c.country, Member: c.member,
			Requests: c.requests, BytesIn: c.bytesIn, BytesOut: c.bytesOut,
			FirstSeenAt: c.first.UTC().Format(time.RFC3339Nano), LastSeenAt: c.last.UTC().Format(time.RFC3339Nano),
			AgeSeconds: int64(now.Sub(c.first).Seconds()),
		})
	}
	return out
}

// size is how many clients the table holds (for tests).
func (r *clientRing) size() (entries, indexed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries), len(r.index)
}

// listClients returns the recent clients of one route (all for "").
func (t *trafficRegistry) listClients(route string, now time.Time) []ClientView {
	t.mu.Lock()
	ids := make([]string, 0, len(t.routes))
	rts := make([]*routeTraffic, 0, len(t.routes))
	for id, rt := range t.routes {
		if route == "" || id == route {
			ids = append(ids, id)
			rts = append(rts, rt)
		}
	}
	t.mu.Unlock()
	out := []ClientView{}
	for i, rt := range rts {
		out = append(out, rt.clients.list(ids[i], now)...)
	}
	return out
}
