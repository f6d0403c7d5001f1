package gatehouse

// Traffic per pool member, gateway per connection and the recent HTTP
// clients. Real: loopback TCP, caddy-l4's proxy with its round-robin
// selection, the app's HTTP guard and routes.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"

	"github.com/gatehouse/gatehouse/caddy-module/internal/testnet"
)

// tagServerOn is tagServer on a given loopback address, so that two
// members have two hosts.
func tagServerOn(t *testing.T, host, tag string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = c.Write([]byte(tag))
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				buf := make([]byte, 64)
				_, _ = c.Read(buf)
			}()
		}
	}()
	return ln.Addr().String()
}

func pooledL4(id string, port int, policy string, dials ...string) obj {
	ups := arr{}
	for _, d := range dials {
		ups = append(ups, obj{"dial": arr{d}})
	}
	return obj{"id": id, "policy": allowAll(), "l4": obj{"network": "tcp", "tls_mode": "none", "ports": arr{obj{"port": port, "handle": arr{
		obj{"handler": "proxy", "upstreams": ups, "load_balancing": obj{"selection": obj{"policy": policy}}},
	}}}}}
}

func memberCounts(a *App, route string) map[string]MemberTrafficView {
	out := map[string]MemberTrafficView{}
	for _, r := range a.traffic.list(route) {
		for _, m := range r.Members {
			out[m.Member] = m
		}
	}
	return out
}

func TestTrafficSharePerPoolMember(t *testing.T) {
	a := newTestApp(t, nil)
	port := testnet.UnusedPort(t, "tcp")
	one, two := tagServerOn(t, "127.0.0.1", "ONE"), tagServerOn(t, "127.0.0.2", "TWO")
	// least_conn with every connection held open spreads them evenly and
	// deterministically (caddy-l4's round_robin reads its counter without
	// an atomic load, which go test -race reports).
	mustPut(t, a, testSnapshot(1, pooledL4("pool", port, "least_conn", one, two)))
	const n = 40
	open := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range n {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
		buf := make([]byte, 3)
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ONE" && string(buf) != "TWO" {
			t.Fatalf("connection %d: %q %v", i, buf, err)
		}
	}
	for _, c := range open {
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	// The counters settle when the proxy's copies end.
	deadline := time.Now().Add(5 * time.Second)
	var got map[string]MemberTrafficView
	for time.Now().Before(deadline) {
		got = memberCounts(a, "pool")
		if got["127.0.0.1"].BytesIn+got["127.0.0.2"].BytesIn == 5*n {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got["127.0.0.1"].Connections != n/2 || got["127.0.0.2"].Connections != n/2 {
		t.Errorf("round robin over two members: want %d each, got %+v", n/2, got)
	}
	for _, host := range []string{"127.0.0.1", "127.0.0.2"} {
		if got[host].BytesIn != 5*n/2 || got[host].BytesOut != 3*n/2 {
			t.Errorf("%s bytes: want in %d out %d, got %+v", host, 5*n/2, 3*n/2, got[host])
		}
	}
	// A snapshot swap (a member leaving the rotation) keeps the counts.
	mustPut(t, a, testSnapshot(2, pooledL4("pool", port, "least_conn", two)))
	if c := memberCounts(a, "pool")["127.0.0.1"].Connections; c != n/2 {
		t.Errorf("after a swap: member 127.0.0.1 has %d connections, want %d", c, n/2)
	}
	// A route that leaves the snapshot leaves the table.
	mustPut(t, a, testSnapshot(3, staticRoute("web", "x", "web.test")))
	if l := a.traffic.list("pool"); len(l) != 0 {
		t.Errorf("removed route still counted: %+v", l)
	}
}

func TestLiveConnectionNamesItsGateway(t *testing.T) {
	a := newTestApp(t, nil)
	port := testnet.UnusedPort(t, "tcp")
	mustPut(t, a, testSnapshot(1, pooledL4("pool", port, "first", tagServerOn(t, "127.0.0.2", "TWO"))))
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 3)
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Read(buf); err != nil || string(buf) != "TWO" {
		t.Fatalf("read %q: %v", buf, err)
	}
	list := a.conns.list("pool", time.Now())
	if len(list) != 1 || list[0].Member != "127.0.0.2" {
		t.Fatalf("want one open connection through 127.0.0.2, got %+v", list)
	}
}

func TestMemberHost(t *testing.T) {
	for dial, want := range map[string]string{
		"10.8.0.2:8080": "10.8.0.2", "udp/10.8.0.2:53": "10.8.0.2", "[fd00::2]:80": "fd00::2",
		"tcp/[fd00::2]:80": "fd00::2", "backend.lan:443": "backend.lan", "no-port": "no-port", "": "",
	} {
		if got := memberHost(dial); got != want {
			t.Errorf("memberHost(%q) = %q, want %q", dial, got, want)
		}
	}
}

func TestMemberSlotsAreBoundedAndAllocationFree(t *testing.T) {
	var rt routeTraffic
	for i := range maxTrackedMembers + 10 {
		rt.member(fmt.Sprintf("10.8.0.%d", i)).conns.Add(1)
	}
	v := rt.view()
	if len(v) != maxTrackedMembers+1 || v[len(v)-1].Member != otherMember || v[len(v)-1].Connections != 10 {
		t.Fatalf("want %d slots and (other) with 10, got %d: %+v", maxTrackedMembers, len(v), v[len(v)-1])
	}
	host := "10.8.0.3"
	if allocs := testing.AllocsPerRun(100, func() { rt.member(host).add(1, 1) }); allocs != 0 {
		t.Errorf("counting a known member allocates %v times", allocs)
	}
	// Concurrent first sights of one host claim one slot.
	var fresh routeTraffic
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); fresh.member("10.9.0.1").conns.Add(1) }()
	}
	wg.Wait()
	if v := fresh.view(); len(v) != 1 || v[0].Connections != 8 {
		t.Errorf("concurrent first sight: %+v", v)
	}
}

func TestRecentClientsStayBounded(t *testing.T) {
	var r clientRing
	start := time.Unix(1_700_000_000, 0)
	lookups := 0
	countries := countryFunc(func(netip.Addr) string { lookups++; return "DE" })
	const many = 20_000
	addrOf := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
	for i := range many {
		addr := addrOf(i)
		r.seen(addr, "10.8.0.2", 10, 20, start.Add(time.Duration(i)*time.Millisecond), countries)
	}
	if e, idx := r.size(); e != recentClientsPerRoute || idx != recentClientsPerRoute {
		t.Fatalf("after %d clients: %d entries, %d indexed; want %d", many, e, idx, recentClientsPerRoute)
	}
	if lookups != many {
		t.Errorf("country lookups: %d, want one per new client (%d)", lookups, many)
	}
	list := r.list("r", start.Add(time.Hour))
	newest := addrOf(many - 1)
	if list[0].Client != newest.String() || list[0].Country != "DE" || list[0].Member != "10.8.0.2" {
		t.Errorf("newest first: %+v", list[0])
	}
	// A known client is counted in place: no lookup, no allocation.
	before := lookups
	at := start.Add(time.Hour)
	if allocs := testing.AllocsPerRun(100, func() { r.seen(newest, "10.8.0.3", 1, 2, at, countries) }); allocs != 0 {
		t.Errorf("a known client's request allocates %v times", allocs)
	}
	if lookups != before {
		t.Error("a known client was looked up again")
	}
	got := r.list("r", at)[0]
	if got.Requests != 102 || got.BytesIn != 10+101 || got.Member != "10.8.0.3" {
		t.Errorf("known client: %+v", got)
	}
	// The least recently seen leave first: 99 newcomers evict the 99 older
	// entries, and the client just bumped stays.
	for i := range recentClientsPerRoute - 1 {
		r.seen(netip.AddrFrom4([4]byte{11, 0, 0, byte(i)}), "", 0, 0, at.Add(time.Second), nil)
	}
	if l := r.list("r", at); l[len(l)-1].Client != newest.String() {
		t.Errorf("the recently bumped client should be the oldest left, got %+v", l[len(l)-1])
	}
}

func TestHTTPRecentClientsThroughTheGuard(t *testing.T) {
	a := newTestApp(t, nil)
	mustPut(t, a, testSnapshot(1, staticRoute("web", "hello", "web.test")))
	for range 3 {
		serve(a, "web.test", "192.0.2.7")
	}
	serve(a, "web.test", "192.0.2.8")
	list := a.traffic.listClients("web", time.Now())
	if len(list) != 2 || list[0].Client != "192.0.2.8" || list[1].Requests != 3 || list[1].BytesOut != 3*5 {
		t.Fatalf("recent clients: %+v", list)
	}
	// The route answered itself: no member is counted.
	if m := memberCounts(a, "web"); len(m) != 0 {
		t.Errorf("members of a static route: %+v", m)
	}
}

func TestHTTPMemberIsTheRoutesOwnProxy(t *testing.T) {
	a := newTestApp(t, nil)
	proxy := func(dial string) obj {
		return obj{"handler": "reverse_proxy", "upstreams": arr{obj{"dial": dial}}}
	}
	// The nested proxy stands for the route-auth handlers' call to the control plane (src/caddy/route-auth.ts).
	mustPut(t, a, testSnapshot(1, obj{"id": "login", "policy": allowAll(), "http": obj{"hosts": arr{"login.test"}, "handle": arr{
		obj{"handler": "subroute", "routes": arr{obj{"handle": arr{proxy("127.0.0.1:9")}}}},
		proxy("127.0.0.2:8080"),
	}}}))
	e := a.generation().hosts["login.test"]
	hs := e.unit.http.Handlers
	own, ok := hs[1].(*reverseproxy.Handler)
	if !ok {
		t.Fatalf("handler 1 is %T", hs[1])
	}
	if _, wrapped := own.LoadBalancing.SelectionPolicy.(httpMemberSelector); !wrapped {
		t.Fatalf("the route's own proxy is not wrapped: %T", own.LoadBalancing.SelectionPolicy)
	}
	nested := hs[0].(*caddyhttp.Subroute).Routes[0].Handlers[0].(*reverseproxy.Handler)
	if _, wrapped := nested.LoadBalancing.SelectionPolicy.(httpMemberSelector); wrapped {
		t.Fatal("the nested proxy is wrapped: a login page would count on the control plane's address")
	}

	req := httptest.NewRequest(http.MethodGet, "http://login.test/", nil)
	req = req.WithContext(context.WithValue(req.Context(), caddyhttp.VarsCtxKey, map[string]any{}))
	if got := chosenMember(req); got != "" {
		t.Fatalf("before any choice: %q", got)
	}
	a.countHTTP(req, e, netip.MustParseAddr("192.0.2.9"), 10, 20, time.Now())
	if m := memberCounts(a, "login"); len(m) != 0 {
		t.Errorf("a request no member served was counted on one: %+v", m)
	}
	if u := own.LoadBalancing.SelectionPolicy.Select(own.Upstreams, req, httptest.NewRecorder()); u == nil {
		t.Fatal("no upstream selected")
	}
	if got := chosenMember(req); got != "127.0.0.2" {
		t.Fatalf("chosen member %q", got)
	}
	a.countHTTP(req, e, netip.MustParseAddr("192.0.2.9"), 10, 20, time.Now())
	if m := memberCounts(a, "login"); m["127.0.0.2"].Connections != 1 || m["127.0.0.2"].BytesOut != 20 {
		t.Errorf("members: %+v", m)
	}
	c := a.traffic.listClients("login", time.Now())
	if len(c) != 1 || c[0].Requests != 2 || c[0].Member != "127.0.0.2" {
		t.Errorf("recent clients: %+v", c)
	}
}

type countryFunc func(netip.Addr) string

func (f countryFunc) Country(a netip.Addr) string { return f(a) }
