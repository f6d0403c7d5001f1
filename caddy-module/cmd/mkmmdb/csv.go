package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/maxmind/mmdbwriter"

	"github.com/gatehouse/gatehouse/caddy-module/policy/mmdbtest"
)

// csvOptions tune an ASN database compiled from CSV.
type csvOptions struct {
	// DatabaseType is the metadata database_type. Default: "ip-location-db-asn".
	DatabaseType string
	// Description is the metadata description. Default: a note naming the source.
	Description string
	// BuildTime is the metadata build_epoch. Default: epoch 0 (reproducible output).
	BuildTime time.Time
}

// maxCSVLines bounds the input: the whole routing table is about half a
// million ranges.
const maxCSVLines = 10_000_000

// writeASNFromCSV compiles range CSVs (start,end,asn,organisation) into an
// ASN database at out, written to a temporary file and renamed, so a failed
// build never leaves a half-written database behind.
func writeASNFromCSV(out string, files []string, opts csvOptions) error {
	if opts.DatabaseType == "" {
		opts.DatabaseType = "ip-location-db-asn"
	}
	if opts.Description == "" {
		opts.Description = "AS numbers compiled by gatehouse mkmmdb from ip-location-db CSVs"
	}
	var epoch int64
	if !opts.BuildTime.IsZero() {
		epoch = opts.BuildTime.Unix()
	}
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            opts.DatabaseType,
		Description:             map[string]string{"en": opts.Description},
		BuildEpoch:              epoch,
		IncludeReservedNetworks: true,
		// The data has its own ranges in 2001::/32 and 2002::/16, which
		// IPv4 aliasing would claim; readers find IPv4 under ::/96 anyway.
		DisableIPv4Aliasing: true,
		IPVersion:           6,
		RecordSize:          28,
	})
	if err != nil {
		return fmt.Errorf("mmdb writer: %w", err)
	}
	lines := 0
	for _, file := range files {
		n, err := insertCSV(tree, file, maxCSVLines-lines)
		if err != nil {
			return err
		}
		lines += n
	}
	if lines == 0 {
		return errors.New("the CSV input has no ranges")
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".mkmmdb-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	if _, err := tree.WriteTo(w); err != nil {
		tmp.Close()
		return fmt.Errorf("write mmdb: %w", err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// public data, read by Caddy whichever user it runs as
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// insertCSV inserts every range of one file; a bad line is an error naming
// the file and line, never skipped: a silently shorter database would leave
// asn conditions that never match.
func insertCSV(tree *mmdbwriter.Tree, file string, budget int) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = 4
	r.ReuseRecord = true
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return n, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return n, fmt.Errorf("%s: %w", file, err)
		}
		if n++; n > budget {
			return n, fmt.Errorf("%s: more than %d lines", file, maxCSVLines)
		}
		start, err1 := netip.ParseAddr(rec[0])
		end, err2 := netip.ParseAddr(rec[1])
		asn, err3 := strconv.ParseUint(rec[2], 10, 32)
		switch {
		case err1 != nil || err2 != nil || start.Zone() != "" || end.Zone() != "":
			return n, fmt.Errorf("%s:%d: invalid address range %q-%q", file, line, rec[0], rec[1])
		case start.Is4() != end.Is4() || end.Less(start):
			return n, fmt.Errorf("%s:%d: range %s-%s is not ascending within one address family", file, line, start, end)
		case err3 != nil || asn == 0:
			return n, fmt.Errorf("%s:%d: invalid AS number %q", file, line, rec[2])
		}
		if err := tree.InsertRange(net.IP(start.AsSlice()), net.IP(end.AsSlice()), mmdbtest.ASNRecord(uint32(asn), rec[3])); err != nil {
			return n, fmt.Errorf("%s:%d: %w", file, line, err)
		}
	}
}
