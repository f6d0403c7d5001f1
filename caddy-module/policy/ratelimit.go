package policy

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Rate limiting is a token bucket per client (burst = requests, refill =
// requests per window), implemented as GCRA ("generic cell rate algorithm"):
// instead of a token count and a timestamp, each client keeps one number, its
// theoretical arrival time (TAT), the moment its bucket would be full again.
//
// Why a token bucket and not a sliding window: it needs O(1) state per client
// however large `requests` is (a sliding log would keep up to 100000
// timestamps per client), it is exact (a sliding-window counter is an
// estimate), and a client that waited a whole window has its whole quota back,
// which is what "100 requests per minute" reads like. The price is that a
// client can spend its burst and then the refill, so the worst case in one
// rolling window is just under 2×requests; the long-run rate is requests/window.
//
// Why GCRA and not golang.org/x/time/rate: 8 bytes of state per client instead
// of a mutex and floats each, integer nanosecond arithmetic (so the counts at a
// window edge are exact, not subject to float rounding), a side-effect-free
// peek for explain, and an exact Retry-After. And a client whose TAT has passed
// has a full bucket, exactly like a client never seen: its entry can be dropped
// without changing any decision, which makes idle eviction lossless.

// DefaultMaxClientsPerRoute bounds the memory of one route's limiter.
const DefaultMaxClientsPerRoute = 100000

// limiterShards spreads clients over independently locked maps so that
// concurrent requests from different clients rarely contend.
const limiterShards = 16 // clientKey.shard takes 4 bits

// LimiterKey names a limiter. A new snapshot whose route has the same id and
// the same parameters gets the same limiter back from Limiters, so clients
// keep their counters across snapshot swaps; changing the parameters starts
// afresh (old counters would mean something else under new parameters).
type LimiterKey struct {
	RouteID  string
	Requests int
	Window   time.Duration
}

// Limiter is the rate-limit state of one route: a token bucket per client
// prefix (IPv4 address, IPv6 /64). It is safe for concurrent use.
type Limiter struct {
	key LimiterKey
	// interval is the time one token takes to refill, rounded down to whole
	// nanoseconds; burst is interval×requests, i.e. the window minus under
	// `requests` ns, so a full bucket holds exactly `requests` tokens and is
	// full again at the window edge.
	interval, burst int64
	// base anchors the int64 TATs; time.Time.Sub uses the monotonic clock
	// when both times carry it, so wall-clock steps do not unblock or block.
	base        time.Time
	maxPerShard int
	shards      [limiterShards]limiterShard
}

type limiterShard struct {
	mu        sync.Mutex
	tat       map[clientKey]int64
	lastSweep int64
	swept     bool
	_         [32]byte // keep shards on separate cache lines
}

// clientKey identifies a client prefix: an IPv4 address (tagged in lo so it
// never equals an IPv6 key) or the upper 64 bits of an IPv6 address.
type clientKey struct{ hi, lo uint64 }

const v4KeyTag = 1 << 63

// clientKeyOf groups IPv6 clients by /64: one subscriber usually owns a whole
// /64, so per-address limits would be trivially bypassed. Invalid addresses
// share one key, so they are still limited.
func clientKeyOf(addr netip.Addr) clientKey {
	addr = addr.Unmap()
	if !addr.IsValid() {
		return clientKey{}
	}
	u := addrToUint128(addr)
	if addr.Is4() {
		return clientKey{lo: v4KeyTag | u.lo}
	}
	return clientKey{hi: u.hi}
}

func newLimiter(key LimiterKey, maxClients int) *Limiter {
	if maxClients <= 0 {
		maxClients = DefaultMaxClientsPerRoute
	}
	interval := int64(key.Window) / int64(max(key.Requests, 1))
	l := &Limiter{
		key:         key,
		interval:    max(interval, 1),
		base:        time.Now(),
		maxPerShard: max(maxClients/limiterShards, 1),
	}
	l.burst = l.interval * int64(max(key.Requests, 1))
	for i := range l.shards {
		l.shards[i].tat = make(map[clientKey]int64)
	}
	return l
}

// Key returns the route id and parameters the limiter was made for.
func (l *Limiter) Key() LimiterKey { return l.key }

// Allow takes a token for addr's client prefix if one is available. If not,
// it returns false and how long until the next request would be allowed.
func (l *Limiter) Allow(addr netip.Addr, now time.Time) (bool, time.Duration) {
	return l.take(addr, now, true)
}

// Peek answers like Allow without taking a token (for explain).
func (l *Limiter) Peek(addr netip.Addr, now time.Time) (bool, time.Duration) {
	return l.take(addr, now, false)
}

func (l *Limiter) take(addr netip.Addr, now time.Time, consume bool) (bool, time.Duration) {
	k := clientKeyOf(addr)
	t := int64(now.Sub(l.base))
	s := &l.shards[k.shard()]
	s.mu.Lock()
	defer s.mu.Unlock()
	tat, seen := s.tat[k]
	if !seen || tat < t {
		tat = t // a bucket cannot hold more than `requests` tokens
	}
	next := tat + l.interval
	if next-t > l.burst {
		return false, time.Duration(next - l.burst - t)
	}
	if consume {
		if !seen {
			l.makeRoom(s, t)
		}
		s.tat[k] = next
	}
	return true, 0
}

// makeRoom keeps a shard bounded before a new client is added: at most once
// per window it drops clients with a full bucket (lossless, see above); when
// the shard is still at its cap, it evicts the eighth of the clients closest
// to a full bucket, which loses the least state. Evicting a batch keeps the
// O(n log n) selection amortised to O(log n) per new client.
func (l *Limiter) makeRoom(s *limiterShard, t int64) {
	if !s.swept || t-s.lastSweep >= l.burst || len(s.tat) >= l.maxPerShard {
		s.sweep(t)
	}
	if len(s.tat) < l.maxPerShard {
		return
	}
	tats := make([]int64, 0, len(s.tat))
	for _, v := range s.tat {
		tats = append(tats, v)
	}
	slices.Sort(tats)
	cut := tats[max(len(tats)/8, 1)-1]
	for k, v := range s.tat {
		if v <= cut {
			delete(s.tat, k)
		}
	}
}

// sweep drops clients whose bucket is full again; it returns how many.
func (s *limiterShard) sweep(t int64) int {
	n := 0
	for k, v := range s.tat {
		if v <= t {
			delete(s.tat, k)
			n++
		}
	}
	s.lastSweep, s.swept = t, true
	return n
}

// Sweep drops the state of every client whose bucket is full again (idle for
// at least as long as its tokens take to refill, at most one window); such a
// client is indistinguishable from a new one. It returns how many were dropped.
func (l *Limiter) Sweep(now time.Time) int {
	t := int64(now.Sub(l.base))
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += s.sweep(t)
		s.mu.Unlock()
	}
	return n
}

// Len is the number of clients with state.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}

func (k clientKey) shard() int {
	// Fibonacci hashing: the top 4 bits of the product (16 shards) depend on
	// every input bit.
	return int(((k.hi ^ k.lo) * 0x9E3779B97F4A7C15) >> (64 - 4))
}

// Limiters holds the limiters of all routes across snapshot generations. The
// app owns one for its lifetime; Compile takes limiters from it, so a route
// whose rate-limit parameters did not change keeps its counters when a new
// snapshot is swapped in. It is safe for concurrent use.
type Limiters struct {
	mu         sync.Mutex
	byKey      map[LimiterKey]*Limiter
	maxClients int
}

// NewLimiters returns an empty registry; maxClientsPerRoute <= 0 means
// DefaultMaxClientsPerRoute.
func NewLimiters(maxClientsPerRoute int) *Limiters {
	return &Limiters{byKey: make(map[LimiterKey]*Limiter), maxClients: maxClientsPerRoute}
}

// Get returns the limiter for key, creating it on first use.
func (r *Limiters) Get(key LimiterKey) *Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.byKey[key]; ok {
		return l
	}
	l := newLimiter(key, r.maxClients)
	r.byKey[key] = l
	return l
}

// Retain forgets every limiter that none of live uses. The app calls it after
// swapping in a snapshot, with that snapshot's compiled policies; older
// generations still in their grace period keep working on the limiters they
// hold, they just no longer share them with new requests.
func (r *Limiters) Retain(live ...*Compiled) {
	keep := make(map[*Limiter]bool, len(live))
	for _, c := range live {
		if c != nil && c.limiter != nil {
			keep[c.limiter] = true
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, l := range r.byKey {
		if !keep[l] {
			delete(r.byKey, k)
		}
	}
}

// Sweep runs Limiter.Sweep on every limiter; the app calls it on a timer so
// that memory shrinks even on routes that see no new clients.
func (r *Limiters) Sweep(now time.Time) int {
	r.mu.Lock()
	ls := make([]*Limiter, 0, len(r.byKey))
	for _, l := range r.byKey {
		ls = append(ls, l)
	}
	r.mu.Unlock()
	n := 0
	for _, l := range ls {
		n += l.Sweep(now)
	}
	return n
}

// Len is the number of limiters held.
func (r *Limiters) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byKey)
}
