package gatehouse

import (
	"net"
	"strings"
)

// hostOnly strips a port from a Host header value. The common forms
// ("name", "name:port") are cut by hand: net.SplitHostPort allocates an
// error for a Host without a port, i.e. on most requests.
func hostOnly(hostport string) string {
	i := strings.LastIndexByte(hostport, ':')
	switch {
	case i < 0:
		return hostport
	case hostport[0] != '[' && strings.IndexByte(hostport[:i], ':') < 0:
		return hostport[:i]
	}
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// normalizeHost lower-cases and drops a trailing dot, the forms clients
// may legitimately send for the same name.
func normalizeHost(h string) string {
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		if c := h[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(h)
		}
	}
	return h
}
