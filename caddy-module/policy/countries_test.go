// Tests of the country code list and set: pure data, nothing simulated.
package policy

import (
	"strings"
	"testing"
)

func TestCountryCodes(t *testing.T) {
	if n := len(strings.Fields(iso3166Alpha2)); n != 249 {
		t.Errorf("ISO 3166-1 has 249 assigned alpha-2 codes, list has %d", n)
	}
	if n := knownCountries.len(); n != 252 {
		t.Errorf("known codes = %d, want 249 + XK, EU, AP (duplicates would lower it)", n)
	}
	tests := []struct {
		in, want, err string
	}{
		{"DE", "DE", ""},
		{"de", "DE", ""},
		{"xk", "XK", ""},
		{"UK", "", `unknown country code "UK"`},
		{"ZZ", "", "unknown country code"},
		{"D", "", "two letters"},
		{"DEU", "", "two letters"},
		{"D1", "", "two letters"},
		{"", "", "two letters"},
		{" DE", "", "two letters"},
		{"ÄÖ", "", "two letters"},
	}
	for _, tt := range tests {
		got, err := normalizeCountry(tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("normalizeCountry(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestCountrySet(t *testing.T) {
	var s countrySet
	s.add("DE")
	s.add("DE")
	s.add("ZW")
	s.add("AA")
	s.add("bad")
	if s.len() != 3 || !s.has("DE") || !s.has("ZW") || !s.has("AA") || s.has("FR") || s.has("") || s.has("de") {
		t.Errorf("unexpected set contents: len %d", s.len())
	}
}
