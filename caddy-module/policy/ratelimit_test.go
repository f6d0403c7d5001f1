// Tests of the rate limiter: real limiters and registry, time passed in
// explicitly so that window edges are exact; concurrency under -race.
package policy

import (
	"math/rand/v2"
	"net/netip"
	"sort"
	"sync"
	"testing"
	"time"
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// limiterAt is a limiter whose clock starts at t0, so that sub-window
// boundaries (N > exactLogMax) fall at t0 + multiples of the sub-window.
func limiterAt(requests int, window time.Duration, maxClients int) *Limiter {
	l := newLimiter(LimiterKey{Requests: requests, Window: window}, maxClients)
	l.base = t0
	return l
}

func TestLimiterCountsAtTheWindowEdge(t *testing.T) {
	tests := []struct {
		requests int
		window   time.Duration
	}{
		{1, time.Second}, {3, time.Second}, {64, time.Minute}, {7, 5 * time.Minute},
		{65, time.Minute}, {100, time.Minute}, {100000, time.Hour}, {99999, time.Second},
	}
	for _, tt := range tests {
		l := limiterAt(tt.requests, tt.window, 0)
		a := addr("192.0.2.1")
		for i := 0; i < tt.requests; i++ {
			if ok, _ := l.Allow(a, t0); !ok {
				t.Fatalf("%d/%v: request %d of the burst denied", tt.requests, tt.window, i+1)
			}
		}
		// The exact log frees the quota when the burst leaves the window, at
		// t0+window; sub-window counters when the burst's sub-window has left
		// it entirely, at most one sub-window (window/64) later.
		free := tt.window
		if tt.requests > exactLogMax {
			free += tt.window/subWindows - time.Nanosecond
		}
		ok, retry := l.Allow(a, t0)
		if ok || retry != free {
			t.Fatalf("%d/%v: request %d: %v, Retry-After %v; want denied, %v", tt.requests, tt.window, tt.requests+1, ok, retry, free)
		}
		if ok, retry := l.Allow(a, t0.Add(free-time.Nanosecond)); ok || retry != time.Nanosecond {
			t.Errorf("%d/%v: 1ns before the quota is free: %v, %v", tt.requests, tt.window, ok, retry)
		}
		n := 0
		for ok, _ := l.Allow(a, t0.Add(free)); ok; ok, _ = l.Allow(a, t0.Add(free)) {
			n++
		}
		if n != tt.requests {
			t.Errorf("%d/%v: %d requests allowed when the quota is free, want %d", tt.requests, tt.window, n, tt.requests)
		}
	}
}

// The case: 5 per minute let 6 requests through within 14 s.
func TestLimiterSlidingWindowAndRetryAfter(t *testing.T) {
	l := newLimiter(LimiterKey{Requests: 5, Window: time.Minute}, 0)
	a := addr("198.51.100.7")
	steps := []struct {
		at    time.Duration
		ok    bool
		retry time.Duration
	}{
		{0, true, 0},
		{2 * time.Second, true, 0},
		{4 * time.Second, true, 0},
		{6 * time.Second, true, 0},
		{8 * time.Second, true, 0},
		{14 * time.Second, false, 46 * time.Second}, // the oldest (at 0) leaves at 60s
		{59*time.Second + 999*time.Millisecond, false, time.Millisecond},
		{60 * time.Second, true, 0},
		{60 * time.Second, false, 2 * time.Second}, // next, at 2s, leaves at 62s
		{62 * time.Second, true, 0},
		{63 * time.Second, false, time.Second},
		{2*time.Minute + 2*time.Second, true, 0}, // 62s has left too
		{2*time.Minute + 2*time.Second, true, 0}, // 62s has left too
		{2*time.Minute + 2*time.Second, true, 0}, // 62s has left too
		{2*time.Minute + 2*time.Second, true, 0}, // 62s has left too
		{2*time.Minute + 2*time.Second, true, 0}, // 62s has left too
		{2*time.Minute + 2*time.Second, false, time.Minute},
	}
	for i, s := range steps {
		pok, pretry := l.Peek(a, t0.Add(s.at))
		ok, retry := l.Allow(a, t0.Add(s.at))
		if ok != s.ok || retry != s.retry {
			t.Errorf("step %d at +%v: Allow = %v, %v; want %v, %v", i, s.at, ok, retry, s.ok, s.retry)
		}
		if pok != ok || pretry != retry {
			t.Errorf("step %d at +%v: Peek = %v, %v, Allow = %v, %v", i, s.at, pok, pretry, ok, retry)
		}
	}
	d := Decision{RetryAfter: 600 * time.Millisecond}
	if d.RetryAfterSeconds() != 1 {
		t.Errorf("Retry-After header %d, want 1", d.RetryAfterSeconds())
	}
	if l.Peek(addr("198.51.100.8"), t0); l.Len() != 1 {
		t.Errorf("Peek created state: Len = %d", l.Len())
	}
}

// TestLimiterBoundProperty drives one client with random request times
// (bursts, gaps, and requests exactly at, just before and just after the
// moment an earlier admission leaves the window) and checks the limiter
// against the definition: an admitted request has at most N admissions
// (itself included) in the window (t-W, t] ending at it; a refused one has
// N admissions in it already (exact log) or in (t-W-L, t] (sub-window
// counters, L = ⌈W/64⌉); Retry-After is exact (refused 1ns earlier,
// admitted then); Peek answers like Allow.
func TestLimiterBoundProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2026))
	cases := []struct {
		n int
		w time.Duration
	}{
		{1, time.Second}, {2, time.Second}, {3, 1000}, {5, time.Minute}, {17, 10007}, {64, time.Second},
		{65, time.Second}, {100, 10007}, {300, time.Minute}, {1000, time.Second},
	}
	for _, tc := range cases {
		for run := 0; run < 4; run++ {
			l := limiterAt(tc.n, tc.w, 0)
			l.base = t0.Add(-time.Duration(r.Int64N(int64(tc.w)))) // sub-window phase
			W := int64(tc.w)
			slack := int64(0)
			if tc.n > exactLogMax {
				slack = (W+subWindows-1)/subWindows - 1
			}
			a := addr("203.0.113.5")
			var admitted []int64                   // non-decreasing
			inWindow := func(from, to int64) int { // admissions in (from, to]
				i := sort.Search(len(admitted), func(i int) bool { return admitted[i] > from })
				j := sort.Search(len(admitted), func(i int) bool { return admitted[i] > to })
				return j - i
			}
			var now, nextEdge int64 // nextEdge: when the last refusal's Retry-After ends
			for step, burst := 0, 0; step < 3000; step++ {
				if burst > 0 { // more requests at the same time
					burst--
				} else {
					switch p := r.IntN(100); {
					case p < 20:
						burst = r.IntN(tc.n/3 + 1)
					case p < 65: // about the limit's rate
						now += r.Int64N(2*W/int64(tc.n) + 1)
					case p < 78 && nextEdge > now: // just before or at the Retry-After
						now = nextEdge - int64(r.IntN(2))
					case p < 94 && len(admitted) > 0: // a recent admission's window edge, ±1ns
						e := admitted[len(admitted)-1-r.IntN(min(len(admitted), tc.n))] + W + int64(r.IntN(3)) - 1
						now = max(now, e)
					case p < 98:
						now += r.Int64N(W/4 + 1)
					default:
						now += r.Int64N(3 * W)
					}
				}
				at := t0.Add(time.Duration(now))
				pok, pretry := l.Peek(a, at)
				ok, retry := l.Allow(a, at)
				if pok != ok || pretry != retry {
					t.Fatalf("%d/%v at %d: Peek %v %v, Allow %v %v", tc.n, tc.w, now, pok, pretry, ok, retry)
				}
				if ok {
					admitted = append(admitted, now)
					if c := inWindow(now-W, now); c > tc.n {
						t.Fatalf("%d/%v: %d admissions in the window ending at %d", tc.n, tc.w, c, now)
					}
					continue
				}
				if c := inWindow(now-W-slack, now); c < tc.n {
					t.Fatalf("%d/%v: refused at %d with only %d admissions in its window", tc.n, tc.w, now, c)
				}
				nextEdge = now + int64(retry)
				if retry <= 0 {
					t.Fatalf("%d/%v: refused at %d with Retry-After %v", tc.n, tc.w, now, retry)
				}
				if slack == 0 {
					if i := sort.Search(len(admitted), func(i int) bool { return admitted[i] > now-W }); time.Duration(admitted[i]+W-now) != retry {
						t.Fatalf("%d/%v: Retry-After %v, oldest in the window leaves after %v", tc.n, tc.w, retry, time.Duration(admitted[i]+W-now))
					}
				}
				if ok, _ := l.Peek(a, at.Add(retry-1)); ok {
					t.Fatalf("%d/%v: admitted before Retry-After %v elapsed", tc.n, tc.w, retry)
				}
				if ok, _ := l.Peek(a, at.Add(retry)); !ok {
					t.Fatalf("%d/%v: refused after Retry-After %v", tc.n, tc.w, retry)
				}
			}
		}
	}
}

func TestLimiterLongRetryAfter(t *testing.T) {
	l := newLimiter(LimiterKey{Requests: 1, Window: time.Hour}, 0)
	a := addr("192.0.2.9")
	l.Allow(a, t0)
	ok, retry := l.Allow(a, t0.Add(10*time.Minute))
	if ok || retry != 50*time.Minute || (Decision{RetryAfter: retry}).RetryAfterSeconds() != 3000 {
		t.Errorf("got %v, %v; want denied, 50m", ok, retry)
	}
}

func TestLimiterClientGrouping(t *testing.T) {
	l := newLimiter(LimiterKey{Requests: 1, Window: time.Minute}, 0)
	steps := []struct {
		addr string
		ok   bool
	}{
		{"2001:db8:1:2::1", true},
		{"2001:db8:1:2:ffff::9", false}, // same /64
		{"2001:db8:1:2::1%eth0", false}, // zone does not matter
		{"2001:db8:1:3::1", true},       // next /64
		{"192.0.2.1", true},             // IPv4 per address
		{"192.0.2.2", true},             // the neighbour is another client
		{"::ffff:192.0.2.1", false},     // mapped = the IPv4 client
		{"::c000:201", true},            // IPv4-compatible is just IPv6 (the ::/64)
		{"::1", false},                  // same ::/64
	}
	for _, s := range steps {
		if ok, _ := l.Allow(addr(s.addr), t0); ok != s.ok {
			t.Errorf("Allow(%s) = %v, want %v", s.addr, ok, s.ok)
		}
	}
}

func TestLimitersKeepStateAcrossRecompilation(t *testing.T) {
	reg := NewLimiters(0)
	js := `{"default": "allow", "rate_limit": {"requests": 2, "window": "1m"}}`
	a := addr("192.0.2.1")

	gen1 := mustCompile(t, js, Deps{RouteID: "12", Limiters: reg})
	gen1.Decide(Request{Addr: a, Time: t0})
	gen1.Decide(Request{Addr: a, Time: t0})

	// Same route, same parameters: the counters carry over.
	gen2 := mustCompile(t, js, Deps{RouteID: "12", Limiters: reg})
	if gen2.Limiter() != gen1.Limiter() {
		t.Fatal("same route and parameters got a new limiter")
	}
	if d := gen2.Decide(Request{Addr: a, Time: t0}); d.Check != CheckRateLimit {
		t.Errorf("counters lost across the swap: %+v", d)
	}

	// Another route with the same parameters has its own counters.
	other := mustCompile(t, js, Deps{RouteID: "13", Limiters: reg})
	if d := other.Decide(Request{Addr: a, Time: t0}); !d.Allowed {
		t.Errorf("route 13 shares route 12's counters: %+v", d)
	}

	// Changed parameters start afresh.
	gen3 := mustCompile(t, `{"default": "allow", "rate_limit": {"requests": 3, "window": "1m"}}`, Deps{RouteID: "12", Limiters: reg})
	if d := gen3.Decide(Request{Addr: a, Time: t0}); !d.Allowed {
		t.Errorf("new parameters kept old counters: %+v", d)
	}
	if reg.Len() != 3 {
		t.Errorf("registry holds %d limiters, want 3", reg.Len())
	}

	// After the swap to gen3 (+ route 13) the 2/1m limiter of route 12 is dropped.
	reg.Retain(gen3, other, nil, mustCompile(t, `{"default": "allow"}`, Deps{}))
	if reg.Len() != 2 {
		t.Errorf("after Retain: %d limiters, want 2", reg.Len())
	}
	gen4 := mustCompile(t, js, Deps{RouteID: "12", Limiters: reg})
	if gen4.Limiter() == gen1.Limiter() {
		t.Error("a retired limiter came back")
	}
	if gen4.Limiter().Key() != (LimiterKey{RouteID: "12", Requests: 2, Window: time.Minute}) {
		t.Errorf("Key() = %+v", gen4.Limiter().Key())
	}
}

func TestLimiterSweepIsLossless(t *testing.T) {
	reg := NewLimiters(0)
	l := reg.Get(LimiterKey{RouteID: "r", Requests: 2, Window: time.Second})
	for i := 0; i < 100; i++ {
		l.Allow(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), t0)
	}
	busy := addr("10.0.1.1")
	l.Allow(busy, t0.Add(900*time.Millisecond))
	l.Allow(busy, t0.Add(900*time.Millisecond))
	if l.Len() != 101 {
		t.Fatalf("Len = %d, want 101", l.Len())
	}
	// At +1s the 100 idle clients' admissions have left the window; the busy
	// one's have not.
	if n := reg.Sweep(t0.Add(time.Second)); n != 100 {
		t.Errorf("Sweep dropped %d, want 100", n)
	}
	if l.Len() != 1 {
		t.Errorf("Len after sweep = %d, want 1", l.Len())
	}
	if ok, _ := l.Allow(busy, t0.Add(time.Second)); ok {
		t.Error("the busy client's state was lost")
	}
}

func TestLimiterSweepsItselfWhenNewClientsArrive(t *testing.T) {
	l := newLimiter(LimiterKey{Requests: 1, Window: time.Second}, 0)
	now := t0
	for round := 0; round < 50; round++ {
		for i := 0; i < 200; i++ {
			l.Allow(netip.AddrFrom4([4]byte{10, byte(round), byte(i >> 8), byte(i)}), now)
		}
		now = now.Add(2 * time.Second)
	}
	// 10,000 clients came and went; only about the last two rounds remain.
	if n := l.Len(); n > 400 {
		t.Errorf("%d clients kept, want at most the last rounds' 400", n)
	}
}

func TestLimiterHardCap(t *testing.T) {
	const maxClients = 1600 // 100 per shard
	l := newLimiter(LimiterKey{Requests: 10, Window: time.Hour}, maxClients)
	heavy := addr("192.0.2.1")
	for i := 0; i < 10; i++ {
		l.Allow(heavy, t0)
	}
	for i := 0; i < 20000; i++ {
		l.Allow(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 8), byte(i)}), t0.Add(time.Duration(i)*time.Millisecond))
		if n := l.Len(); n > maxClients {
			t.Fatalf("after %d clients: %d entries, cap %d", i, n, maxClients)
		}
	}
	// The entries evicted first are those with the fewest admissions; the
	// client at its limit is kept and still limited.
	if ok, _ := l.Allow(heavy, t0.Add(20*time.Second)); ok {
		t.Error("the heavy client was evicted before the one-request clients")
	}
}

func TestLimiterConcurrent(t *testing.T) {
	reg := NewLimiters(0)
	l := reg.Get(LimiterKey{RouteID: "r", Requests: 1000, Window: time.Minute})
	var wg sync.WaitGroup
	allowed := make([]int, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				if ok, _ := l.Allow(addr("192.0.2.1"), t0); ok {
					allowed[g]++
				}
				l.Allow(netip.AddrFrom4([4]byte{10, byte(g), byte(i >> 8), byte(i)}), t0)
				l.Peek(addr("192.0.2.1"), t0)
				if i%100 == 0 {
					reg.Sweep(t0)
					l.Len()
				}
			}
		}(g)
	}
	wg.Wait()
	total := 0
	for _, n := range allowed {
		total += n
	}
	if total != 1000 {
		t.Errorf("%d of 4000 concurrent requests allowed, want exactly 1000", total)
	}
}
