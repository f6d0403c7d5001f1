package policy

import (
	"fmt"
	"strings"
)

// iso3166Alpha2 lists the officially assigned ISO 3166-1 alpha-2 codes.
// Validating against the list (rather than "any two letters") turns a typo
// such as "UK" for GB into a 422 instead of a rule that silently never matches.
const iso3166Alpha2 = "" +
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ " +
	"DE DJ DK DM DO DZ " +
	"EC EE EG EH ER ES ET " +
	"FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY " +
	"HK HM HN HR HT HU " +
	"ID IE IL IM IN IO IQ IR IS IT " +
	"JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ " +
	"LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ " +
	"OM " +
	"PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
	"QA " +
	"RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ " +
	"UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU " +
	"WF WS " +
	"YE YT " +
	"ZA ZM ZW"

// extraCountryCodes are not officially assigned but do occur in the databases
// we read: XK (Kosovo) in GeoLite2 and DB-IP, EU and AP in data derived from
// RIR whois records (the geo-whois-asn family). Rules must be able to name
// anything a lookup can return.
const extraCountryCodes = "XK EU AP"

// countryIndex maps a code "AB" to 0..675, or -1 if it is not two letters A–Z.
func countryIndex(code string) int {
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' {
		return -1
	}
	return int(code[0]-'A')*26 + int(code[1]-'A')
}

// knownCountries has a bit per countryIndex that is a known code.
var knownCountries = func() (set countrySet) {
	for _, c := range strings.Fields(iso3166Alpha2 + " " + extraCountryCodes) {
		set.add(c)
	}
	return set
}()

// normalizeCountry upper-cases code and checks that it is a known code.
func normalizeCountry(code string) (string, error) {
	up := strings.ToUpper(code)
	if countryIndex(up) < 0 {
		return "", fmt.Errorf("country code must be two letters A-Z (ISO 3166-1 alpha-2), got %q", code)
	}
	if !knownCountries.has(up) {
		return "", fmt.Errorf("unknown country code %q", code)
	}
	return up, nil
}

// countrySet is a bitmap over all 676 two-letter codes: 88 bytes, and a
// membership test is a shift and a mask.
type countrySet struct {
	bits [(26*26 + 63) / 64]uint64
	n    int
}

func (s *countrySet) add(code string) {
	i := countryIndex(code)
	if i < 0 || s.has(code) {
		return
	}
	s.bits[i/64] |= 1 << (i % 64)
	s.n++
}

func (s *countrySet) has(code string) bool {
	i := countryIndex(code)
	return i >= 0 && s.bits[i/64]&(1<<(i%64)) != 0
}

// len is the number of distinct codes in the set.
func (s *countrySet) len() int { return s.n }
