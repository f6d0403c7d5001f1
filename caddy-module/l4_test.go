package gatehouse

// L4 dispatch through module-owned sockets. Real: loopback TCP/UDP
// sockets, caddy-l4's proxy handler and TLS matcher, a crypto/tls
// ClientHello. Nothing is stubbed.

import (
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/caddy-module/internal/testnet"
)

// clientHello returns the first flight of a TLS client for serverName.
func clientHello(t *testing.T, serverName string) []byte {
	t.Helper()
	c1, c2 := net.Pipe()
	go func() {
		_ = tls.Client(c1, &tls.Config{ServerName: serverName, InsecureSkipVerify: true}).Handshake()
	}()
	buf := make([]byte, 16<<10)
	_ = c2.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := c2.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	c1.Close()
	c2.Close()
	return buf[:n]
}

// dialRead connects to port, sends payload and returns what comes back.
func dialRead(t *testing.T, port int, payload []byte) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 2*time.Second)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer c.Close()
	if payload != nil {
		if _, err := c.Write(payload); err != nil {
			return "write: " + err.Error()
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 64)
	n, _ := io.ReadAtLeast(c, buf, 1)
	return string(buf[:n])
}

func TestL4PortAndSNIDispatch(t *testing.T) {
	a := newTestApp(t, nil)
	plain, tlsPort := testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp")
	mustPut(t, a, testSnapshot(1,
		l4Proxy("plain", "tcp", "none", nil, plain, tagServer(t, "PLAIN")),
		l4Proxy("a", "tcp", "passthrough", []string{"a.test"}, tlsPort, tagServer(t, "A")),
		l4Proxy("b", "tcp", "passthrough", []string{"*.b.test"}, tlsPort, tagServer(t, "B")),
	))
	if got := dialRead(t, plain, []byte("hi")); got != "PLAIN" {
		t.Errorf("plain port: %q", got)
	}
	if got := dialRead(t, tlsPort, clientHello(t, "a.test")); got != "A" {
		t.Errorf("sni a.test: %q", got)
	}
	if got := dialRead(t, tlsPort, clientHello(t, "x.b.test")); got != "B" {
		t.Errorf("sni x.b.test: %q", got)
	}
	if got := dialRead(t, tlsPort, clientHello(t, "unknown.test")); got != "" {
		t.Errorf("unknown sni reached a target: %q", got)
	}
}

func TestL4DenialClosesBeforeTarget(t *testing.T) {
	a := newTestApp(t, nil)
	port := testnet.UnusedPort(t, "tcp")
	r := l4Proxy("d", "tcp", "none", nil, port, tagServer(t, "SECRET"))
	r["policy"] = obj{"default": "deny", "rules": arr{obj{"action": "allow", "conditions": arr{obj{"type": "peer", "values": arr{"3"}, "addresses": arr{"10.8.0.3"}}}}}}
	mustPut(t, a, testSnapshot(1, r))
	if got := dialRead(t, port, []byte("x")); got != "" {
		t.Errorf("denied client got %q", got)
	}
}

func TestL4NewPortOpensAndRemovedPortCloses(t *testing.T) {
	a := newTestApp(t, nil)
	p1, p2 := testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp")
	mustPut(t, a, testSnapshot(1, l4Proxy("1", "tcp", "none", nil, p1, tagServer(t, "ONE"))))
	mustPut(t, a, testSnapshot(2, l4Proxy("2", "tcp", "none", nil, p2, tagServer(t, "TWO"))))
	if got := dialRead(t, p2, nil); got != "TWO" {
		t.Errorf("new port: %q", got)
	}
	if _, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p1), time.Second); err == nil {
		t.Error("removed port still accepts")
	}
}

func TestL4PortInUseFailsTheWholeApply(t *testing.T) {
	a := newTestApp(t, nil)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free := testnet.UnusedPort(t, "tcp")
	mustPut(t, a, testSnapshot(1, staticRoute("1", "old", "a.test")))
	_, err = put(t, a, testSnapshot(2,
		l4Proxy("ok", "tcp", "none", nil, free, "127.0.0.1:1"),
		l4Proxy("busy", "tcp", "none", nil, busy.Addr().(*net.TCPAddr).Port, "127.0.0.1:1")))
	if !containsPath(fieldPaths(err), "routes[1].l4.ports[0].port") {
		t.Fatalf("want an error at the busy port, got %v", err)
	}
	if a.generation().version != 1 {
		t.Error("generation changed")
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(free), time.Second); err == nil {
		c.Close()
		t.Error("the free port of the rejected snapshot was left open")
	}
}

func TestL4UDPSessions(t *testing.T) {
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
	a := newTestApp(t, map[string]any{"udp_idle_timeout": "500ms"})
	port := testnet.UnusedPort(t, "udp")
	mustPut(t, a, testSnapshot(1, l4Proxy("u", "udp", "none", nil, port, "udp/"+echo.LocalAddr().String())))
	for _, client := range []string{"first", "second"} {
		c, err := net.Dial("udp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			msg := client + strconv.Itoa(i)
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 2048)
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != "echo:"+msg {
				t.Fatalf("%s: %q %v", msg, buf[:n], err)
			}
		}
		c.Close()
	}
	// idle sessions end
	deadline := time.Now().Add(5 * time.Second)
	for {
		a.mu.Lock()
		s := a.sockets[l4Key{"udp", port}].s.udp
		a.mu.Unlock()
		s.mu.Lock()
		n := len(s.clients)
		s.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d udp sessions still open after idle timeout", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
