package main

import (
	"strings"

	"crossregionapi/config"
	"crossregionapi/functions/apiclient/handler"
)

// kindHint says where a failure of a kind (the probe's FailureKind, the
// handler's Kind) is most likely fixed. The handler has these hints for
// its own errors but keeps them unexported (handler.hint in
// functions/apiclient/handler/errors.go), so they are repeated here, keyed
// by the handler's Kind constants: keep the two in step. apiRegion is the
// API's Region; transport is the configuration's (config.Transport), which
// the client constructs hand the function as API_TRANSPORT: the network
// kinds name the path it carries calls on.
func kindHint(kind handler.Kind, apiRegion, transport string) string {
	privateLink := transport == config.TransportPrivateLink
	switch kind {
	case handler.KindForbidden:
		return "the API's resource policy (aws:SourceVpce must be the execute-api interface endpoint the call comes through, in the API's VPC), " +
			"the function role's execute-api:Invoke grant for this method and stage, " +
			"and the signing Region (API_REGION=" + apiRegion + " must be the API's Region)"
	case handler.KindThrottled:
		return "the API stage's throttling limits and usage plan; the API throttled every attempt"
	case handler.KindServer:
		return "the API's integration and the stage's execution logs in " + apiRegion + "; the API failed every attempt"
	case handler.KindStatus:
		// The metric does not keep the status, which tells the handler's
		// two hints apart: give both.
		return "API_URL (host and stage) and API_RESOURCE: they must name a deployed stage and method; or the request the API expects from this method (API_URL, API_RESOURCE)"
	case handler.KindDNS:
		if privateLink {
			return "the Route 53 private hosted zone for the API's hostname, its association with the client VPC " +
				"and its alias record to the client VPC's PrivateLink endpoint, and that API_URL uses the API's execute-api hostname"
		}
		return "the Route 53 private hosted zone for the API's hostname and its association with the client VPC, " +
			"and that API_URL uses the API's execute-api hostname"
	case handler.KindTimeout, handler.KindConnection:
		if privateLink {
			return "the PrivateLink path: security groups (the client VPC's interface endpoint admits TCP 443 from the client VPC CIDR; " +
				"the function allows egress 443 to that endpoint), that the endpoint is available (pendingAcceptance or rejected: " +
				"the endpoint service's allowed principals and acceptance), that the endpoint service's SupportedRegions include the client's Region, " +
				"the load balancer's target health (the execute-api endpoint's addresses), " +
				"and that the execute-api endpoint's security group admits TCP 443 from the load balancer's"
		}
		return "the network path: security groups (the execute-api endpoint admits TCP 443 from the client VPC CIDR; " +
			"the function allows egress 443 to the API VPC CIDR), the routes to the peer CIDR in both VPCs' route tables, " +
			"and that the VPC peering connection is active"
	case handler.KindTLS:
		h := "that API_URL uses the API's own execute-api hostname ({api-id}.execute-api." + apiRegion +
			".amazonaws.com), so the endpoint's certificate matches it"
		if privateLink {
			h += ", and that the endpoint service's load balancer passes TLS through to the execute-api endpoint (a TCP listener on 443)"
		}
		return h
	case handler.KindCredentials:
		return "the function's execution role and the credentials Lambda passes to it"
	}
	return ""
}

// failureHint is where to look for a failed probe of kinds (none when the
// metrics do not tell it): each kind's hint, or the function's logs.
func failureHint(kinds []string, apiRegion, clientRegion, transport string) string {
	var hints []string
	for _, k := range kinds {
		if h := kindHint(handler.Kind(k), apiRegion, transport); h != "" {
			hints = append(hints, h)
		}
	}
	if len(hints) == 0 {
		return "the client function's logs in " + clientRegion + ", which tell each failure with its kind and hint"
	}
	return strings.Join(hints, "; and ")
}
