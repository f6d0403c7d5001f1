package gatehouse

import (
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Traffic share per pool member (issue 19): for every route, how many new
// connections (L4) or requests (HTTP) and how many bytes went through each
// upstream host, counted since the data plane started. A member is an
// upstream's host: a gateway's tunnel address for a gateway route (the
// control plane names the gateway), the host of a direct upstream else.
// The hot path takes no lock: a member's slot is found by a scan of at
// most maxTrackedMembers atomically published keys, and counted with
// atomic adds.

// maxTrackedMembers is how many distinct upstream hosts a route counts
// separately; a pool has at most 8 members (src/pool/schema.ts), and a
// direct route's load-balanced upstreams are listed in its snapshot. More
// hosts than this (only after many target changes) share one "other" slot.
const maxTrackedMembers = 16

// otherMember names the shared slot in the admin API.
const otherMember = "(other)"

// trafficRegistry holds each route's counters across snapshot swaps: a
// generation's routeInfo points at its route's routeTraffic, so that a
// swap (a member leaving the rotation is one) does not reset the counts.
type trafficRegistry struct {
	mu      sync.Mutex
	routes  map[string]*routeTraffic
	started time.Time
}

// routeTraffic is one route's counters and, for an HTTP route, its recent
// clients.
type routeTraffic struct {
	members [maxTrackedMembers]memberTraffic
	other   memberTraffic
	clients clientRing
}

// memberTraffic counts one upstream host of a route. key is nil until the
// slot is claimed, then never changes.
type memberTraffic struct {
	key      atomic.Pointer[string]
	conns    atomic.Uint64
	bytesIn  atomic.Uint64
	bytesOut atomic.Uint64
}

// MemberTrafficView is one member's counters as the admin API shows them.
type MemberTrafficView struct {
	Member      string `json:"member"`
	Connections uint64 `json:"connections"`
	BytesIn     uint64 `json:"bytes_in"`
	BytesOut    uint64 `json:"bytes_out"`
}

// RouteTrafficView is one route's members.
type RouteTrafficView struct {
	Route   string              `json:"route"`
	Members []MemberTrafficView `json:"members"`
}

// start marks when counting began (the app's start).
func (t *trafficRegistry) start(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.started = now
}

// since is when counting began.
func (t *trafficRegistry) since() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.started
}

// get returns the route's counters, creating them on first sight.
func (t *trafficRegistry) get(route string) *routeTraffic {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.routes == nil {
		t.routes = make(map[string]*routeTraffic)
	}
	rt := t.routes[route]
	if rt == nil {
		rt = new(routeTraffic)
		t.routes[route] = rt
	}
	return rt
}

// keep drops the counters of routes no longer in the applied snapshot.
func (t *trafficRegistry) keep(routes map[string]*routeInfo) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id := range t.routes {
		if _, ok := routes[id]; !ok {
			delete(t.routes, id)
		}
	}
}

// list returns the counters of one route (all for ""), by route id.
func (t *trafficRegistry) list(route string) []RouteTrafficView {
	t.mu.Lock()
	ids := make([]string, 0, len(t.routes))
	rts := make(map[string]*routeTraffic, len(t.routes))
	for id, rt := range t.routes {
		if route == "" || id == route {
			ids = append(ids, id)
			rts[id] = rt
		}
	}
	t.mu.Unlock()
	sort.Strings(ids)
	out := make([]RouteTrafficView, 0, len(ids))
	for _, id := range ids {
		out = append(out, RouteTrafficView{Route: id, Members: rts[id].view()})
	}
	return out
}

// member finds (or claims) host's slot. Only a host seen for the first
// time allocates (its key).
func (rt *routeTraffic) member(host string) *memberTraffic {
	for i := range rt.members {
		m := &rt.members[i]
		k := m.key.Load()
		if k == nil {
			s := strings.Clone(host)
			if m.key.CompareAndSwap(nil, &s) {
				return m
			}
			k = m.key.Load() // another connection claimed it first
		}
		if *k == host {
			return m
		}
	}
	return &rt.other
}

// view lists the claimed slots (and "other" when it counted anything).
func (rt *routeTraffic) view() []MemberTrafficView {
	out := []MemberTrafficView{}
	for i := range rt.members {
		m := &rt.members[i]
		k := m.key.Load()
		if k == nil {
			break // slots are claimed in order
		}
		out = append(out, m.viewAs(*k))
	}
	if rt.other.conns.Load() > 0 {
		out = append(out, rt.other.viewAs(otherMember))
	}
	return out
}

func (m *memberTraffic) viewAs(name string) MemberTrafficView {
	return MemberTrafficView{Member: name, Connections: m.conns.Load(), BytesIn: m.bytesIn.Load(), BytesOut: m.bytesOut.Load()}
}

// add counts bytes each way.
func (m *memberTraffic) add(in, out uint64) {
	if in > 0 {
		m.bytesIn.Add(in)
	}
	if out > 0 {
		m.bytesOut.Add(out)
	}
}

// memberHost is the host of an upstream dial address ("udp/10.8.0.2:53",
// "10.8.0.2:8080", "[fd00::2]:80"), a substring of it: nothing allocates.
func memberHost(dial string) string {
	if i := strings.IndexByte(dial, '/'); i >= 0 {
		dial = dial[i+1:]
	}
	if host, _, err := net.SplitHostPort(dial); err == nil {
		return host
	}
	return dial
}

// countHTTP counts an allowed request: on the member the route's proxy
// chose (http_member.go; none when the route answered itself, e.g. its
// login page) and in the route's recent clients.
func (a *App) countHTTP(r *http.Request, e *httpEntry, client netip.Addr, in, out int64, now time.Time) {
	t := e.route.traffic
	if t == nil {
		return
	}
	member := chosenMember(r)
	bytesIn, bytesOut := uint64(max(in, 0)), uint64(max(out, 0)) //nolint:gosec // not negative
	if member != "" {
		m := t.member(member)
		m.conns.Add(1)
		m.add(bytesIn, bytesOut)
	}
	var countries countryLookup
	if a.countries != nil {
		countries = a.countries
	}
	t.clients.seen(client, member, bytesIn, bytesOut, now, countries)
}
