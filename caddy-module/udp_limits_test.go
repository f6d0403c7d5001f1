package gatehouse

import (
	"net"
	"os"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/gatehouse/gatehouse/caddy-module/internal/testnet"
)

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

func dropped(a *App, route, reason string) int {
	var m dto.Metric
	_ = a.metrics.udpDropped.WithLabelValues(route, reason).Write(&m)
	return int(m.GetCounter().GetValue())
}

// udpClients sends one datagram from each of n new client sockets bound
// to src and counts the ones answered; the sockets stay open until the
// test ends, as a flood's would.
func udpClients(t *testing.T, src string, n, port int) (answered int) {
	t.Helper()
	conns := make([]*net.UDPConn, n)
	for i := range conns {
		c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(src)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Write([]byte("hi")); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	deadline := time.Now().Add(500 * time.Millisecond)
	for _, c := range conns {
		_ = c.SetReadDeadline(deadline)
		buf := make([]byte, 64)
		if n, err := c.Read(buf); err == nil && string(buf[:n]) == "echo:hi" {
			answered++
		}
	}
	return answered
}

func TestUDPSessionCaps(t *testing.T) {
	echo, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, addr, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = echo.WriteTo(append([]byte("echo:"), buf[:n]...), addr)
		}
	}()
	const perRoute, perSource, clients = 12, 5, 30
	a := newTestApp(t, map[string]any{"udp_idle_timeout": "1500ms",
		"udp_max_sessions_per_route": perRoute, "udp_max_sessions_per_source": perSource})
	port := testnet.UnusedPort(t, "udp")
	mustPut(t, a, testSnapshot(1, l4Proxy("u", "udp", "none", nil, port, "udp/"+echo.LocalAddr().String())))
	base := openFDs(t)

	// one source, many source ports
	if got := udpClients(t, "127.0.0.1", clients, port); got != perSource {
		t.Errorf("one source: %d sessions answered, want the cap %d", got, perSource)
	}
	if got := dropped(a, "u", udpDropSourceLimit); got != clients-perSource {
		t.Errorf("source_limit drops = %d, want %d", got, clients-perSource)
	}
	// the module's own descriptors (each session's upstream socket) are
	// bounded by the cap: everything beyond is the test's client sockets
	if extra := openFDs(t) - base - clients; extra > perSource+4 {
		t.Errorf("%d descriptors beyond the clients' for %d sessions", extra, perSource)
	}

	// idle sessions give their places back
	waitSessions(t, a, "u", 0)

	// many sources, one session each
	conns := make([]*net.UDPConn, clients)
	for i := range conns {
		c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, byte(10+i))}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_, _ = c.Write([]byte("hi"))
		conns[i] = c
	}
	answered := 0
	deadline := time.Now().Add(500 * time.Millisecond)
	for _, c := range conns {
		_ = c.SetReadDeadline(deadline)
		buf := make([]byte, 64)
		if n, err := c.Read(buf); err == nil && string(buf[:n]) == "echo:hi" {
			answered++
		}
	}
	if answered != perRoute {
		t.Errorf("many sources: %d sessions answered, want the route cap %d", answered, perRoute)
	}
	if got := dropped(a, "u", udpDropRouteLimit); got != clients-perRoute {
		t.Errorf("route_limit drops = %d, want %d", got, clients-perRoute)
	}
	if extra := openFDs(t) - base - 2*clients; extra > perRoute+4 {
		t.Errorf("%d descriptors beyond the clients' for %d sessions", extra, perRoute)
	}
	waitSessions(t, a, "u", 0)
	if extra := openFDs(t) - base - 2*clients; extra > 4 {
		t.Errorf("%d descriptors left after every session went idle", extra)
	}
}

// waitSessions waits until the route has want open sessions.
func waitSessions(t *testing.T, a *App, route string, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, _ := a.udpSessions.sessions(route, sourceAddr(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}))
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("route %s: %d udp sessions, want %d", route, n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
