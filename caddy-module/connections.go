package gatehouse

import (
	"net"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// liveConns tracks the L4 connections and UDP sessions the guard let
// through, while they are open (issue 19): the admin API lists them per
// route and closes one (admin_connections.go). Entries are removed when the
// handler chain returns, so the table holds open connections only.
type liveConns struct {
	mu   sync.Mutex
	next uint64
	m    map[uint64]*liveConn
}

// liveConn is one open connection. Bytes count what passed the guard's
// wrapper: client to target (in) and target to client (out); a UDP session
// is not wrapped (its packet framing belongs to caddy-l4), so it counts none.
type liveConn struct {
	id       uint64
	route    string
	network  string
	client   netip.Addr
	country  string
	started  time.Time
	bytesIn  atomic.Uint64
	bytesOut atomic.Uint64
	close    func() error
	// traffic is the route's counters; member its slot for the upstream
	// the proxy chose (l4_member.go), nil until it chose one.
	traffic *routeTraffic
	member  atomic.Pointer[memberTraffic]
}

// ConnView is a live connection as the admin API shows it.
type ConnView struct {
	ID         uint64 `json:"id"`
	Route      string `json:"route"`
	Network    string `json:"network"`
	Client     string `json:"client"`
	Country    string `json:"country,omitempty"`
	StartedAt  string `json:"started_at"`
	AgeSeconds int64  `json:"age_seconds"`
	BytesIn    uint64 `json:"bytes_in"`
	BytesOut   uint64 `json:"bytes_out"`
	// Member is the upstream host (a gateway's tunnel address) the
	// connection goes through; empty until the proxy has chosen one.
	Member string `json:"member,omitempty"`
}

// maxListedConns bounds one listing (the newest are shown).
const maxListedConns = 10_000

func (l *liveConns) add(c *liveConn) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = make(map[uint64]*liveConn)
	}
	l.next++
	c.id = l.next
	l.m[c.id] = c
	return c.id
}

func (l *liveConns) remove(id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, id)
}

// list returns the open connections of one route (all routes for ""),
// newest first, at most maxListedConns.
func (l *liveConns) list(route string, now time.Time) []ConnView {
	l.mu.Lock()
	out := make([]ConnView, 0, len(l.m))
	for _, c := range l.m {
		if route != "" && c.route != route {
			continue
		}
		out = append(out, ConnView{
			ID: c.id, Route: c.route, Network: c.network, Client: c.client.String(), Country: c.country,
			StartedAt: c.started.UTC().Format(time.RFC3339Nano), AgeSeconds: int64(now.Sub(c.started).Seconds()),
			BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(), Member: c.memberName(),
		})
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	if len(out) > maxListedConns {
		out = out[:maxListedConns]
	}
	return out
}

// memberName is the upstream host the connection goes through, or "".
func (c *liveConn) memberName() string {
	if m := c.member.Load(); m != nil {
		if k := m.key.Load(); k != nil {
			return *k
		}
		return otherMember
	}
	return ""
}

// closeConn closes one open connection; false when there is none by that id.
func (l *liveConns) closeConn(id uint64) bool {
	l.mu.Lock()
	c, ok := l.m[id]
	l.mu.Unlock()
	if !ok {
		return false
	}
	_ = c.close()
	return true
}

// liveCountingConn counts the bytes of a tracked TCP connection for the
// connections list.
type liveCountingConn struct {
	net.Conn
	c *liveConn
}

func (cc *liveCountingConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	cc.c.bytesIn.Add(uint64(n)) //nolint:gosec // n >= 0
	if m := cc.c.member.Load(); m != nil {
		m.add(uint64(n), 0) //nolint:gosec // n >= 0
	}
	return n, err
}

func (cc *liveCountingConn) Write(p []byte) (int, error) {
	n, err := cc.Conn.Write(p)
	cc.c.bytesOut.Add(uint64(n)) //nolint:gosec // n >= 0
	if m := cc.c.member.Load(); m != nil {
		m.add(0, uint64(n)) //nolint:gosec // n >= 0
	}
	return n, err
}

// liveCountingTCPConn keeps CloseWrite visible, as countingTCPConn does for
// the access log: caddy-l4's proxy half-closes the client side through it.
type liveCountingTCPConn struct{ *liveCountingConn }

func (c liveCountingTCPConn) CloseWrite() error {
	return c.Conn.(interface{ CloseWrite() error }).CloseWrite()
}
