// Command mkmmdb writes a small MaxMind-format country database from JSON, so
// that tests (the TypeScript integration tests among them) can make GeoIP
// databases with known contents instead of shipping real ones.
//
//	echo '{"10.0.0.0/8":"DE","2001:db8::/32":"FR","203.0.113.7":"US"}' |
//	  mkmmdb -format iplocationdb -out test.mmdb
//
// Keys are CIDRs or single addresses, values ISO 3166-1 alpha-2 codes (AS
// numbers in decimal for -format asn); a more specific network overrides a
// wider one that contains it.
//
// With -csv it compiles address-range CSVs in the ip-location-db ASN layout
// (start,end,asn,organisation per line, as in the npm package
// @ip-location-db/asn) into an ASN database instead; scripts/build-asn-db.mjs
// builds bin/asn.mmdb that way:
//
//	mkmmdb -csv asn-ipv4.csv -csv asn-ipv6.csv -out bin/asn.mmdb
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gatehouse/gatehouse/caddy-module/policy/mmdbtest"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mkmmdb:", err)
		os.Exit(2)
	}
}

func run(args []string, stdin io.Reader, stderr io.Writer) error {
	fs := flag.NewFlagSet("mkmmdb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "geolite", `record layout: "geolite" ({"country":{"iso_code":CC}}), "iplocationdb" ({"country_code":CC}) or "asn" ({"autonomous_system_number":N})`)
	var csvFiles stringList
	fs.Var(&csvFiles, "csv", "ASN range CSV (start,end,asn,organisation) to compile instead of JSON; repeatable")
	description := fs.String("description", "", "metadata description (en), e.g. the data's attribution (with -csv)")
	in := fs.String("in", "-", `JSON input file, "-" for standard input`)
	out := fs.String("out", "", "output .mmdb file (required)")
	build := fs.Int64("build-epoch", 0, "metadata build_epoch, Unix seconds")
	dbType := fs.String("type", "", `metadata database_type (default "GeoLite2-Country" or "geo-whois-asn-country", by format)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if len(csvFiles) > 0 {
		opts := csvOptions{DatabaseType: *dbType, Description: *description}
		if *build != 0 {
			opts.BuildTime = time.Unix(*build, 0)
		}
		return writeASNFromCSV(*out, csvFiles, opts)
	}
	f, err := mmdbtest.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("-format: %w", err)
	}
	var src io.Reader = stdin
	if *in != "-" {
		file, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer file.Close()
		src = file
	}
	var networks map[string]string
	dec := json.NewDecoder(src)
	if err := dec.Decode(&networks); err != nil {
		return fmt.Errorf("input: want a JSON object of network to country code: %w", err)
	}
	opts := mmdbtest.Options{Format: f, DatabaseType: *dbType}
	if *build != 0 {
		opts.BuildTime = time.Unix(*build, 0)
	}
	return mmdbtest.WriteFile(*out, networks, opts)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint([]string(*l)) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
