// Tests of the rate limiter: real limiters and registry, time passed in
// explicitly so that window edges are exact; concurrency under -race.
package policy

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestLimiterCountsAtTheWindowEdge(t *testing.T) {
	tests := []struct {
		requests int
		window   time.Duration
	}{
		{1, time.Second}, {3, time.Second}, {100, time.Minute}, {7, 5 * time.Minute}, {100000, time.Hour}, {99999, time.Second},
	}
	for _, tt := range tests {
		l := newLimiter(LimiterKey{Requests: tt.requests, Window: tt.window}, 0)
		a := addr("192.0.2.1")
		for i := 0; i < tt.requests; i++ {
			if ok, _ := l.Allow(a, t0); !ok {
				t.Fatalf("%d/%v: request %d of the burst denied", tt.requests, tt.window, i+1)
			}
		}
		ok, retry := l.Allow(a, t0)
		if ok {
			t.Fatalf("%d/%v: request %d allowed", tt.requests, tt.window, tt.requests+1)
		}
		if interval := tt.window / time.Duration(tt.requests); retry != interval {
			t.Errorf("%d/%v: Retry-After %v, want one refill interval %v", tt.requests, tt.window, retry, interval)
		}
		// The bucket is full again after requests×interval, the interval rounded
		// down to whole nanoseconds (so that is the window, or a few ns less
		// when requests does not divide it); one nanosecond earlier it is not.
		full := tt.window / time.Duration(tt.requests) * time.Duration(tt.requests)
		n := 0
		for ok, _ := l.Allow(a, t0.Add(full-time.Nanosecond)); ok; ok, _ = l.Allow(a, t0.Add(full-time.Nanosecond)) {
			n++
		}
		if n != tt.requests-1 {
			t.Errorf("%d/%v: %d requests allowed just before the bucket is full, want %d", tt.requests, tt.window, n, tt.requests-1)
		}
		// ...and a client that has waited a whole window has the whole quota.
		l2 := newLimiter(LimiterKey{Requests: tt.requests, Window: tt.window}, 0)
		for i := 0; i < tt.requests; i++ {
			l2.Allow(a, t0)
		}
		n = 0
		for ok, _ := l2.Allow(a, t0.Add(tt.window)); ok; ok, _ = l2.Allow(a, t0.Add(tt.window)) {
			n++
		}
		if n != tt.requests {
			t.Errorf("%d/%v: %d requests allowed at the window edge, want %d", tt.requests, tt.window, n, tt.requests)
		}
	}
}

func TestLimiterRefillAndRetryAfter(t *testing.T) {
	l := newLimiter(LimiterKey{Requests: 100, Window: time.Minute}, 0) // one token per 600ms
	a := addr("198.51.100.7")
	for i := 0; i < 100; i++ {
		l.Allow(a, t0)
	}
	steps := []struct {
		at    time.Duration
		ok    bool
		retry time.Duration
	}{
		{0, false, 600 * time.Millisecond},
		{100 * time.Millisecond, false, 500 * time.Millisecond},
		{599 * time.Millisecond, false, time.Millisecond},
		{600 * time.Millisecond, true, 0},
		{600 * time.Millisecond, false, 600 * time.Millisecond},
		// By 1800ms three tokens have refilled and one was taken at 600ms.
		{1800 * time.Millisecond, true, 0},
		{1800 * time.Millisecond, true, 0},
		{1800 * time.Millisecond, false, 600 * time.Millisecond},
	}
	for i, s := range steps {
		ok, retry := l.Allow(a, t0.Add(s.at))
		if ok != s.ok || retry != s.retry {
			t.Errorf("step %d at +%v: Allow = %v, %v; want %v, %v", i, s.at, ok, retry, s.ok, s.retry)
		}
	}
	d := Decision{RetryAfter: 600 * time.Millisecond}
	if d.RetryAfterSeconds() != 1 {
		t.Errorf("Retry-After header %d, want 1", d.RetryAfterSeconds())
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
	js := `{"rate_limit": {"enabled": true, "requests": 2, "window": "1m"}}`
	a := addr("192.0.2.1")

	gen1 := mustCompile(t, js, Deps{RouteID: "12", Limiters: reg})
	gen1.Decide(a, t0)
	gen1.Decide(a, t0)

	// Same route, same parameters: the counters carry over.
	gen2 := mustCompile(t, js, Deps{RouteID: "12", Limiters: reg})
	if gen2.Limiter() != gen1.Limiter() {
		t.Fatal("same route and parameters got a new limiter")
	}
	if d := gen2.Decide(a, t0); d.Check != CheckRateLimit {
		t.Errorf("counters lost across the swap: %+v", d)
	}

	// Another route with the same parameters has its own counters.
	other := mustCompile(t, js, Deps{RouteID: "13", Limiters: reg})
	if d := other.Decide(a, t0); !d.Allowed {
		t.Errorf("route 13 shares route 12's counters: %+v", d)
	}

	// Changed parameters start afresh.
	gen3 := mustCompile(t, `{"rate_limit": {"enabled": true, "requests": 3, "window": "1m"}}`, Deps{RouteID: "12", Limiters: reg})
	if d := gen3.Decide(a, t0); !d.Allowed {
		t.Errorf("new parameters kept old counters: %+v", d)
	}
	if reg.Len() != 3 {
		t.Errorf("registry holds %d limiters, want 3", reg.Len())
	}

	// After the swap to gen3 (+ route 13) the 2/1m limiter of route 12 is dropped.
	reg.Retain(gen3, other, nil, mustCompile(t, `{}`, Deps{}))
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
	// At +1s the 100 idle clients have full buckets again; the busy one does not.
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
	// The entries evicted first are those closest to a full bucket; the client
	// that emptied its bucket is the furthest from one and is still limited.
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
