package integration

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/caddy-module/internal/testnet"
)

type obj = map[string]any
type arr = []any

// allowAll is the policy that lets everyone in.
var allowAll = obj{"default": "allow"}

func staticRoute(id, body string, hosts ...string) obj {
	return obj{"id": id, "policy": allowAll, "http": obj{"hosts": hosts, "handle": arr{obj{"handler": "static_response", "body": body}}}}
}

func proxyRoute(id, host, dial string) obj {
	return obj{"id": id, "policy": allowAll, "http": obj{"hosts": arr{host}, "handle": arr{obj{"handler": "reverse_proxy", "upstreams": arr{obj{"dial": dial}}}}}}
}

func l4Route(id, network string, port int, dial string) obj {
	return obj{"id": id, "policy": allowAll, "l4": obj{"network": network, "tls_mode": "none", "ports": arr{obj{"port": port, "handle": arr{
		obj{"handler": "proxy", "upstreams": arr{obj{"dial": arr{dial}}}}}}}}}
}

// tcpEcho echoes every line back.
func tcpEcho(t *testing.T) string {
	return serveTCP(t, func(c net.Conn) { _, _ = io.Copy(c, c) })
}

// serveTCP listens on a loopback port for the test's lifetime and runs handle for each connection (closing
// it afterwards); it returns the address.
func serveTCP(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
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
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// udpEcho answers every datagram with "echo:" + datagram.
func udpEcho(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(append([]byte("echo:"), buf[:n]...), addr)
		}
	}()
	return pc.LocalAddr().String()
}

// wsBackend accepts an HTTP Upgrade: websocket request, answers 101 and
// then echoes raw bytes (framing is irrelevant to the proxy).
func wsBackend(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			fmt.Fprint(w, "plain")
			return
		}
		c, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
		_, _ = io.Copy(c, rw)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// lineConn round-trips lines over a stream.
type lineConn struct {
	c net.Conn
	r *bufio.Reader
}

func (l *lineConn) roundTrip(msg string) error {
	_ = l.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := l.c.Write([]byte(msg + "\n")); err != nil {
		return err
	}
	got, err := l.r.ReadString('\n')
	if err != nil {
		return err
	}
	if got != msg+"\n" {
		return fmt.Errorf("got %q, want %q", got, msg)
	}
	return nil
}

func udpRoundTrip(c net.Conn, msg string) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		return err
	}
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "echo:"+msg {
		return fmt.Errorf("got %q", buf[:n])
	}
	return nil
}

func TestStreamsSurviveHundredSwaps(t *testing.T) {
	in := startCaddy(t, t.TempDir(), testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp"))
	tcpPort, udpPort := testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "udp")
	base := arr{
		proxyRoute("ws", "ws.test", wsBackend(t)),
		l4Route("tcp", "tcp", tcpPort, tcpEcho(t)),
		l4Route("udp", "udp", udpPort, "udp/"+udpEcho(t)),
	}
	in.mustPut(obj{"version": 1, "routes": base})

	tc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(tcpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tcp := &lineConn{c: tc, r: bufio.NewReader(tc)}

	wc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(in.httpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()
	fmt.Fprint(wc, "GET /chat HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	wr := bufio.NewReader(wc)
	_ = wc.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(wr, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	ws := &lineConn{c: wc, r: wr}

	uc, err := net.Dial("udp", "127.0.0.1:"+strconv.Itoa(udpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()

	check := func(step int) {
		t.Helper()
		if err := tcp.roundTrip("tcp " + strconv.Itoa(step)); err != nil {
			t.Fatalf("tcp after %d swaps: %v", step, err)
		}
		if err := ws.roundTrip("ws " + strconv.Itoa(step)); err != nil {
			t.Fatalf("websocket after %d swaps: %v", step, err)
		}
		if err := udpRoundTrip(uc, "udp "+strconv.Itoa(step)); err != nil {
			t.Fatalf("udp after %d swaps: %v", step, err)
		}
	}
	check(0)
	for v := 2; v <= 101; v++ {
		routes := append(arr{}, base...)
		routes = append(routes, staticRoute("extra", "gen "+strconv.Itoa(v), fmt.Sprintf("extra%d.test", v%7)))
		in.mustPut(obj{"version": v, "routes": routes})
		if v%10 == 0 {
			check(v)
		}
	}
	// past the grace period, the retired generations are gone; the
	// streams ran on units every generation shared, so they live on
	time.Sleep(1500 * time.Millisecond)
	check(1000)
	if code, body := in.get("extra3.test", nil); code != 200 || body != "gen 101" {
		t.Errorf("latest route: %d %q", code, body)
	}
}

func TestNewPortWithoutReload(t *testing.T) {
	in := startCaddy(t, t.TempDir(), testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp"))
	in.mustPut(obj{"version": 1, "routes": arr{staticRoute("1", "one", "a.test")}})
	_, _, h1 := in.do("GET", "/config/", nil)
	port := testnet.UnusedPort(t, "tcp")
	in.mustPut(obj{"version": 2, "routes": arr{staticRoute("1", "one", "a.test"), l4Route("new", "tcp", port, tcpEcho(t))}})
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := (&lineConn{c: c, r: bufio.NewReader(c)}).roundTrip("hello"); err != nil {
		t.Fatal(err)
	}
	_, _, h2 := in.do("GET", "/config/", nil)
	if h1.Get("Etag") == "" || h1.Get("Etag") != h2.Get("Etag") {
		t.Errorf("caddy config changed: etag %q → %q", h1.Get("Etag"), h2.Get("Etag"))
	}
	_, health, _ := in.do("GET", "/gatehouse/v1/health", nil)
	if health["status"] != "ok" {
		t.Errorf("health: %v", health)
	}
}

func TestRejectedSnapshotLeavesOldServing(t *testing.T) {
	in := startCaddy(t, t.TempDir(), testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp"))
	in.mustPut(obj{"version": 1, "routes": arr{staticRoute("1", "old", "a.test")}})
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	code, body, _ := in.do("PUT", "/gatehouse/v1/state", obj{"version": 2, "routes": arr{
		staticRoute("1", "new", "a.test"),
		staticRoute("2", "new", "b.test"),
		obj{"id": "3", "policy": allowAll, "http": obj{"hosts": arr{"c.test"}, "handle": arr{obj{"handler": "no_such_handler"}}}},
		l4Route("4", "tcp", busy.Addr().(*net.TCPAddr).Port, "127.0.0.1:1"),
	}})
	errs := fmt.Sprint(body["errors"])
	if code != 422 || !strings.Contains(errs, "routes[2].http.handle") || !strings.Contains(errs, "routes[3].l4.ports[0].port") {
		t.Fatalf("want 422 naming routes[2] and routes[3], got %d %v", code, body)
	}
	if code, b := in.get("a.test", nil); code != 200 || b != "old" {
		t.Errorf("a.test: %d %q", code, b)
	}
	if code, _ := in.get("b.test", nil); code != 404 {
		t.Errorf("b.test: %d, want 404", code)
	}
	_, state, _ := in.do("GET", "/gatehouse/v1/state", nil)
	if state["version"] != 1.0 {
		t.Errorf("state: %v", state)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	httpPort, tlsPort, l4Port := testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp")
	in := startCaddy(t, dir, httpPort, tlsPort)
	in.mustPut(obj{"version": 42, "routes": arr{staticRoute("1", "persisted", "a.test"), l4Route("2", "tcp", l4Port, tcpEcho(t))}})
	info, err := os.Stat(dir + "/state.json")
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", info, err)
	}
	in.kill()
	in = startCaddy(t, dir, httpPort, tlsPort)
	if code, b := in.get("a.test", nil); code != 200 || b != "persisted" {
		t.Fatalf("after restart, before any PUT: %d %q", code, b)
	}
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(l4Port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := (&lineConn{c: c, r: bufio.NewReader(c)}).roundTrip("still here"); err != nil {
		t.Fatal(err)
	}
	_, state, _ := in.do("GET", "/gatehouse/v1/state", nil)
	if state["version"] != 42.0 {
		t.Errorf("state: %v", state)
	}
}

func TestSpoofedForwardedForDoesNotPassIPFilter(t *testing.T) {
	in := startCaddy(t, t.TempDir(), testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp"))
	r := staticRoute("1", "secret", "a.test")
	r["policy"] = obj{"default": "deny", "rules": arr{obj{"action": "allow", "conditions": arr{obj{"type": "cidr", "values": arr{"10.0.0.0/8"}}}}}}
	open := staticRoute("2", "open", "b.test")
	open["policy"] = obj{"default": "allow", "rules": arr{obj{"action": "deny", "conditions": arr{obj{"type": "ip", "values": arr{"127.0.0.1"}}}}}}
	in.mustPut(obj{"version": 1, "routes": arr{r, open}})
	spoof := http.Header{"X-Forwarded-For": {"10.1.2.3"}, "X-Real-Ip": {"10.1.2.3"}, "Forwarded": {"for=10.1.2.3"}}
	if code, b := in.get("a.test", spoof); code != 403 {
		t.Errorf("spoofed whitelist: %d %q", code, b)
	}
	if code, _ := in.get("b.test", http.Header{"X-Forwarded-For": {"192.0.2.1"}}); code != 403 {
		t.Errorf("spoofed away from a blacklist: %d", code)
	}
	_, ex, _ := in.do("GET", "/gatehouse/v1/explain?route=1&ip=10.1.2.3", nil)
	if d, _ := ex["decision"].(map[string]any); d["allowed"] != true {
		t.Errorf("explain for a whitelisted ip: %v", ex)
	}
}
