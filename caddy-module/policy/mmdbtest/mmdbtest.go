// Package mmdbtest writes small MaxMind-format country and ASN databases for tests,
// in the record layouts that package policy reads. It is used by the policy
// tests and by cmd/mkmmdb (for the TypeScript integration tests); it is never
// imported by the data plane itself.
package mmdbtest

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Format is a record layout.
type Format string

const (
	// FormatGeoLite is the GeoLite2/GeoIP2/DB-IP country layout:
	// {"country": {"iso_code": "DE"}}.
	FormatGeoLite Format = "geolite"
	// FormatIPLocationDB is the @ip-location-db/*-country-mmdb layout:
	// {"country_code": "DE"}.
	FormatIPLocationDB Format = "iplocationdb"
	// FormatASN is the GeoLite2-ASN and @ip-location-db asn layout:
	// {"autonomous_system_number": 3320, "autonomous_system_organization": "…"}.
	// The values of the networks map are AS numbers in decimal ("3320").
	FormatASN Format = "asn"
)

// ParseFormat accepts "geolite", "iplocationdb" or "asn".
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatGeoLite, FormatIPLocationDB, FormatASN:
		return f, nil
	}
	return "", fmt.Errorf("format must be geolite, iplocationdb or asn, got %q", s)
}

// ASNRecord is the record of an ASN database.
func ASNRecord(asn uint32, org string) mmdbtype.Map {
	return mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(asn),
		"autonomous_system_organization": mmdbtype.String(org),
	}
}

// Options tune the written database.
type Options struct {
	// Format is the record layout. Default: FormatGeoLite.
	Format Format
	// BuildTime is stored as the metadata build_epoch. Default: the zero
	// time, written as epoch 0 so that output is reproducible.
	BuildTime time.Time
	// DatabaseType is the metadata database_type. Default: "GeoLite2-Country",
	// "geo-whois-asn-country" or "GeoLite2-ASN", by Format.
	DatabaseType string
}

// Write writes a database that maps each key of networks (a CIDR or a single
// address) to its country code. Private and reserved ranges are allowed,
// since tests use them.
func Write(w io.Writer, networks map[string]string, opts Options) error {
	if opts.Format == "" {
		opts.Format = FormatGeoLite
	}
	if _, err := ParseFormat(string(opts.Format)); err != nil {
		return err
	}
	dbType := opts.DatabaseType
	if dbType == "" {
		dbType = "GeoLite2-Country"
		switch opts.Format {
		case FormatIPLocationDB:
			dbType = "geo-whois-asn-country"
		case FormatASN:
			dbType = "GeoLite2-ASN"
		}
	}
	var epoch int64
	if !opts.BuildTime.IsZero() {
		epoch = opts.BuildTime.Unix()
	}
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            dbType,
		Description:             map[string]string{"en": "gatehouse test database"},
		BuildEpoch:              epoch,
		IncludeReservedNetworks: true,
		IPVersion:               6,
		RecordSize:              24,
	})
	if err != nil {
		return fmt.Errorf("mmdb writer: %w", err)
	}
	// Insert wider networks first so that a more specific network inside one
	// overrides it, whatever the map's iteration order.
	type entry struct {
		prefix netip.Prefix
		key    string
	}
	entries := make([]entry, 0, len(networks))
	for k := range networks {
		p, err := parseNetwork(k)
		if err != nil {
			return err
		}
		entries = append(entries, entry{p, k})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if a.prefix.Bits() != b.prefix.Bits() {
			return a.prefix.Bits() - b.prefix.Bits()
		}
		return strings.Compare(a.key, b.key)
	})
	for _, e := range entries {
		cc := networks[e.key]
		var rec mmdbtype.Map
		switch opts.Format {
		case FormatIPLocationDB:
			rec = mmdbtype.Map{"country_code": mmdbtype.String(cc)}
		case FormatASN:
			n, err := strconv.ParseUint(cc, 10, 32)
			if err != nil {
				return fmt.Errorf("network %q: AS number %q is not a decimal number", e.key, cc)
			}
			rec = ASNRecord(uint32(n), "AS"+cc)
		default:
			rec = mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(cc)}}
		}
		ipnet := &net.IPNet{IP: net.IP(e.prefix.Addr().AsSlice()), Mask: net.CIDRMask(e.prefix.Bits(), e.prefix.Addr().BitLen())}
		if err := tree.Insert(ipnet, rec); err != nil {
			return fmt.Errorf("network %q: %w", e.key, err)
		}
	}
	if _, err := tree.WriteTo(w); err != nil {
		return fmt.Errorf("write mmdb: %w", err)
	}
	return nil
}

// WriteFile is Write to a new file at path.
func WriteFile(path string, networks map[string]string, opts Options) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, networks, opts); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// parseNetwork accepts a CIDR or an address (a /32 or /128). IPv4-mapped
// IPv6 is reduced to IPv4, where the writer's IPv4 aliasing makes it
// reachable from ::ffff:0:0/96 too.
func parseNetwork(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("network %q: invalid CIDR", s)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("network %q: invalid IP address", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
