package main

import (
	"encoding/json"
	"math"
	"os"
	"time"
)

// measure is one row of the harness's table, the same fields as Measure in
// bench/lib/report.ts: under `npm run bench` (BENCH_REPORT set) every row is
// appended to that file as one JSON line; run alone, the printed lines are
// the whole output.
type measure struct {
	Measure  string   `json:"measure"`
	Unit     string   `json:"unit"`
	Ours     float64  `json:"ours"`
	Peer     *float64 `json:"peer,omitempty"`
	PeerName string   `json:"peerName,omitempty"`
	Ratio    *float64 `json:"ratio,omitempty"`
	Goal     string   `json:"goal,omitempty"`
	Met      *bool    `json:"met,omitempty"`
	Note     string   `json:"note,omitempty"`
}

// report appends rows to $BENCH_REPORT when the harness runs this benchmark.
func report(rows ...measure) {
	file := os.Getenv("BENCH_REPORT")
	if file == "" {
		return
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	check(err)
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, r := range rows {
		// encoding/json refuses NaN and ±Inf (a round with no requests):
		// an absent peer or ratio, and a note instead of a figure
		for _, p := range []**float64{&r.Peer, &r.Ratio} {
			if *p != nil && (math.IsNaN(**p) || math.IsInf(**p, 0)) {
				*p = nil
			}
		}
		if math.IsNaN(r.Ours) || math.IsInf(r.Ours, 0) {
			r.Ours, r.Note = 0, "no figure (no successful request or change); "+r.Note
		}
		check(enc.Encode(r))
	}
}

func ptr[T any](v T) *T { return &v }

// applyQuick shortens the run for `npm run bench -- --quick` (BENCH_QUICK=1
// or -quick): fewer and shorter guard rounds, the change cost at 5,000
// routes only. Flags given explicitly still win.
func applyQuick(set map[string]bool) {
	if !*quickRun && os.Getenv("BENCH_QUICK") != "1" {
		return
	}
	defaults := map[string]func(){
		"rounds":   func() { *rounds = 3 },
		"duration": func() { *duration = 2 * time.Second },
		"warmup":   func() { *warmup = time.Second },
		"sizes":    func() { *sizesArg = "5000" },
		"changes":  func() { *changes = 3 },
	}
	for name, apply := range defaults {
		if !set[name] {
			apply()
		}
	}
}
