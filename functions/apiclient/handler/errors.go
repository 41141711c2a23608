package handler

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// Kind sorts a failed call by where its cause most likely lies.
type Kind string

// The kinds of CallError.
const (
	KindForbidden   Kind = "forbidden"         // HTTP 403
	KindThrottled   Kind = "throttled"         // HTTP 429 on every attempt
	KindServer      Kind = "server_error"      // HTTP 5xx on every attempt
	KindStatus      Kind = "unexpected_status" // any other non-2xx status
	KindDNS         Kind = "dns"               // the hostname did not resolve
	KindTimeout     Kind = "timeout"           // no connection or answer in time
	KindConnection  Kind = "connection"        // refused, reset or closed
	KindTLS         Kind = "tls"               // handshake or certificate failure
	KindCredentials Kind = "credentials"       // no AWS credentials to sign with
	KindResponse    Kind = "response"          // the response could not be used
	KindTransport   Kind = "transport"         // any other failure to call
)

// CallError is a failed invocation: what was called, how it failed and
// where to look.
type CallError struct {
	URL string
	// Region is the API Region called, set only when the handler has a
	// failover Region (Config.FailoverAPIRegion), so the text names it.
	Region string
	// Status is the last HTTP status, 0 when no response arrived.
	Status   int
	Attempts int
	Kind     Kind
	Cause    error
	Hint     string
}

func (e *CallError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s", e.URL)
	if e.Region != "" {
		fmt.Fprintf(&b, " in %s", e.Region)
	}
	fmt.Fprintf(&b, " failed after %d attempt", e.Attempts)
	if e.Attempts != 1 {
		b.WriteByte('s')
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	fmt.Fprintf(&b, " (%s)", e.Kind)
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %s", oneLine(e.Cause.Error()))
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, "; check %s", e.Hint)
	}
	return b.String()
}

func (e *CallError) Unwrap() error { return e.Cause }

const networkHint = "the network path: security groups (the execute-api endpoint admits TCP 443 from the client VPC CIDR; " +
	"the function allows egress 443 to the API VPC CIDR), the routes to the peer CIDR in both VPCs' route tables, " +
	"and that the VPC peering connection is active"

// privateLinkNetworkHint follows a call over cross-Region PrivateLink:
// the client's interface endpoint, the endpoint service in the API's
// Region, its Network Load Balancer and the API VPC's execute-api
// endpoint behind it. There is no peering and no route to check.
const privateLinkNetworkHint = "the PrivateLink path: security groups (the client VPC's interface endpoint admits TCP 443 from the client VPC CIDR; " +
	"the function allows egress 443 to that endpoint), that the endpoint is available (pendingAcceptance or rejected: " +
	"the endpoint service's allowed principals and acceptance), that the endpoint service's SupportedRegions include the client's Region, " +
	"the load balancer's target health (the execute-api endpoint's addresses), " +
	"and that the execute-api endpoint's security group admits TCP 443 from the load balancer's"

// hint says where in the deployment a failure of kind k is most likely
// fixed. transport is Config.Transport: the network kinds name the path it
// carries calls on.
func hint(k Kind, status int, region, transport string) string {
	return hintFor(k, status, region, transport, EnvAPIURL, EnvAPIRegion)
}

// hintFor is hint for the API whose URL and Region the variables urlVar
// and regionVar set: API_URL and API_REGION, or the failover Region's.
func hintFor(k Kind, status int, region, transport, urlVar, regionVar string) string {
	privateLink := transport == TransportPrivateLink
	switch k {
	case KindForbidden:
		return "the API's resource policy (aws:SourceVpce must be the execute-api interface endpoint the call comes through, in the API's VPC), " +
			"the function role's execute-api:Invoke grant for this method and stage, " +
			"and the signing Region (" + regionVar + "=" + region + " must be the API's Region)"
	case KindThrottled:
		return "the API stage's throttling limits and usage plan; the API throttled every attempt"
	case KindServer:
		return "the API's integration and the stage's execution logs in " + region + "; the API failed every attempt"
	case KindStatus:
		if status == http.StatusNotFound || status/100 == 3 {
			return urlVar + " (host and stage) and API_RESOURCE: they must name a deployed stage and method"
		}
		return "the request the API expects from this method (" + urlVar + ", API_RESOURCE)"
	case KindDNS:
		if privateLink {
			return "the Route 53 private hosted zone for the API's hostname, its association with the client VPC " +
				"and its alias record to the client VPC's PrivateLink endpoint, and that " + urlVar + " uses the API's execute-api hostname"
		}
		return "the Route 53 private hosted zone for the API's hostname and its association with the client VPC, " +
			"and that " + urlVar + " uses the API's execute-api hostname"
	case KindTimeout, KindConnection:
		if privateLink {
			return privateLinkNetworkHint
		}
		return networkHint
	case KindTLS:
		h := "that " + urlVar + " uses the API's own execute-api hostname ({api-id}.execute-api." + region +
			".amazonaws.com), so the endpoint's certificate matches it"
		if privateLink {
			h += ", and that the endpoint service's load balancer passes TLS through to the execute-api endpoint (a TCP listener on 443)"
		}
		return h
	case KindCredentials:
		return "the function's execution role and the credentials Lambda passes to it"
	}
	return ""
}

// statusKind sorts a non-2xx status and says whether another attempt may
// succeed.
func statusKind(status int) (Kind, bool) {
	switch {
	case status == http.StatusForbidden:
		return KindForbidden, false
	case status == http.StatusTooManyRequests:
		return KindThrottled, true
	case status >= 500:
		return KindServer, true
	}
	return KindStatus, false
}

// errorKind sorts a failure to get a response and says whether another
// attempt may succeed.
func errorKind(err error) (Kind, bool) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		// A name that does not exist will not exist a moment later.
		return KindDNS, !dnsErr.IsNotFound && (dnsErr.IsTimeout || dnsErr.IsTemporary)
	}
	var (
		verifyErr    *tls.CertificateVerificationError
		authorityErr x509.UnknownAuthorityError
		hostErr      x509.HostnameError
		invalidErr   x509.CertificateInvalidError
		recordErr    tls.RecordHeaderError
		alertErr     tls.AlertError
	)
	if errors.As(err, &verifyErr) || errors.As(err, &authorityErr) || errors.As(err, &hostErr) ||
		errors.As(err, &invalidErr) || errors.As(err, &recordErr) || errors.As(err, &alertErr) {
		return KindTLS, false
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout() {
		return KindTimeout, true
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return KindConnection, true
	}
	return KindTransport, false
}

// oneLine keeps a log line or an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
