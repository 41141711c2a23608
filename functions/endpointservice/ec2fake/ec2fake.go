// Package ec2fake is a stand-in for the few EC2 API actions the endpoint
// service's custom resources call, speaking EC2's Query protocol on a
// local httptest server, so that the real SDK client runs against it.
//
// It follows the EC2 API Reference (API version 2016-11-15): the actions'
// parameters and response elements, "Error codes for the Amazon EC2 API"
// and its example error response, and it refuses what the reference says
// AWS refuses. Behaviour the reference does not describe is not modelled.
package ec2fake

import (
	"context"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Connection states, as the reference spells them for the
// vpc-endpoint-state filter of DescribeVpcEndpointConnections
// ("pendingAcceptance | pending | available | deleting | deleted |
// rejected | failed").
const (
	Available         = "available"
	PendingAcceptance = "pendingAcceptance"
	Rejected          = "rejected"
	Deleted           = "deleted"
)

// Connection is an interface endpoint's connection to a service.
type Connection struct {
	Endpoint, Owner, State string
	// pendingLooks counts the looks at the service left before a
	// rejection shows.
	pendingLooks int
	rejecting    bool
}

// Call is one request the fake took.
type Call struct {
	Action string
	Params url.Values
}

// EC2 is the fake. Set its fields before the first request.
type EC2 struct {
	// Interfaces are the network interfaces, id to private IPv4 address.
	Interfaces map[string]string
	// Services are the endpoint services, id to connections.
	Services map[string][]*Connection
	// RefuseFirst refuses that many requests with UnauthorizedOperation,
	// as EC2 does while a new role's policy has not reached it.
	RefuseFirst int
	// RefuseAlways refuses every request with UnauthorizedOperation.
	RefuseAlways bool
	// RejectLag is how many DescribeVpcEndpointConnections calls still
	// show a rejected connection in its old state: the reference does
	// not say a rejection is immediate.
	RejectLag int

	mu    sync.Mutex
	calls []Call
	srv   *httptest.Server
}

// Start serves the fake on 127.0.0.1 until the test ends.
func (f *EC2) Start(t interface{ Cleanup(func()) }) {
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
}

// URL is the fake's endpoint.
func (f *EC2) URL() string { return f.srv.URL }

// Client is an EC2 client of the real SDK pointed at the fake, with
// static credentials, and retries off so that tests see each refusal.
func (f *EC2) Client() *ec2.Client {
	return ec2.New(ec2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(f.srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		HTTPClient:       f.srv.Client(),
		RetryMaxAttempts: 1,
	})
}

// Calls returns the requests taken so far.
func (f *EC2) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Actions returns the actions of the requests taken so far, in order.
func (f *EC2) Actions() []string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, c.Action)
	}
	return out
}

// State returns the state of endpoint's connection to service, or "".
func (f *EC2) State(service, endpoint string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.Services[service] {
		if c.Endpoint == endpoint {
			return c.State
		}
	}
	return ""
}

// DeleteService is DeleteVpcEndpointServiceConfigurations for one service,
// through the SDK: what CloudFormation does once the connections resource
// is gone. It returns EC2's code for a service it does not delete, or "".
func (f *EC2) DeleteService(ctx context.Context, service string) (string, error) {
	out, err := f.Client().DeleteVpcEndpointServiceConfigurations(ctx, &ec2.DeleteVpcEndpointServiceConfigurationsInput{ServiceIds: []string{service}})
	if err != nil {
		return "", err
	}
	for _, u := range out.Unsuccessful {
		return aws.ToString(u.Error.Code), nil
	}
	return "", nil
}

// apiError is an EC2 error response.
type apiError struct {
	status        int
	code, message string
}

func (f *EC2) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, apiError{http.StatusBadRequest, "MalformedQueryString", err.Error()})
		return
	}
	action := r.Form.Get("Action")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Action: action, Params: r.Form})

	// Every request is signed with Signature Version 4 ("AuthFailure: The
	// provided credentials could not be validated", Common client error
	// codes).
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") ||
		!strings.Contains(r.Header.Get("Authorization"), "/us-east-1/ec2/aws4_request") {
		writeError(w, apiError{http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials"})
		return
	}
	if r.Form.Get("Version") != "2016-11-15" {
		writeError(w, apiError{http.StatusBadRequest, "InvalidParameterValue", "unsupported Version " + r.Form.Get("Version")})
		return
	}
	// "If a user attempts to perform an action for which permission has
	// not been granted, the request returns the following error:
	// Client.UnauthorizedOperation" (Troubleshooting API request errors);
	// the SDK reads the code without its "Client." prefix.
	if f.RefuseAlways || f.RefuseFirst > 0 {
		f.RefuseFirst--
		writeError(w, apiError{http.StatusForbidden, "UnauthorizedOperation",
			"You are not authorized to perform this operation. User: arn:aws:sts::111111111111:assumed-role/Role/fn is not authorized to perform: ec2:" + action})
		return
	}
	var body any
	var err *apiError
	switch action {
	case "DescribeNetworkInterfaces":
		body, err = f.describeNetworkInterfaces(r.Form)
	case "DescribeVpcEndpointConnections":
		body, err = f.describeVpcEndpointConnections(r.Form)
	case "RejectVpcEndpointConnections":
		body, err = f.rejectVpcEndpointConnections(r.Form)
	case "DeleteVpcEndpointServiceConfigurations":
		body, err = f.deleteVpcEndpointServiceConfigurations(r.Form)
	default:
		err = &apiError{http.StatusBadRequest, "InvalidAction", "The action " + action + " is not valid for this web service."}
	}
	if err != nil {
		writeError(w, *err)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	out, _ := xml.Marshal(body)
	w.Write(append([]byte(xml.Header), out...))
}

// list reads the members of a list parameter: Name.1, Name.2, ...
func list(form url.Values, name string) []string {
	var out []string
	for i := 1; form.Has(name + "." + strconv.Itoa(i)); i++ {
		out = append(out, form.Get(name+"."+strconv.Itoa(i)))
	}
	return out
}

func missing(name string) *apiError {
	return &apiError{http.StatusBadRequest, "MissingParameter", "The request must contain the parameter " + name}
}

type networkInterfacesResponse struct {
	XMLName    xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeNetworkInterfacesResponse"`
	RequestID  string   `xml:"requestId"`
	Interfaces []struct {
		ID               string `xml:"networkInterfaceId"`
		PrivateIPAddress string `xml:"privateIpAddress"`
		RequesterManaged bool   `xml:"requesterManaged"`
		InterfaceType    string `xml:"interfaceType"`
	} `xml:"networkInterfaceSet>item"`
}

// describeNetworkInterfaces: NetworkInterfaceId.N; "You cannot specify
// this parameter [MaxResults] and the network interface IDs parameter in
// the same request"; an id that does not exist is
// InvalidNetworkInterfaceID.NotFound ("The specified network interface
// does not exist", Client error codes for specific actions). The answer's
// order is the fake's own (descending ids), not the request's.
func (f *EC2) describeNetworkInterfaces(form url.Values) (any, *apiError) {
	ids := list(form, "NetworkInterfaceId")
	if len(ids) > 0 && form.Has("MaxResults") {
		return nil, &apiError{http.StatusBadRequest, "InvalidParameterCombination", "The parameter NetworkInterfaceIds cannot be used with the parameter MaxResults"}
	}
	resp := networkInterfacesResponse{RequestID: "req-eni"}
	for _, id := range slices.Backward(slices.Sorted(slices.Values(ids))) {
		address, ok := f.Interfaces[id]
		if !ok {
			return nil, &apiError{http.StatusBadRequest, "InvalidNetworkInterfaceID.NotFound", fmt.Sprintf("The networkInterface ID '%s' does not exist", id)}
		}
		resp.Interfaces = append(resp.Interfaces, struct {
			ID               string `xml:"networkInterfaceId"`
			PrivateIPAddress string `xml:"privateIpAddress"`
			RequesterManaged bool   `xml:"requesterManaged"`
			InterfaceType    string `xml:"interfaceType"`
		}{id, address, true, "vpc_endpoint"})
	}
	return resp, nil
}

type connectionItem struct {
	ServiceID string `xml:"serviceId"`
	Endpoint  string `xml:"vpcEndpointId"`
	Owner     string `xml:"vpcEndpointOwner"`
	State     string `xml:"vpcEndpointState"`
}

type connectionsResponse struct {
	XMLName     xml.Name         `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeVpcEndpointConnectionsResponse"`
	RequestID   string           `xml:"requestId"`
	Connections []connectionItem `xml:"vpcEndpointConnectionSet>item"`
	NextToken   string           `xml:"nextToken,omitempty"`
}

// describeVpcEndpointConnections: Filter.N (service-id is the one the
// handler uses; a filter the reference does not list is refused), and
// pages: "This value can be between 5 and 1,000" (MaxResults), NextToken.
// A service id that matches nothing matches no connection. Rejections
// show after RejectLag looks.
func (f *EC2) describeVpcEndpointConnections(form url.Values) (any, *apiError) {
	services := map[string]bool{}
	filtered := false
	for i := 1; form.Has("Filter." + strconv.Itoa(i) + ".Name"); i++ {
		prefix := "Filter." + strconv.Itoa(i)
		switch name := form.Get(prefix + ".Name"); name {
		case "service-id":
			filtered = true
			for _, v := range list(form, prefix+".Value") {
				services[v] = true
			}
		case "ip-address-type", "vpc-endpoint-owner", "vpc-endpoint-region", "vpc-endpoint-state", "vpc-endpoint-id":
			return nil, &apiError{http.StatusBadRequest, "InvalidParameterValue", "the fake does not model the filter " + name}
		default:
			return nil, &apiError{http.StatusBadRequest, "InvalidParameterValue", "The filter '" + name + "' is invalid"}
		}
	}
	size := 1000
	if form.Has("MaxResults") {
		n, err := strconv.Atoi(form.Get("MaxResults"))
		if err != nil || n < 5 {
			return nil, &apiError{http.StatusBadRequest, "InvalidParameterValue", "MaxResults must be between 5 and 1000"}
		}
		size = min(n, 1000)
	}
	var all []connectionItem
	for _, id := range slices.Sorted(maps.Keys(f.Services)) {
		if filtered && !services[id] {
			continue
		}
		for _, c := range f.Services[id] {
			if c.rejecting {
				if c.pendingLooks == 0 {
					c.State, c.rejecting = Rejected, false
				} else {
					c.pendingLooks--
				}
			}
			all = append(all, connectionItem{id, c.Endpoint, c.Owner, c.State})
		}
	}
	start := 0
	if tok := form.Get("NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "page-"))
		if err != nil || n < 0 || n > len(all) {
			return nil, &apiError{http.StatusBadRequest, "InvalidNextToken", "The token '" + tok + "' is invalid"}
		}
		start = n
	}
	resp := connectionsResponse{RequestID: "req-describe"}
	end := min(start+size, len(all))
	resp.Connections = all[start:end]
	if end < len(all) {
		resp.NextToken = "page-" + strconv.Itoa(end)
	}
	return resp, nil
}

type unsuccessfulItem struct {
	Code       string `xml:"error>code"`
	Message    string `xml:"error>message"`
	ResourceID string `xml:"resourceId"`
}

type rejectResponse struct {
	XMLName      xml.Name           `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ RejectVpcEndpointConnectionsResponse"`
	RequestID    string             `xml:"requestId"`
	Unsuccessful []unsuccessfulItem `xml:"unsuccessful>item"`
}

// rejectVpcEndpointConnections: ServiceId and VpcEndpointId.N are
// required; a service that does not exist is
// InvalidVpcEndpointServiceId.NotFound; "unsuccessful: Information about
// the endpoints that were not rejected" names an endpoint that has no
// connection to the service.
func (f *EC2) rejectVpcEndpointConnections(form url.Values) (any, *apiError) {
	service := form.Get("ServiceId")
	endpoints := list(form, "VpcEndpointId")
	if service == "" {
		return nil, missing("ServiceId")
	}
	if len(endpoints) == 0 {
		return nil, missing("VpcEndpointId")
	}
	connections, ok := f.Services[service]
	if !ok {
		return nil, &apiError{http.StatusBadRequest, "InvalidVpcEndpointServiceId.NotFound", fmt.Sprintf("The VpcEndpointService Id '%s' does not exist", service)}
	}
	resp := rejectResponse{RequestID: "req-reject"}
	for _, e := range endpoints {
		i := slices.IndexFunc(connections, func(c *Connection) bool { return c.Endpoint == e })
		if i < 0 {
			resp.Unsuccessful = append(resp.Unsuccessful, unsuccessfulItem{"InvalidVpcEndpointId.NotFound", fmt.Sprintf("The Vpc Endpoint Id '%s' does not exist", e), e})
			continue
		}
		if c := connections[i]; c.State != Rejected && !c.rejecting {
			c.rejecting, c.pendingLooks = true, f.RejectLag
		}
	}
	return resp, nil
}

type deleteResponse struct {
	XMLName      xml.Name           `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DeleteVpcEndpointServiceConfigurationsResponse"`
	RequestID    string             `xml:"requestId"`
	Unsuccessful []unsuccessfulItem `xml:"unsuccessful>item"`
}

// deleteVpcEndpointServiceConfigurations: "Before you can delete an
// endpoint service configuration, you must reject any Available or
// PendingAcceptance interface endpoint connections that are attached to
// the service"; the code is ExistingVpcEndpointConnections ("You cannot
// delete a VPC endpoint service configuration or change the load
// balancers for the endpoint service if there are endpoints attached to
// the service", Client error codes for specific actions).
func (f *EC2) deleteVpcEndpointServiceConfigurations(form url.Values) (any, *apiError) {
	ids := list(form, "ServiceId")
	if len(ids) == 0 {
		return nil, missing("ServiceId")
	}
	resp := deleteResponse{RequestID: "req-delete"}
	for _, id := range ids {
		connections, ok := f.Services[id]
		if !ok {
			resp.Unsuccessful = append(resp.Unsuccessful, unsuccessfulItem{"InvalidVpcEndpointServiceId.NotFound", fmt.Sprintf("The VpcEndpointService Id '%s' does not exist", id), id})
			continue
		}
		if slices.ContainsFunc(connections, func(c *Connection) bool { return c.State == Available || c.State == PendingAcceptance }) {
			resp.Unsuccessful = append(resp.Unsuccessful, unsuccessfulItem{"ExistingVpcEndpointConnections", "Service has existing active VPC Endpoint connections!", id})
			continue
		}
		delete(f.Services, id)
	}
	return resp, nil
}

type errorResponse struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

// writeError answers as the reference's "Example error response" does.
func writeError(w http.ResponseWriter, e apiError) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(e.status)
	out, _ := xml.Marshal(errorResponse{Code: e.code, Message: e.message, RequestID: "req-error"})
	w.Write(append([]byte(xml.Header), out...))
}
