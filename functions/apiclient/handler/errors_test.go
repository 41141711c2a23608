package handler

import (
	"net/http"
	"strings"
	"testing"
)

// The transport changes the hints of the kinds whose cause lies on the
// path between the client and the API, and no other: an unset transport
// is peering, and only PrivateLink's hints speak of PrivateLink.
func TestHintPerTransport(t *testing.T) {
	path := map[Kind]bool{KindDNS: true, KindTimeout: true, KindConnection: true, KindTLS: true}
	for _, k := range []Kind{KindForbidden, KindThrottled, KindServer, KindStatus, KindDNS, KindTimeout,
		KindConnection, KindTLS, KindCredentials, KindResponse, KindTransport} {
		for _, status := range []int{0, http.StatusNotFound, http.StatusBadRequest} {
			unset := hint(k, status, "us-east-1", "")
			peering := hint(k, status, "us-east-1", TransportPeering)
			privateLink := hint(k, status, "us-east-1", TransportPrivateLink)
			if unset != peering {
				t.Errorf("%s: unset transport gives %q, peering %q; want the same", k, unset, peering)
			}
			if strings.Contains(peering, "PrivateLink") {
				t.Errorf("%s over peering: %q speaks of PrivateLink", k, peering)
			}
			if changed := privateLink != peering; changed != path[k] {
				t.Errorf("%s: PrivateLink's hint %q, peering's %q; want them different only for dns, timeout, connection and tls", k, privateLink, peering)
			}
			if path[k] && (!strings.Contains(privateLink, "PrivateLink") && !strings.Contains(privateLink, "load balancer") ||
				strings.Contains(privateLink, "peering") || strings.Contains(privateLink, "route")) {
				t.Errorf("%s over PrivateLink: %q, want the PrivateLink path and nothing of peering's", k, privateLink)
			}
		}
	}
	for _, k := range []Kind{KindTimeout, KindConnection} {
		got := hint(k, 0, "us-east-1", TransportPrivateLink)
		for _, part := range privateLinkHintParts {
			if !strings.Contains(got, part) {
				t.Errorf("%s over PrivateLink: %q lacks %q", k, got, part)
			}
		}
	}
}
