package gatehouse

import (
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
)

// httpMemberSelector wraps the selection policy of an HTTP route's own
// reverse_proxy (the last handler of its chain) to note the upstream (pool
// member) a request goes to, in the request's vars, for countHTTP. The
// reverse_proxy's placeholders cannot tell: the route-auth handlers' own
// reverse_proxy to the control plane sets them too, and a request its
// login page answered never reaches a member.
type httpMemberSelector struct {
	inner reverseproxy.Selector
}

// httpMemberVar holds the *reverseproxy.Upstream chosen last.
const httpMemberVar = "gatehouse_member"

// Select implements reverseproxy.Selector.
func (s httpMemberSelector) Select(pool reverseproxy.UpstreamPool, r *http.Request, w http.ResponseWriter) *reverseproxy.Upstream {
	u := s.inner.Select(pool, r, w)
	if u != nil {
		caddyhttp.SetVar(r.Context(), httpMemberVar, u)
	}
	return u
}

// wrapHTTPSelectors puts httpMemberSelector around the selection policy of
// the reverse_proxy handlers at the top level of a provisioned route (the
// route's own proxy; src/caddy/snapshot.ts httpHandlers). Nested ones, in
// the route-auth subroutes, stay as they are.
func wrapHTTPSelectors(route *caddyhttp.Route) {
	for _, h := range route.Handlers {
		rp, ok := h.(*reverseproxy.Handler)
		if !ok || rp.LoadBalancing == nil || rp.LoadBalancing.SelectionPolicy == nil {
			continue
		}
		if _, done := rp.LoadBalancing.SelectionPolicy.(httpMemberSelector); !done {
			rp.LoadBalancing.SelectionPolicy = httpMemberSelector{inner: rp.LoadBalancing.SelectionPolicy}
		}
	}
}

// chosenMember is the host of the upstream the route's proxy chose for r,
// or "" when it chose none.
func chosenMember(r *http.Request) string {
	if u, ok := caddyhttp.GetVar(r.Context(), httpMemberVar).(*reverseproxy.Upstream); ok && u != nil {
		return memberHost(u.Dial)
	}
	return ""
}

// Interface guards
var _ reverseproxy.Selector = httpMemberSelector{}
