package gatehouse

import (
	"net"
	"net/netip"
	"sync"
)

// Every UDP session of a module-owned port costs a goroutine and, once
// caddy-l4's proxy dials the upstream, a socket. Anyone can open sessions
// by sending one datagram from a new source port, so they are capped per
// route (over all its ports) and per source address (over all routes);
// a datagram that would open a session beyond a cap is dropped and counted
// in gatehouse_udp_sessions_dropped_total{route,reason}. Sessions end, and
// give their place back, after App.UDPIdleTimeout without a datagram from
// their client.

// Reasons a new UDP session is refused (the reason label of the metric).
const (
	udpDropRouteLimit  = "route_limit"
	udpDropSourceLimit = "source_limit"
)

// udpSessionCounter counts the open UDP sessions of an app. A session
// released after a config reload gives its place back to the app that
// admitted it; the new app's counts start at zero, so for one idle timeout
// after a reload a route may hold up to twice its cap.
type udpSessionCounter struct {
	mu       sync.Mutex
	byRoute  map[string]int
	bySource map[netip.Addr]int
}

func newUDPSessionCounter() *udpSessionCounter {
	return &udpSessionCounter{byRoute: make(map[string]int), bySource: make(map[netip.Addr]int)}
}

// admit takes a place for a session of route from src; reason is "" when
// it got one, else which cap is full.
func (c *udpSessionCounter) admit(route string, src netip.Addr, perRoute, perSource int) (reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.byRoute[route] >= perRoute:
		return udpDropRouteLimit
	case c.bySource[src] >= perSource:
		return udpDropSourceLimit
	}
	c.byRoute[route]++
	c.bySource[src]++
	return ""
}

// release gives a place back; empty entries are deleted, so the maps
// hold only sources and routes with open sessions.
func (c *udpSessionCounter) release(route string, src netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byRoute[route]--; c.byRoute[route] <= 0 {
		delete(c.byRoute, route)
	}
	if c.bySource[src]--; c.bySource[src] <= 0 {
		delete(c.bySource, src)
	}
}

// sessions reports the open sessions of a route and of a source, for tests.
func (c *udpSessionCounter) sessions(route string, src netip.Addr) (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byRoute[route], c.bySource[src]
}

// sourceAddr is the client address a cap counts: the IP, IPv4-mapped
// IPv6 unmapped, so that both spellings count as one source.
func sourceAddr(addr net.Addr) netip.Addr {
	if ua, ok := addr.(*net.UDPAddr); ok {
		return ua.AddrPort().Addr().Unmap()
	}
	if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// admitUDP decides whether a datagram from a new client of the socket may
// open a session, under the owner app's caps for the route the socket
// serves now; release gives the place back when the session ends.
func (s *ownedSocket) admitUDP(addr net.Addr) (release func(), ok bool) {
	a := s.owner()
	if a == nil || a.udpSessions == nil {
		return nil, false
	}
	route := ""
	if g := a.generation(); g != nil {
		if t := g.l4[s.key]; t != nil && t.none != nil {
			route = t.none.route.id
		}
	}
	src := sourceAddr(addr)
	counter := a.udpSessions
	if reason := counter.admit(route, src, a.UDPMaxSessionsPerRoute, a.UDPMaxSessionsPerSource); reason != "" {
		if a.metrics != nil {
			a.metrics.udpDropped.WithLabelValues(route, reason).Inc()
		}
		return nil, false
	}
	return func() { counter.release(route, src) }, true
}
