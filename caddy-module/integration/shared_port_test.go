package integration

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/caddy-module/internal/testnet"
)

// tagBackend answers a connection that starts with a TLS record with tag.
func tagBackend(t *testing.T, tag string) string {
	return serveTCP(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 16<<10)
		if n, _ := c.Read(buf); n > 0 && buf[0] == 0x16 {
			_, _ = c.Write([]byte(tag))
		}
	})
}

// captureHello returns a TLS client's first flight for serverName.
func captureHello(t *testing.T, serverName string) []byte {
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	go func() { _ = tls.Client(c1, &tls.Config{ServerName: serverName, InsecureSkipVerify: true}).Handshake() }()
	buf := make([]byte, 16<<10)
	_ = c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := c2.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

func TestSharedHTTPSPort(t *testing.T) {
	in := startCaddy(t, t.TempDir(), testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp"))
	pt := obj{"id": "pt", "policy": allowAll, "l4": obj{"network": "tcp", "tls_mode": "passthrough", "server_names": arr{"pt.test"},
		"ports": arr{obj{"port": in.tlsPort, "handle": arr{obj{"handler": "proxy", "upstreams": arr{obj{"dial": arr{tagBackend(t, "PASSTHROUGH")}}}}}}}}}
	in.mustPut(obj{"version": 1, "routes": arr{staticRoute("web", "web over tls", "web.test"), pt}})
	addr := "127.0.0.1:" + strconv.Itoa(in.tlsPort)

	// a known passthrough SNI reaches its target with the ClientHello intact
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write(captureHello(t, "pt.test"))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(io.LimitReader(c, 64))
	if string(got) != "PASSTHROUGH" {
		t.Errorf("passthrough: %q", got)
	}

	// any other SNI falls through to the HTTP server, which gets an
	// on-demand certificate only for names of the snapshot
	get := func(sni string) (int, string, error) {
		client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: sni},
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "tcp", addr)
			},
		}}
		resp, err := client.Get("https://" + sni + "/")
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	if code, body, err := get("web.test"); err != nil || code != 200 || body != "web over tls" {
		t.Errorf("https web.test: %d %q %v", code, body, err)
	}
	if _, _, err := get("evil.test"); err == nil {
		t.Error("https evil.test: handshake succeeded; on-demand permission should refuse a certificate")
	}
}
