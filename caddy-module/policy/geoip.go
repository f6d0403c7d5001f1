package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// CountryLookup answers the country of an address: an upper-case ISO 3166-1
// alpha-2 code, or "" when the address is not in the database. It is an
// interface so that tests and callers can inject their own.
type CountryLookup interface {
	Country(addr netip.Addr) string
}

// CountryMap is a CountryLookup backed by an IPSet whose labels are country
// codes; handy for tests and for callers that have no mmdb file.
type CountryMap struct{ set *IPSet }

// NewCountryMap maps each prefix to its country code.
func NewCountryMap(m map[netip.Prefix]string) CountryMap {
	entries := make([]IPSetEntry, 0, len(m))
	for p, cc := range m {
		entries = append(entries, IPSetEntry{Prefix: p, Label: strings.ToUpper(cc)})
	}
	return CountryMap{set: BuildIPSet(entries)}
}

// Country implements CountryLookup.
func (m CountryMap) Country(addr netip.Addr) string {
	cc, _ := m.set.Lookup(addr)
	return cc
}

// maxGeoIPFileSize refuses absurd files before reading them into memory; the
// largest country databases are tens of MB.
const maxGeoIPFileSize = 512 << 20

// maxCachedRecords bounds the per-database cache of decoded countries. Country
// databases have a few hundred distinct records, so all of them fit; a city
// database passed by mistake still works, only slower.
const maxCachedRecords = 4096

// GeoIPInfo describes a loaded database for the settings API.
type GeoIPInfo struct {
	Path         string    `json:"path"`
	SHA256       string    `json:"sha256"`
	Size         int64     `json:"size"`
	DatabaseType string    `json:"database_type"`
	BuildTime    time.Time `json:"build_time"`
	IPVersion    int       `json:"ip_version"`
	NodeCount    int       `json:"node_count"`
}

// GeoIPDB is a loaded MaxMind-format database used as a CountryLookup (a
// country database) or an ASNLookup (an ASN database, see ASN). It
// understands the record layouts of the country databases we support:
//   - GeoLite2-Country, GeoIP2-Country, DB-IP country: {"country": {"iso_code": "DE"}},
//     falling back to {"registered_country": {"iso_code": …}} for networks
//     (anycast, satellite) that have no location country;
//   - ip-location-db (@ip-location-db/*-country-mmdb, e.g. the CC0
//     geo-whois-asn-country): {"country_code": "DE"};
//   - IPinfo country: {"country": "DE"}.
//
// It is safe for concurrent use.
type GeoIPDB struct {
	reader *maxminddb.Reader
	info   GeoIPInfo
	// byOffset caches the country of each data record: many networks share a
	// record, so after warm-up a lookup is a tree walk plus a map read.
	byOffset sync.Map // uintptr -> string
	cached   atomic.Int64
	// asnByOffset is byOffset for ASN records (asn.go).
	asnByOffset sync.Map // uintptr -> uint32
	asnCached   atomic.Int64
	errors      atomic.Uint64
	refs        int // guarded by the registry's mutex
}

// OpenGeoIPBytes opens a database held in memory. Reading the file into
// memory (instead of mmap) means the bytes hashed are the bytes served, and a
// retired database never needs closing: old generations still in their grace
// period keep reading from it, and the garbage collector frees it after them.
func OpenGeoIPBytes(name string, data []byte) (*GeoIPDB, error) {
	r, err := maxminddb.OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	md := r.Metadata
	return &GeoIPDB{reader: r, info: GeoIPInfo{
		Path:         name,
		SHA256:       hex.EncodeToString(sum[:]),
		Size:         int64(len(data)),
		DatabaseType: md.DatabaseType,
		BuildTime:    md.BuildTime(),
		IPVersion:    int(md.IPVersion),
		NodeCount:    int(md.NodeCount),
	}}, nil
}

// Info describes the database.
func (db *GeoIPDB) Info() GeoIPInfo { return db.info }

// LookupErrors counts lookups that failed on a corrupt database (they answer "").
func (db *GeoIPDB) LookupErrors() uint64 { return db.errors.Load() }

// Country implements CountryLookup.
func (db *GeoIPDB) Country(addr netip.Addr) string {
	if db == nil || !addr.IsValid() {
		return ""
	}
	res := db.reader.Lookup(addr.Unmap().WithZone(""))
	if err := res.Err(); err != nil {
		db.errors.Add(1)
		return ""
	}
	if !res.Found() {
		return ""
	}
	off := res.Offset()
	if cc, ok := db.byOffset.Load(off); ok {
		return cc.(string)
	}
	cc := decodeCountry(res)
	if db.cached.Load() < maxCachedRecords {
		if _, loaded := db.byOffset.LoadOrStore(off, cc); !loaded {
			db.cached.Add(1)
		}
	}
	return cc
}

// maxCachedASNRecords bounds the cache of decoded AS numbers: an ASN
// database has a record per AS (about 80,000); the busiest fit, the rest are
// decoded on each lookup.
const maxCachedASNRecords = 1 << 16

// ASN implements ASNLookup for the ASN layout of GeoLite2-ASN and
// @ip-location-db/asn-mmdb (and bin/asn.mmdb): {"autonomous_system_number": 3320}.
func (db *GeoIPDB) ASN(addr netip.Addr) uint32 {
	if db == nil || !addr.IsValid() {
		return 0
	}
	res := db.reader.Lookup(addr.Unmap().WithZone(""))
	if err := res.Err(); err != nil {
		db.errors.Add(1)
		return 0
	}
	if !res.Found() {
		return 0
	}
	off := res.Offset()
	if n, ok := db.asnByOffset.Load(off); ok {
		return n.(uint32)
	}
	var n uint32
	if err := res.DecodePath(&n, "autonomous_system_number"); err != nil {
		n = 0
	}
	if db.asnCached.Load() < maxCachedASNRecords {
		if _, loaded := db.asnByOffset.LoadOrStore(off, n); !loaded {
			db.asnCached.Add(1)
		}
	}
	return n
}

// decodeCountry reads the country code from a record in any supported layout.
// Paths of the wrong type for this layout fail to decode and are skipped.
func decodeCountry(res maxminddb.Result) string {
	paths := [][]any{
		{"country", "iso_code"},
		{"country_code"},
		{"country"},
		{"registered_country", "iso_code"},
	}
	for _, path := range paths {
		var cc string
		if err := res.DecodePath(&cc, path...); err == nil && cc != "" {
			cc = strings.ToUpper(cc)
			if countryIndex(cc) >= 0 {
				return cc
			}
		}
	}
	return ""
}

// GeoIPRegistry loads each database file once per content (SHA-256) and
// shares the reader among everyone who loads the same content, so that a
// snapshot swap, or two settings naming copies of one file, costs no reload.
// It is safe for concurrent use.
type GeoIPRegistry struct {
	mu     sync.Mutex
	byHash map[string]*GeoIPDB
}

// NewGeoIPRegistry returns an empty registry.
func NewGeoIPRegistry() *GeoIPRegistry {
	return &GeoIPRegistry{byHash: make(map[string]*GeoIPDB)}
}

// Load reads the file at path and returns the shared database for its content,
// opening it if no loaded database has the same hash. Each Load must be paired
// with a Release.
func (g *GeoIPRegistry) Load(path string) (*GeoIPDB, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("geoip database: %w", err)
	}
	if fi.Size() > maxGeoIPFileSize {
		return nil, fmt.Errorf("geoip database %s: %d bytes is larger than the %d byte limit", path, fi.Size(), maxGeoIPFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("geoip database: %w", err)
	}
	return g.LoadBytes(path, data)
}

// LoadBytes is Load for content already in memory; name is reported in Info.
func (g *GeoIPRegistry) LoadBytes(name string, data []byte) (*GeoIPDB, error) {
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	g.mu.Lock()
	if db, ok := g.byHash[hash]; ok {
		db.refs++
		g.mu.Unlock()
		return db, nil
	}
	g.mu.Unlock()

	// Open outside the lock: parsing the metadata is cheap, but there is no
	// reason to stall other loads on it.
	db, err := OpenGeoIPBytes(name, data)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if existing, ok := g.byHash[hash]; ok { // lost a race with the same content
		existing.refs++
		return existing, nil
	}
	db.refs = 1
	g.byHash[hash] = db
	return db, nil
}

// Release drops one reference; the registry forgets the database when the
// last is gone. It is never closed explicitly (see OpenGeoIPBytes), so
// lookups still running on it are safe.
func (g *GeoIPRegistry) Release(db *GeoIPDB) {
	if db == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.byHash[db.info.SHA256] != db {
		return
	}
	db.refs--
	if db.refs <= 0 {
		delete(g.byHash, db.info.SHA256)
	}
}

// Loaded describes every database the registry holds.
func (g *GeoIPRegistry) Loaded() []GeoIPInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]GeoIPInfo, 0, len(g.byHash))
	for _, db := range g.byHash {
		out = append(out, db.info)
	}
	return out
}

// Interface guards.
var (
	_ CountryLookup = (*GeoIPDB)(nil)
	_ ASNLookup     = (*GeoIPDB)(nil)
	_ CountryLookup = CountryMap{}
)
