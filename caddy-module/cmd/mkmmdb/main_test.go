// Tests of the mkmmdb command: run() with real files in a temp dir, the
// result read back with the policy package's real GeoIP reader.
package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
)

func TestMkmmdb(t *testing.T) {
	dir := t.TempDir()
	input := `{"10.0.0.0/8":"DE","10.1.0.0/16":"FR","2001:db8::/32":"NL","203.0.113.7":"US"}`
	inFile := filepath.Join(dir, "in.json")
	if err := os.WriteFile(inFile, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		args   []string
		stdin  string
		dbType string
	}{
		{"geolite from stdin", []string{"-format", "geolite"}, input, "GeoLite2-Country"},
		{"iplocationdb from a file", []string{"-format", "iplocationdb", "-in", inFile, "-build-epoch", "1767225600"}, "", "geo-whois-asn-country"},
		{"default format, own type", []string{"-type", "DBIP-Country-Lite"}, input, "DBIP-Country-Lite"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".mmdb")
			var stderr bytes.Buffer
			if err := run(append(tt.args, "-out", out), strings.NewReader(tt.stdin), &stderr); err != nil {
				t.Fatalf("run: %v (%s)", err, stderr.String())
			}
			reg := policy.NewGeoIPRegistry()
			db, err := reg.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			for a, want := range map[string]string{"10.9.0.1": "DE", "10.1.0.1": "FR", "2001:db8::1": "NL", "203.0.113.7": "US", "192.0.2.1": ""} {
				if got := db.Country(netip.MustParseAddr(a)); got != want {
					t.Errorf("Country(%s) = %q, want %q", a, got, want)
				}
			}
			if db.Info().DatabaseType != tt.dbType {
				t.Errorf("database_type %q, want %q", db.Info().DatabaseType, tt.dbType)
			}
			if strings.Contains(strings.Join(tt.args, " "), "build-epoch") && !db.Info().BuildTime.Equal(time.Unix(1767225600, 0)) {
				t.Errorf("build time %v", db.Info().BuildTime)
			}
		})
	}
}

func TestMkmmdbErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.mmdb")
	for _, tt := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{}, `{}`, "-out is required"},
		{[]string{"-out", out, "-format", "csv"}, `{}`, "format must be geolite or iplocationdb"},
		{[]string{"-out", out}, `["10.0.0.0/8"]`, "want a JSON object"},
		{[]string{"-out", out}, `{"10.0.0.0/33":"DE"}`, `network "10.0.0.0/33": invalid CIDR`},
		{[]string{"-out", out}, `{"ten":"DE"}`, `network "ten": invalid IP address`},
		{[]string{"-out", out, "extra"}, `{}`, "unexpected arguments"},
	} {
		err := run(tt.args, strings.NewReader(tt.stdin), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q, %s) = %v, want %q", tt.args, tt.stdin, err, tt.want)
		}
	}
}
