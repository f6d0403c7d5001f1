package snapshot

import (
	"fmt"
	"net/netip"
	"unicode"
	"unicode/utf8"
)

// Peer is one VPN peer's identity for the identity headers: a client whose
// address (Caddy's client_ip) is Address gets Remote-User and Remote-Name
// set to Name and Remote-Groups to Tags, comma-separated (the HTTP handler
// gatehouse_identity, ../identity.go). The table is the snapshot's, not a
// route's, so a peer change leaves every route's bytes, and its
// provisioned handlers, as they were.
type Peer struct {
	// Address is the peer's tunnel address, an IP address in canonical
	// form (no zone, no IPv4-mapped IPv6), unique in the table. Default: ""
	// (invalid).
	Address string `json:"address"`

	// Name is the peer's name: 1–64 characters, no control characters.
	// Default: "" (invalid).
	Name string `json:"name"`

	// Tags are the peer's tags (at most MaxPeerTags, each
	// [a-z0-9][a-z0-9_.-]{0,31}, no repeats), in the order Remote-Groups
	// lists them. Default: [] (no Remote-Groups header).
	Tags []string `json:"tags,omitempty"`
}

// Limits of the peer table.
const (
	// MaxPeers bounds the table: a /16 tunnel subnet.
	MaxPeers = 65536
	// MaxPeerName is the longest name, in characters (the control plane's
	// NameSchema).
	MaxPeerName = 64
	// MaxPeerTags bounds a peer's tags (the control plane's TagsSchema).
	MaxPeerTags = 32
)

// validatePeers checks the peer table; each error names its entry
// ("peers[3].address").
func validatePeers(peers []Peer, errs *FieldErrors) {
	if len(peers) > MaxPeers {
		errs.Add("peers", "at most %d peers, got %d", MaxPeers, len(peers))
		return
	}
	seen := make(map[netip.Addr]int, len(peers))
	for i, p := range peers {
		path := func(field string) string { return fmt.Sprintf("peers[%d].%s", i, field) }
		addr, err := netip.ParseAddr(p.Address)
		switch {
		case err != nil:
			errs.Add(path("address"), "must be an IP address, not %q", p.Address)
		case addr.Zone() != "" || addr.Is4In6() || addr.String() != p.Address:
			errs.Add(path("address"), "must be an IP address in canonical form without a zone, not %q", p.Address)
		default:
			if j, dup := seen[addr]; dup {
				errs.Add(path("address"), "address %s is also peers[%d]'s", p.Address, j)
			}
			seen[addr] = i
		}
		if err := checkPeerName(p.Name); err != nil {
			errs.Add(path("name"), "%v", err)
		}
		if len(p.Tags) > MaxPeerTags {
			errs.Add(path("tags"), "at most %d tags, got %d", MaxPeerTags, len(p.Tags))
			continue
		}
		tags := make(map[string]bool, len(p.Tags))
		for j, tag := range p.Tags {
			if !validTag(tag) {
				errs.Add(path(fmt.Sprintf("tags[%d]", j)), "must be 1-32 characters a-z, 0-9, _.- starting with a letter or digit, not %q", tag)
			} else if tags[tag] {
				errs.Add(path(fmt.Sprintf("tags[%d]", j)), "duplicate tag %q", tag)
			}
			tags[tag] = true
		}
	}
}

// checkPeerName accepts what can be sent as a header value as it is.
func checkPeerName(name string) error {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return fmt.Errorf("must not be empty")
	case n > MaxPeerName:
		return fmt.Errorf("at most %d characters, got %d", MaxPeerName, n)
	case !utf8.ValidString(name):
		return fmt.Errorf("must be valid UTF-8")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("must not contain control characters (%U)", r)
		}
	}
	return nil
}

func validTag(tag string) bool {
	if len(tag) == 0 || len(tag) > 32 {
		return false
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}
