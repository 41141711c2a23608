// Package clientvpc provides ClientVpc: a client VPC with no route to the
// Internet and a Lambda client that calls a private API in another Region
// over the paths it is given, one per API Region: a peering connection with
// its routes (peeringpath) or an interface endpoint to the API's endpoint
// service (privatelinkpath), each with DNS for its API's hostname. The
// first path leads to the API the client calls first; a second, to the API
// it fails over to.
package clientvpc

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"

	"crossregionapi/constructs/internal/apicaller"
	"crossregionapi/constructs/internal/isolatedvpc"
	"crossregionapi/constructs/internal/logging"
)

// Api says which API a path leads to and where: its id, Region (a name,
// not a token), account (nil for the stack's own), stage and resource.
type Api = apicaller.Api

// Values of Path.Transport.
const (
	TransportPeering     = apicaller.TransportPeering
	TransportPrivateLink = apicaller.TransportPrivateLink
)

// Path is one way from the client VPC to one API, as a path construct
// (peeringpath, privatelinkpath) builds it.
type Path interface {
	// Api is the API the path leads to.
	Api() Api
	// AllowFrom lets the client function's security group open HTTPS
	// connections through the path, and nowhere else.
	AllowFrom(sg awsec2.SecurityGroup)
	// Ready are what must exist before the function calls through the
	// path: the hosted zone and its records.
	Ready() []constructs.IDependable
	// Transport is TransportPeering or TransportPrivateLink.
	Transport() string
}

// BuildPath builds one path in scope (the ClientVpc) to vpc (its VPC). A
// ClientVpc builds its paths between its VPC and its function, since the
// function's security group, DNS dependencies, grants and environment
// follow from them.
type BuildPath func(scope constructs.Construct, vpc awsec2.IVpc) Path

// ClientVpcProps configures a ClientVpc.
type ClientVpcProps struct {
	// Cidr is the IPv4 range of the client VPC. Required.
	Cidr *string
	// Paths build the paths to the APIs, in the order the function calls
	// them: the first to the API it calls first, a second to the API of
	// another Region it fails over to. Every path has one transport, which
	// the function's failure hints name. Required: one or two.
	Paths []BuildPath
	// Code is the client function's code: a `bootstrap` binary for
	// provided.al2023 on arm64. Required.
	Code awslambda.Code
	// FunctionTimeout bounds one invocation; the client's own HTTP timeout
	// is kept below it. Default: 15 seconds.
	FunctionTimeout awscdk.Duration
	// LogRetention of the function's and the VPC's log groups.
	// Default: one month.
	LogRetention awslogs.RetentionDays
	// LogEncryptionKey encrypts every log group of the construct; its
	// policy must let CloudWatch Logs of the Region use it.
	// Default: CloudWatch Logs' own encryption.
	LogEncryptionKey awskms.IKey
	// RestrictDefaultSecurityGroup removes every rule of the VPC's default
	// security group, through CDK's custom resource, whose Lambda function
	// runs outside the VPC. Default: the
	// @aws-cdk/aws-ec2:restrictDefaultSecurityGroup feature flag.
	RestrictDefaultSecurityGroup *bool
	// MaxAttempts bounds the client's calls per invocation, the first
	// included (1 means no retry). Default: 3.
	MaxAttempts *float64
	// BackoffBase and BackoffMax bound the client's capped exponential
	// backoff with full jitter between attempts.
	// Default: 100 milliseconds and 2 seconds.
	BackoffBase awscdk.Duration
	BackoffMax  awscdk.Duration
}

// ClientVpc is what other constructs and stacks need from the client side.
type ClientVpc interface {
	constructs.Construct
	// Vpc holds the paths and the client function.
	Vpc() awsec2.IVpc
	// Paths are the paths, in the order of ClientVpcProps.Paths.
	Paths() []Path
	// Function is the Lambda client.
	Function() awslambda.IFunction
	// ApiUrl is the base URL of the first path's API as the client calls
	// it.
	ApiUrl() *string
}

type clientVpc struct {
	constructs.Construct
	vpc   awsec2.Vpc
	paths []Path
	fn    awslambda.IFunction
}

// NewClientVpc builds the client VPC, its paths and the client function.
func NewClientVpc(scope constructs.Construct, id string, props *ClientVpcProps) ClientVpc {
	requireProps(id, props)
	this := constructs.NewConstruct(scope, &id)
	c := &clientVpc{Construct: this}
	logs := logging.Settings{Retention: props.LogRetention, Key: props.LogEncryptionKey}

	c.vpc = isolatedvpc.New(this, "Vpc", props.Cidr, logs, props.RestrictDefaultSecurityGroup)
	c.paths = c.buildPaths(id, props.Paths)
	c.fn = c.newFunction(props, logs)
	return c
}

// buildPaths builds every path and checks that they share one transport.
func (c *clientVpc) buildPaths(id string, build []BuildPath) []Path {
	var paths []Path
	for _, b := range build {
		p := b(c.Construct, c.vpc)
		if p == nil {
			panic(fmt.Sprintf("ClientVpc %q: a path builder returned no path", id))
		}
		if len(paths) > 0 && p.Transport() != paths[0].Transport() {
			panic(fmt.Sprintf("ClientVpc %q: paths over %s and %s; the function's failure hints name one transport", id, paths[0].Transport(), p.Transport()))
		}
		paths = append(paths, p)
	}
	return paths
}

// newFunction adds the client function, its role, security group and log
// group; the function may only open HTTPS connections through its paths,
// and calls the first path's API, then the second's.
func (c *clientVpc) newFunction(props *ClientVpcProps, logs logging.Settings) awslambda.Function {
	first := c.paths[0]
	var failover *Api
	var ready []constructs.IDependable
	for i, p := range c.paths {
		if i == 1 {
			api := p.Api()
			failover = &api
		}
		ready = append(ready, p.Ready()...)
	}
	return apicaller.NewFunction(c.Construct, &apicaller.FunctionProps{
		Vpc:                      c.vpc,
		Api:                      first.Api(),
		Failover:                 failover,
		Description:              functionDescription(first, failover),
		SecurityGroupDescription: securityGroupDescription(first.Transport()),
		AllowEgress: func(sg awsec2.SecurityGroup) {
			for _, p := range c.paths {
				p.AllowFrom(sg)
			}
		},
		DependsOn:       ready,
		Code:            props.Code,
		FunctionTimeout: props.FunctionTimeout,
		Logs:            logs,
		MaxAttempts:     props.MaxAttempts,
		BackoffBase:     props.BackoffBase,
		BackoffMax:      props.BackoffMax,
		Transport:       first.Transport(),
	})
}

// functionDescription says which APIs the function calls, and over what.
func functionDescription(first Path, failover *Api) string {
	where := *first.Api().Region
	if failover != nil {
		where += ", or in " + *failover.Region + " when that fails,"
	}
	if first.Transport() == TransportPrivateLink {
		return "Calls the private API in " + where + " through cross-Region PrivateLink"
	}
	return "Calls the private API in " + where + " across VPC peering"
}

// securityGroupDescription is the function's security group's description
// for its transport. It does not count the paths: CloudFormation replaces
// a security group whose description changes, and a client function's
// group is deleted only once Lambda has released the function's network
// interfaces, so adding a second API Region must not change it.
func securityGroupDescription(transport string) string {
	if transport == TransportPrivateLink {
		return "API client: no ingress; egress HTTPS to the local PrivateLink endpoint only"
	}
	return "API client: no ingress; egress HTTPS to the private API VPC only"
}

func requireProps(id string, p *ClientVpcProps) {
	switch {
	case p == nil:
		panic(fmt.Sprintf("ClientVpc %q: props are required", id))
	case p.Cidr == nil:
		panic(fmt.Sprintf("ClientVpc %q: Cidr is required", id))
	case p.Code == nil:
		panic(fmt.Sprintf("ClientVpc %q: Code is required", id))
	case len(p.Paths) < 1 || len(p.Paths) > 2:
		panic(fmt.Sprintf("ClientVpc %q: got %d paths, want one, or two to fail over between two API Regions", id, len(p.Paths)))
	}
}

func (c *clientVpc) Vpc() awsec2.IVpc              { return c.vpc }
func (c *clientVpc) Paths() []Path                 { return c.paths }
func (c *clientVpc) Function() awslambda.IFunction { return c.fn }
func (c *clientVpc) ApiUrl() *string               { return c.paths[0].Api().Url() }
