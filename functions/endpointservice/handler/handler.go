// Package handler serves the two CloudFormation custom resources of the
// API's PrivateLink front (constructs/apiendpointservice):
//
//   - Custom::EndpointAddresses reads the private IPv4 addresses of the
//     execute-api endpoint's network interfaces, which CloudFormation does
//     not give, for the load balancer's targets.
//   - Custom::EndpointServiceConnections rejects, when it is deleted, every
//     interface endpoint still connected to the endpoint service, so that
//     CloudFormation can then delete the service.
//
// Both answer CloudFormation through aws-lambda-go's cfn package
// (cfn.LambdaWrap puts the answer to the pre-signed response URL); this
// package only decides what the answer is.
package handler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"crossregionapi/functions/endpointservice/resource"
	"crossregionapi/internal/ctxsleep"
)

// The resource types and properties, as the construct writes them.
const (
	TypeEndpointAddresses          = resource.TypeEndpointAddresses
	TypeEndpointServiceConnections = resource.TypeEndpointServiceConnections
	PropEndpointID                 = resource.PropEndpointID
	PropNetworkInterfaceIDs        = resource.PropNetworkInterfaceIDs
	PropServiceID                  = resource.PropServiceID
)

// AddressAttribute is the Data attribute holding the address of the i-th
// network interface of NetworkInterfaceIds.
func AddressAttribute(i int) string { return resource.AddressAttribute(i) }

// EC2 is the part of EC2's API the handler calls; *ec2.Client has it.
type EC2 interface {
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	DescribeVpcEndpointConnections(context.Context, *ec2.DescribeVpcEndpointConnectionsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointConnectionsOutput, error)
	RejectVpcEndpointConnections(context.Context, *ec2.RejectVpcEndpointConnectionsInput, ...func(*ec2.Options)) (*ec2.RejectVpcEndpointConnectionsOutput, error)
}

// Defaults of Handler's bounds. The construct gives each function a
// timeout above the sum of the bounds its resource may spend.
const (
	// DefaultIAMWait: see Handler.IAMWait.
	DefaultIAMWait = 2 * time.Minute
	// DefaultRejectWait: see Handler.RejectWait.
	DefaultRejectWait = 5 * time.Minute
	// DefaultPoll is the pause between two looks at the connections.
	DefaultPoll = 5 * time.Second
	// answerMargin is kept free before the invocation's deadline, so
	// that the handler always answers CloudFormation itself: a function
	// that Lambda stops answers nothing, and CloudFormation then waits
	// for the resource's whole service timeout.
	answerMargin = 15 * time.Second
)

// Handler answers CloudFormation's requests for both resource types.
type Handler struct {
	EC2 EC2
	// IAMWait bounds how long a call EC2 refuses for want of permission
	// (UnauthorizedOperation, AccessDenied) is tried again. The role and
	// its policy are created in the same deployment, moments before the
	// first call, and "IAM uses a distributed computing model called
	// eventual consistency. Any change that you make in IAM ... takes time
	// to become visible from all possible endpoints" (IAM User Guide,
	// "Changes that I make are not always immediately visible"): a
	// refusal then is propagation, not a missing permission; a refusal
	// that outlasts the bound is reported as one.
	IAMWait time.Duration
	// RejectWait bounds the wait for rejected connections to leave the
	// Available and PendingAcceptance states.
	RejectWait time.Duration
	// Poll is the pause between two looks at the connections.
	Poll time.Duration
	// Now and Sleep are the clock; tests make time pass at once.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	Log   *slog.Logger
}

// New returns a Handler with the default bounds and the real clock.
func New(client EC2, log *slog.Logger) *Handler {
	return &Handler{
		EC2:        client,
		IAMWait:    DefaultIAMWait,
		RejectWait: DefaultRejectWait,
		Poll:       DefaultPoll,
		Now:        time.Now,
		Sleep:      ctxsleep.Sleep,
		Log:        log,
	}
}

// Handle is a cfn.CustomResourceFunction: it returns the physical id and
// the Data of the answer, or the error whose text CloudFormation shows as
// the reason of the failure.
func (h *Handler) Handle(ctx context.Context, event cfn.Event) (physicalID string, data map[string]any, err error) {
	h.Log.Info("request", "type", event.ResourceType, "request", event.RequestType,
		"logicalId", event.LogicalResourceID, "physicalId", event.PhysicalResourceID)
	switch event.ResourceType {
	case TypeEndpointAddresses:
		physicalID, data, err = h.endpointAddresses(ctx, event)
	case TypeEndpointServiceConnections:
		physicalID, err = h.serviceConnections(ctx, event)
	default:
		if event.RequestType == cfn.RequestDelete {
			// Whatever it was, it was never created: let the stack go.
			return event.PhysicalResourceID, nil, nil
		}
		err = fmt.Errorf("resource type %q: this function serves %s and %s", event.ResourceType, TypeEndpointAddresses, TypeEndpointServiceConnections)
	}
	if err != nil {
		h.Log.Error("failed", "type", event.ResourceType, "request", event.RequestType, "error", err.Error())
	}
	return physicalID, data, err
}

// until returns when a wait of bound from now must end: at now+bound, or
// earlier if the invocation's deadline, less the time to answer, comes
// first.
func (h *Handler) until(ctx context.Context, bound time.Duration) time.Time {
	end := h.Now().Add(bound)
	if d, ok := ctx.Deadline(); ok && d.Add(-answerMargin).Before(end) {
		end = d.Add(-answerMargin)
	}
	return end
}

// stringList reads a list-of-strings property.
func stringList(props map[string]any, name string) ([]string, error) {
	raw, ok := props[name]
	if !ok {
		return nil, fmt.Errorf("property %s is missing", name)
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("property %s is %T, want a list of strings", name, raw)
	}
	out := make([]string, 0, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok || s == "" {
			return nil, fmt.Errorf("property %s[%d] is %v, want a non-empty string", name, i, v)
		}
		out = append(out, s)
	}
	return out, nil
}

// stringProp reads a string property.
func stringProp(props map[string]any, name string) (string, error) {
	s, ok := props[name].(string)
	if !ok || s == "" {
		return "", fmt.Errorf("property %s is %v, want a non-empty string", name, props[name])
	}
	return s, nil
}
