package gatehouse

import (
	"github.com/mholt/caddy-l4/layer4"
	"github.com/mholt/caddy-l4/modules/l4proxy"
)

// memberSelector wraps a caddy-l4 proxy's selection policy to learn which
// upstream (pool member) each connection goes through: caddy-l4 keeps its
// choice to itself. It counts the connection on that member's slot of the
// route's traffic (traffic.go) and leaves the slot on the live connection,
// whose byte counter then counts for it too and whose listing names it.
// A retry after a failed dial moves the count to the member tried next.
type memberSelector struct {
	inner l4proxy.Selector
}

// Select implements l4proxy.Selector.
func (s memberSelector) Select(pool l4proxy.UpstreamPool, cx *layer4.Connection) *l4proxy.Upstream {
	u := s.inner.Select(pool, cx)
	if u == nil || len(u.Dial) == 0 {
		return u
	}
	lc, _ := cx.GetVar(liveConnVar).(*liveConn)
	if lc == nil || lc.traffic == nil {
		return u
	}
	m := lc.traffic.member(memberHost(u.Dial[0]))
	if prev := lc.member.Swap(m); prev != m {
		if prev != nil {
			prev.conns.Add(^uint64(0)) // its dial failed: the connection is not its
		}
		m.conns.Add(1)
	}
	return u
}

// wrapSelectors puts memberSelector around the selection policy of every
// caddy-l4 proxy in a provisioned L4 handler chain (the control plane puts
// the proxy at the top level: src/caddy/snapshot.ts l4Ports).
func wrapSelectors(mods []any) {
	for _, m := range mods {
		h, ok := m.(*l4proxy.Handler)
		if !ok || h.LoadBalancing == nil || h.LoadBalancing.SelectionPolicy == nil {
			continue
		}
		if _, done := h.LoadBalancing.SelectionPolicy.(memberSelector); !done {
			h.LoadBalancing.SelectionPolicy = memberSelector{inner: h.LoadBalancing.SelectionPolicy}
		}
	}
}

// liveConnVar holds the *liveConn of a tracked connection, for
// memberSelector.
const liveConnVar = "gatehouse_live_conn"

// Interface guards
var _ l4proxy.Selector = memberSelector{}
