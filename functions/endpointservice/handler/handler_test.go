package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/google/go-cmp/cmp"

	"crossregionapi/functions/endpointservice/ec2fake"
	"crossregionapi/functions/endpointservice/handler"
)

// clock is a fake clock: Sleep moves it on at once, and records the
// pauses.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	slept  []time.Duration
	asleep time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	c.asleep += d
	return nil
}

// newHandler is a handler with the default bounds on fake's client and a
// fake clock.
func newHandler(t *testing.T, fake *ec2fake.EC2) (*handler.Handler, *clock) {
	t.Helper()
	fake.Start(t)
	c := &clock{now: time.Now()}
	h := handler.New(fake.Client(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.Now, h.Sleep = c.Now, c.Sleep
	return h, c
}

const (
	endpointID = "vpce-0123456789abcdef0"
	serviceID  = "vpce-svc-0123456789abcdef0"
)

func lookupEvent(request cfn.RequestType, physical string, ids ...string) cfn.Event {
	var list []any
	for _, id := range ids {
		list = append(list, id)
	}
	return cfn.Event{
		RequestType:        request,
		RequestID:          "req-" + string(request),
		ResourceType:       handler.TypeEndpointAddresses,
		LogicalResourceID:  "EndpointAddresses",
		PhysicalResourceID: physical,
		ResourceProperties: map[string]any{
			"ServiceToken":                  "arn:aws:lambda:us-east-1:111111111111:function:f",
			handler.PropEndpointID:          endpointID,
			handler.PropNetworkInterfaceIDs: list,
		},
	}
}

func connectionsEvent(request cfn.RequestType, service string) cfn.Event {
	return cfn.Event{
		RequestType:        request,
		RequestID:          "req-" + string(request),
		ResourceType:       handler.TypeEndpointServiceConnections,
		LogicalResourceID:  "Connections",
		PhysicalResourceID: service,
		ResourceProperties: map[string]any{"ServiceToken": "arn:aws:lambda:us-east-1:111111111111:function:f", handler.PropServiceID: service},
	}
}

// The lookup answers each interface's address under Address{i}, in the
// order of the ids asked (the fake answers in another), names itself
// after the endpoint, and asks for managed interfaces; Delete asks EC2
// nothing.
func TestEndpointAddresses(t *testing.T) {
	fake := &ec2fake.EC2{Interfaces: map[string]string{
		"eni-0aaaaaaaaaaaaaaaa": "10.0.1.10", "eni-0bbbbbbbbbbbbbbbb": "10.0.2.20",
		"eni-0cccccccccccccccc": "10.0.1.30", "eni-0dddddddddddddddd": "10.0.2.40",
	}}
	h, _ := newHandler(t, fake)
	for _, tc := range []struct {
		request cfn.RequestType
		ids     []string
		want    map[string]any
	}{
		{cfn.RequestCreate, []string{"eni-0aaaaaaaaaaaaaaaa", "eni-0bbbbbbbbbbbbbbbb"}, map[string]any{"Address0": "10.0.1.10", "Address1": "10.0.2.20"}},
		// New subnets, new interfaces, listed in the other order.
		{cfn.RequestUpdate, []string{"eni-0dddddddddddddddd", "eni-0cccccccccccccccc"}, map[string]any{"Address0": "10.0.2.40", "Address1": "10.0.1.30"}},
	} {
		physical, data, err := h.Handle(context.Background(), lookupEvent(tc.request, endpointID, tc.ids...))
		if err != nil {
			t.Fatalf("%s: %v", tc.request, err)
		}
		if physical != endpointID {
			t.Errorf("%s: physical id %q, want the endpoint's %q", tc.request, physical, endpointID)
		}
		if diff := cmp.Diff(tc.want, data); diff != "" {
			t.Errorf("%s: Data (-want +got):\n%s", tc.request, diff)
		}
		last := fake.Calls()[len(fake.Calls())-1]
		if last.Action != "DescribeNetworkInterfaces" || last.Params.Get("IncludeManagedResources") != "true" ||
			last.Params.Get("NetworkInterfaceId.1") != tc.ids[0] || last.Params.Get("NetworkInterfaceId.2") != tc.ids[1] {
			t.Errorf("%s: request %s %v", tc.request, last.Action, last.Params)
		}
	}
	calls := len(fake.Calls())
	physical, data, err := h.Handle(context.Background(), lookupEvent(cfn.RequestDelete, endpointID, "eni-0aaaaaaaaaaaaaaaa"))
	if err != nil || physical != endpointID || data != nil || len(fake.Calls()) != calls {
		t.Errorf("Delete: %q %v %v and %d EC2 calls, want the same physical id, nothing asked", physical, data, err, len(fake.Calls())-calls)
	}
}

// EC2 refusing for want of permission, as it does while a new role's
// policy propagates, is tried again with growing pauses until it answers;
// a refusal that lasts past the bound fails with a reason naming the
// action and the code; any other error fails at once.
func TestLookupRetriesIAMRefusals(t *testing.T) {
	ids := []string{"eni-0aaaaaaaaaaaaaaaa"}
	interfaces := map[string]string{"eni-0aaaaaaaaaaaaaaaa": "10.0.1.10"}

	t.Run("refused at first", func(t *testing.T) {
		fake := &ec2fake.EC2{Interfaces: interfaces, RefuseFirst: 4}
		h, c := newHandler(t, fake)
		_, data, err := h.Handle(context.Background(), lookupEvent(cfn.RequestCreate, "", ids...))
		if err != nil {
			t.Fatal(err)
		}
		if data["Address0"] != "10.0.1.10" {
			t.Errorf("Data %v", data)
		}
		if got := fake.Actions(); len(got) != 5 {
			t.Errorf("calls %v, want 4 refused and 1 answered", got)
		}
		if want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}; !cmp.Equal(want, c.slept) {
			t.Errorf("pauses %v, want %v", c.slept, want)
		}
	})

	t.Run("refused for good", func(t *testing.T) {
		fake := &ec2fake.EC2{Interfaces: interfaces, RefuseAlways: true}
		h, c := newHandler(t, fake)
		_, _, err := h.Handle(context.Background(), lookupEvent(cfn.RequestCreate, "", ids...))
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{"DescribeNetworkInterfaces", "UnauthorizedOperation", "check the function role's policy"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("reason %q does not say %q", err, want)
			}
		}
		if c.asleep > handler.DefaultIAMWait || c.asleep < handler.DefaultIAMWait-20*time.Second {
			t.Errorf("tried for %s, want about %s", c.asleep, handler.DefaultIAMWait)
		}
		if n := len(fake.Actions()); n < 6 || n > 12 {
			t.Errorf("%d attempts in %s", n, c.asleep)
		}
	})

	t.Run("another error", func(t *testing.T) {
		fake := &ec2fake.EC2{Interfaces: interfaces}
		h, c := newHandler(t, fake)
		_, _, err := h.Handle(context.Background(), lookupEvent(cfn.RequestCreate, "", "eni-0ffffffffffffffff"))
		if err == nil || !strings.Contains(err.Error(), "InvalidNetworkInterfaceID.NotFound") {
			t.Errorf("error %v, want EC2's code", err)
		}
		if n := len(fake.Actions()); n != 1 || len(c.slept) != 0 {
			t.Errorf("%d calls, pauses %v: want one call", n, c.slept)
		}
	})

	// The invocation's deadline shortens the wait, so that the function
	// still answers CloudFormation before Lambda stops it.
	t.Run("deadline", func(t *testing.T) {
		fake := &ec2fake.EC2{Interfaces: interfaces, RefuseAlways: true}
		h, c := newHandler(t, fake)
		ctx, cancel := context.WithDeadline(context.Background(), c.Now().Add(time.Minute))
		defer cancel()
		_, _, err := h.Handle(ctx, lookupEvent(cfn.RequestCreate, "", ids...))
		if err == nil || !strings.Contains(err.Error(), "UnauthorizedOperation") || c.asleep > 45*time.Second {
			t.Errorf("error %v after %s, want a failure within the minute less the time to answer", err, c.asleep)
		}
	})
}

// A service with connections in every state: Delete rejects exactly the
// Available and PendingAcceptance ones, in one call, waits until EC2 shows
// them rejected, and leaves other services alone; the service can then be
// deleted, which EC2 refused before.
func TestConnectionsDeleteRejectsOpenConnections(t *testing.T) {
	fake := &ec2fake.EC2{
		RejectLag: 2,
		Services: map[string][]*ec2fake.Connection{
			serviceID: {
				{Endpoint: "vpce-0aaa", Owner: "222222222222", State: ec2fake.Available},
				{Endpoint: "vpce-0bbb", Owner: "333333333333", State: ec2fake.PendingAcceptance},
				{Endpoint: "vpce-0ccc", Owner: "222222222222", State: ec2fake.Rejected},
				{Endpoint: "vpce-0ddd", Owner: "222222222222", State: ec2fake.Deleted},
			},
			"vpce-svc-0other": {{Endpoint: "vpce-0eee", Owner: "222222222222", State: ec2fake.Available}},
		},
	}
	h, c := newHandler(t, fake)
	if code, err := fake.DeleteService(context.Background(), serviceID); err != nil || code != "ExistingVpcEndpointConnections" {
		t.Fatalf("deleting the service before: %q %v, want ExistingVpcEndpointConnections", code, err)
	}
	before := len(fake.Calls())

	physical, _, err := h.Handle(context.Background(), connectionsEvent(cfn.RequestDelete, serviceID))
	if err != nil {
		t.Fatal(err)
	}
	if physical != serviceID {
		t.Errorf("physical id %q", physical)
	}
	var rejected [][]string
	for _, call := range fake.Calls()[before:] {
		if call.Action == "RejectVpcEndpointConnections" {
			if call.Params.Get("ServiceId") != serviceID {
				t.Errorf("rejected at %s", call.Params.Get("ServiceId"))
			}
			var ids []string
			for i := 1; call.Params.Has(fmt.Sprintf("VpcEndpointId.%d", i)); i++ {
				ids = append(ids, call.Params.Get(fmt.Sprintf("VpcEndpointId.%d", i)))
			}
			rejected = append(rejected, ids)
		}
		if call.Action == "DescribeVpcEndpointConnections" &&
			(call.Params.Get("Filter.1.Name") != "service-id" || call.Params.Get("Filter.1.Value.1") != serviceID) {
			t.Errorf("described %v, want the service's connections only", call.Params)
		}
	}
	if diff := cmp.Diff([][]string{{"vpce-0aaa", "vpce-0bbb"}}, rejected); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
	for endpoint, want := range map[string]string{"vpce-0aaa": ec2fake.Rejected, "vpce-0bbb": ec2fake.Rejected, "vpce-0ccc": ec2fake.Rejected, "vpce-0ddd": ec2fake.Deleted} {
		if got := fake.State(serviceID, endpoint); got != want {
			t.Errorf("%s: %s, want %s", endpoint, got, want)
		}
	}
	if got := fake.State("vpce-svc-0other", "vpce-0eee"); got != ec2fake.Available {
		t.Errorf("the other service's connection: %s", got)
	}
	if len(c.slept) == 0 {
		t.Error("the handler did not wait for the rejections to show")
	}
	if code, err := fake.DeleteService(context.Background(), serviceID); err != nil || code != "" {
		t.Errorf("deleting the service after: %q %v", code, err)
	}
}

// Many connections: every page is read and the rejections go in batches.
func TestConnectionsDeletePagesAndBatches(t *testing.T) {
	var conns []*ec2fake.Connection
	for i := range 120 {
		conns = append(conns, &ec2fake.Connection{Endpoint: fmt.Sprintf("vpce-%03d", i), Owner: "222222222222", State: ec2fake.Available})
	}
	fake := &ec2fake.EC2{Services: map[string][]*ec2fake.Connection{serviceID: conns}}
	h, _ := newHandler(t, fake)
	if _, _, err := h.Handle(context.Background(), connectionsEvent(cfn.RequestDelete, serviceID)); err != nil {
		t.Fatal(err)
	}
	var rejectedIDs []string
	var batches []int
	for _, call := range fake.Calls() {
		if call.Action != "RejectVpcEndpointConnections" {
			continue
		}
		n := 0
		for ; call.Params.Has(fmt.Sprintf("VpcEndpointId.%d", n+1)); n++ {
			rejectedIDs = append(rejectedIDs, call.Params.Get(fmt.Sprintf("VpcEndpointId.%d", n+1)))
		}
		batches = append(batches, n)
	}
	if !cmp.Equal(batches, []int{50, 50, 20}) {
		t.Errorf("batches %v, want 50, 50, 20", batches)
	}
	slices.Sort(rejectedIDs)
	if len(slices.Compact(rejectedIDs)) != 120 {
		t.Errorf("rejected %d distinct endpoints, want 120", len(rejectedIDs))
	}
	for _, c := range conns {
		if got := fake.State(serviceID, c.Endpoint); got != ec2fake.Rejected {
			t.Fatalf("%s: %s", c.Endpoint, got)
		}
	}
}

// Delete of a service that is gone succeeds; Create and Update ask EC2
// nothing; connections that stay open past the bound fail the delete with
// their ids; refusals for want of permission are tried again here too.
func TestConnectionsOtherCases(t *testing.T) {
	t.Run("service gone", func(t *testing.T) {
		fake := &ec2fake.EC2{Services: map[string][]*ec2fake.Connection{}}
		h, _ := newHandler(t, fake)
		if _, _, err := h.Handle(context.Background(), connectionsEvent(cfn.RequestDelete, serviceID)); err != nil {
			t.Fatal(err)
		}
		if got := fake.Actions(); !cmp.Equal(got, []string{"DescribeVpcEndpointConnections"}) {
			t.Errorf("calls %v", got)
		}
	})
	t.Run("create and update", func(t *testing.T) {
		fake := &ec2fake.EC2{}
		h, _ := newHandler(t, fake)
		for _, r := range []cfn.RequestType{cfn.RequestCreate, cfn.RequestUpdate} {
			physical, _, err := h.Handle(context.Background(), connectionsEvent(r, serviceID))
			if err != nil || physical != serviceID {
				t.Errorf("%s: %q %v", r, physical, err)
			}
		}
		if n := len(fake.Calls()); n != 0 {
			t.Errorf("%d EC2 calls", n)
		}
	})
	t.Run("still open", func(t *testing.T) {
		fake := &ec2fake.EC2{RejectLag: 1000, Services: map[string][]*ec2fake.Connection{
			serviceID: {{Endpoint: "vpce-0aaa", Owner: "222222222222", State: ec2fake.Available}},
		}}
		h, c := newHandler(t, fake)
		_, _, err := h.Handle(context.Background(), connectionsEvent(cfn.RequestDelete, serviceID))
		if err == nil || !strings.Contains(err.Error(), "vpce-0aaa (available)") {
			t.Errorf("error %v, want the open connection named", err)
		}
		if c.asleep > handler.DefaultRejectWait {
			t.Errorf("waited %s", c.asleep)
		}
	})
	t.Run("refused at first", func(t *testing.T) {
		fake := &ec2fake.EC2{RefuseFirst: 2, Services: map[string][]*ec2fake.Connection{
			serviceID: {{Endpoint: "vpce-0aaa", Owner: "222222222222", State: ec2fake.PendingAcceptance}},
		}}
		h, _ := newHandler(t, fake)
		if _, _, err := h.Handle(context.Background(), connectionsEvent(cfn.RequestDelete, serviceID)); err != nil {
			t.Fatal(err)
		}
		if got := fake.State(serviceID, "vpce-0aaa"); got != ec2fake.Rejected {
			t.Errorf("state %s", got)
		}
	})
}

// Wrapped by cfn.LambdaWrap, as main does, the handler's answer reaches
// the response URL: SUCCESS with the addresses, or FAILED with EC2's code
// in the reason.
func TestAnswersCloudFormation(t *testing.T) {
	var mu sync.Mutex
	var answers []map[string]any
	cloudFormation := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a map[string]any
		if r.Method != http.MethodPut || json.NewDecoder(r.Body).Decode(&a) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		answers = append(answers, a)
		mu.Unlock()
	}))
	defer cloudFormation.Close()
	fake := &ec2fake.EC2{Interfaces: map[string]string{"eni-0aaaaaaaaaaaaaaaa": "10.0.1.10"}}
	h, _ := newHandler(t, fake)
	lambdaFn := cfn.LambdaWrap(h.Handle)
	for _, id := range []string{"eni-0aaaaaaaaaaaaaaaa", "eni-0ffffffffffffffff"} {
		e := lookupEvent(cfn.RequestCreate, "", id)
		e.ResponseURL = cloudFormation.URL + "/response"
		if _, err := lambdaFn(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if len(answers) != 2 {
		t.Fatalf("answers %v", answers)
	}
	if a := answers[0]; a["Status"] != "SUCCESS" || a["PhysicalResourceId"] != endpointID || cmp.Diff(map[string]any{"Address0": "10.0.1.10"}, a["Data"]) != "" {
		t.Errorf("first answer %v", a)
	}
	if a := answers[1]; a["Status"] != "FAILED" || !strings.Contains(a["Reason"].(string), "InvalidNetworkInterfaceID.NotFound") {
		t.Errorf("second answer %v", a)
	}
}
