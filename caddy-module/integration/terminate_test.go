package integration

// A terminate-mode L4 route on a port the module owns, through the real
// binary: caddy-l4's tls handler is provisioned in the route's child
// context and gets its certificate on demand from Caddy's internal issuer,
// which the gatehouse permission allows for the route's server names only.
// Real: the binary, its local CA (fetched from the admin API), loopback
// sockets. Simulated: nothing.

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/caddy-module/internal/testnet"
)

func TestTerminateOnModulePort(t *testing.T) {
	in := startCaddy(t, t.TempDir(), testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp"))
	port := testnet.UnusedPort(t, "tcp")
	terminate := func(id string, names arr, dial string) obj {
		return obj{"id": id, "policy": allowAll, "l4": obj{"network": "tcp", "tls_mode": "terminate", "server_names": names,
			"ports": arr{obj{"port": port, "handle": arr{
				obj{"handler": "tls"},
				obj{"handler": "proxy", "upstreams": arr{obj{"dial": arr{dial}}}},
			}}}}}
	}
	wild := terminate("term", arr{"term.test", "*.wild.test"}, tcpEcho(t))
	wild["tls_names"] = arr{"a.wild.test"}
	in.mustPut(obj{"version": 1, "routes": arr{
		wild,
		terminate("other", arr{"other.test"}, lineTagger(t, "OTHER ")),
	}})

	code, ca, _ := in.do("GET", "/pki/ca/local", nil)
	roots := x509.NewCertPool()
	if pem, _ := ca["root_certificate"].(string); code != 200 || !roots.AppendCertsFromPEM([]byte(pem)) {
		t.Fatalf("local CA: %d %v", code, ca)
	}
	dial := func(sni string) (*tls.Conn, error) {
		d := &net.Dialer{Timeout: 5 * time.Second}
		c, err := tls.DialWithDialer(d, "tcp", "127.0.0.1:"+strconv.Itoa(port), &tls.Config{ServerName: sni, RootCAs: roots})
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		}
		return c, err
	}

	for _, sni := range []string{"term.test", "a.wild.test"} {
		c, err := dial(sni)
		if err != nil {
			t.Fatalf("%s: handshake: %v", sni, err)
		}
		cert := c.ConnectionState().PeerCertificates[0]
		if cert.VerifyHostname(sni) != nil {
			t.Errorf("%s: certificate for %v", sni, cert.DNSNames)
		}
		// the TLS is terminated here: the echo backend sees plain bytes
		if err := (&lineConn{c: c, r: bufio.NewReader(c)}).roundTrip("through " + sni); err != nil {
			t.Errorf("%s: %v", sni, err)
		}
		c.Close()
	}

	// the other route on the same port is chosen by its SNI
	c, err := dial("other.test")
	if err != nil {
		t.Fatalf("other.test: handshake: %v", err)
	}
	_, _ = c.Write([]byte("hi\n"))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "OTHER hi\n" {
		t.Errorf("other.test: %q %v", line, err)
	}
	c.Close()

	// a name no route has is not routed, and gets no certificate
	if c, err := dial("evil.test"); err == nil {
		c.Close()
		t.Error("evil.test: handshake succeeded")
	}
	// a name under the wildcard that its tls_names do not list gets none
	if c, err := dial("b.wild.test"); err == nil {
		c.Close()
		t.Error("b.wild.test: a name the route does not list got a certificate")
	}
	if c, err := dial("deep.a.wild.test"); err == nil {
		c.Close()
		t.Error("deep.a.wild.test: a wildcard covers one label only")
	}
}

// lineTagger answers each line with tag + line, in plain text.
func lineTagger(t *testing.T, tag string) string {
	return serveTCP(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			_, _ = c.Write([]byte(tag + line))
		}
	})
}
