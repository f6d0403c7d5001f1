// Package testnet holds the network helpers the module's tests share (the
// unit tests of package gatehouse and the integration tests against a
// built caddy binary).
package testnet

import (
	"net"
	"testing"
)

// UnusedPort returns a loopback port on network ("tcp" or "udp") that no
// socket holds right now, for a listener the code under test opens itself.
func UnusedPort(t testing.TB, network string) int {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
