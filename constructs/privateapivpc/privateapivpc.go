// Package privateapivpc provides PrivateApiVpc: a VPC with no route to the
// Internet, an execute-api interface endpoint, and a PRIVATE REST API that
// only answers calls made through that endpoint.
package privateapivpc

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/internal/isolatedvpc"
)

// PrivateApiVpcProps configures a PrivateApiVpc.
type PrivateApiVpcProps struct {
	// Cidr is the IPv4 range of the VPC. Required.
	Cidr *string
	// AllowedClientCidrs may reach the endpoint on tcp 443, in addition to
	// the VPC itself (peered client VPCs, for instance).
	// Default: none but the VPC's own range.
	AllowedClientCidrs *[]*string
	// StageName of the API's deployment. Default: "v1".
	StageName *string
	// ResourcePath is the path part of the demo GET resource. Default: "hello".
	ResourcePath *string
	// ParameterPrefix is the SSM path under which the route table ids and
	// the endpoint's DNS values are published, e.g. "/MyApp/api". It must
	// start with "/" and be unique per copy of the app in an account and
	// Region. Default: "/{stack name}/{construct id}".
	ParameterPrefix *string
}

// PrivateApiVpc is what other constructs and stacks need from the API side.
type PrivateApiVpc interface {
	constructs.Construct
	// Vpc holds the endpoint; peer client VPCs with it.
	Vpc() awsec2.IVpc
	// Endpoint is the execute-api interface endpoint the API is bound to.
	Endpoint() awsec2.IInterfaceVpcEndpoint
	// Api is the private REST API.
	Api() awsapigateway.RestApi
	// StageName is the stage the API is deployed to.
	StageName() *string
	// ResourcePath is the path of the demo resource below the stage.
	ResourcePath() *string
	// RouteTableParameterNames are the SSM parameters holding the ids of
	// the VPC's route tables, one per table, in subnet order.
	RouteTableParameterNames() *[]*string
	// EndpointDnsName is the endpoint's Regional DNS name (public DNS that
	// resolves to the endpoint's private addresses). It is a plain string
	// attribute, so it can cross Regions as a stack reference.
	EndpointDnsName() *string
	// EndpointHostedZoneId is the Route 53 hosted zone id of
	// EndpointDnsName, for alias records. Also a plain string attribute.
	EndpointHostedZoneId() *string
}

type privateApiVpc struct {
	constructs.Construct
	vpc              awsec2.IVpc
	endpoint         awsec2.IInterfaceVpcEndpoint
	api              awsapigateway.RestApi
	stageName        *string
	resourcePath     *string
	routeTableParams []*string
	endpointDns      *string
	endpointZoneId   *string
}

// NewPrivateApiVpc builds the VPC, the endpoint, the API and the SSM
// parameters.
func NewPrivateApiVpc(scope constructs.Construct, id string, props *PrivateApiVpcProps) PrivateApiVpc {
	if props == nil || props.Cidr == nil {
		panic(fmt.Sprintf("PrivateApiVpc %q: Cidr is required", id))
	}
	this := constructs.NewConstruct(scope, &id)
	stageName := orDefault(props.StageName, "v1")
	resourcePath := orDefault(props.ResourcePath, "hello")
	prefix := props.ParameterPrefix
	if prefix == nil {
		prefix = jsii.String("/" + *awscdk.Stack_Of(this).StackName() + "/" + id)
	}

	vpc := isolatedvpc.New(this, "Vpc", props.Cidr)

	// The endpoint's security group admits HTTPS from the VPC and from the
	// client ranges it is told about, and nothing else.
	endpointSg := awsec2.NewSecurityGroup(this, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("execute-api endpoint: HTTPS from this VPC and the peered client VPCs only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	endpointSg.AddIngressRule(awsec2.Peer_Ipv4(vpc.VpcCidrBlock()), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS from this VPC"), jsii.Bool(false))
	if props.AllowedClientCidrs != nil {
		for _, cidr := range *props.AllowedClientCidrs {
			endpointSg.AddIngressRule(awsec2.Peer_Ipv4(cidr), awsec2.Port_Tcp(jsii.Number(443)),
				jsii.String("HTTPS from client VPC "+*cidr), jsii.Bool(false))
		}
	}

	endpoint := awsec2.NewInterfaceVpcEndpoint(this, jsii.String("ExecuteApiEndpoint"), &awsec2.InterfaceVpcEndpointProps{
		Vpc:               vpc,
		Service:           awsec2.InterfaceVpcEndpointAwsService_APIGATEWAY(),
		PrivateDnsEnabled: jsii.Bool(true),
		Subnets:           isolatedvpc.Subnets(),
		SecurityGroups:    &[]awsec2.ISecurityGroup{endpointSg},
		// Open would add a rule for the VPC's CIDR on all ports of the
		// endpoint's protocol; the rules above are narrower.
		Open: jsii.Bool(false),
	})

	api := awsapigateway.NewRestApi(this, jsii.String("Api"), &awsapigateway.RestApiProps{
		Description: jsii.String("Private REST API reachable only through its execute-api VPC endpoint"),
		EndpointConfiguration: &awsapigateway.EndpointConfiguration{
			Types:        &[]awsapigateway.EndpointType{awsapigateway.EndpointType_PRIVATE},
			VpcEndpoints: &[]awsec2.IVpcEndpoint{endpoint},
		},
		Policy:        resourcePolicy(endpoint),
		DeployOptions: &awsapigateway.StageOptions{StageName: stageName},
		// No account-wide CloudWatch role: it is a Region-wide singleton
		// that another stack may own.
		CloudWatchRole: jsii.Bool(false),
	})
	region := awscdk.Stack_Of(this).Region()
	api.Root().AddResource(resourcePath, nil).AddMethod(jsii.String("GET"),
		awsapigateway.NewMockIntegration(&awsapigateway.IntegrationOptions{
			PassthroughBehavior: awsapigateway.PassthroughBehavior_NEVER,
			RequestTemplates: &map[string]*string{
				"application/json": jsii.String(`{"statusCode": 200}`),
			},
			IntegrationResponses: &[]*awsapigateway.IntegrationResponse{{
				StatusCode: jsii.String("200"),
				ResponseTemplates: &map[string]*string{
					"application/json": jsii.String(`{"message": "hello from the private API", "region": "` + *region + `"}`),
				},
			}},
		}),
		&awsapigateway.MethodOptions{
			MethodResponses: &[]*awsapigateway.MethodResponse{{StatusCode: jsii.String("200")}},
		})

	// Publish the route table ids so the return route can be added later,
	// from another stack, without copying them by hand.
	tables := constructs.NewConstruct(this, jsii.String("RouteTableIds"))
	var names []*string
	for i, subnet := range *vpc.IsolatedSubnets() {
		name := fmt.Sprintf("%s/route-table-%d", *prefix, i)
		awsssm.NewStringParameter(tables, jsii.String(fmt.Sprint(i)), &awsssm.StringParameterProps{
			ParameterName: jsii.String(name),
			StringValue:   subnet.RouteTable().RouteTableId(),
			Description:   jsii.String(fmt.Sprintf("Route table of isolated subnet %d of the private API's VPC", i)),
		})
		names = append(names, jsii.String(name))
	}

	// DnsEntries is a list ("zoneId:dnsName", ...), and a list cannot cross
	// Regions as a stack reference. Its first entry (the Regional name) is
	// split here and published as two string parameters, whose Value
	// attributes are plain strings.
	first := awscdk.Fn_Split(jsii.String(":"), awscdk.Fn_Select(jsii.Number(0), endpoint.VpcEndpointDnsEntries()), nil)
	dnsValues := constructs.NewConstruct(this, jsii.String("EndpointDns"))
	zoneParam := awsssm.NewStringParameter(dnsValues, jsii.String("HostedZoneId"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(*prefix + "/endpoint-hosted-zone-id"),
		StringValue:   awscdk.Fn_Select(jsii.Number(0), first),
		Description:   jsii.String("Route 53 hosted zone id of the execute-api endpoint's Regional DNS name"),
	})
	dnsParam := awsssm.NewStringParameter(dnsValues, jsii.String("DnsName"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(*prefix + "/endpoint-dns-name"),
		StringValue:   awscdk.Fn_Select(jsii.Number(1), first),
		Description:   jsii.String("Regional DNS name of the execute-api endpoint"),
	})

	return &privateApiVpc{
		Construct:        this,
		vpc:              vpc,
		endpoint:         endpoint,
		api:              api,
		stageName:        stageName,
		resourcePath:     resourcePath,
		routeTableParams: names,
		endpointDns:      dnsParam.StringValue(),
		endpointZoneId:   zoneParam.StringValue(),
	}
}

// resourcePolicy denies every call that does not come through endpoint.
// The explicit Deny wins over any Allow, so the API stays private even if a
// broader Allow is added later.
func resourcePolicy(endpoint awsec2.IInterfaceVpcEndpoint) awsiam.PolicyDocument {
	invoke := &[]*string{jsii.String("execute-api:Invoke")}
	anyMethod := &[]*string{jsii.String("execute-api:/*")}
	return awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("DenyOutsideEndpoint"),
				Effect:     awsiam.Effect_DENY,
				Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
				Actions:    invoke,
				Resources:  anyMethod,
				Conditions: &map[string]interface{}{
					"StringNotEquals": map[string]interface{}{"aws:SourceVpce": endpoint.VpcEndpointId()},
				},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("AllowThroughEndpoint"),
				Effect:     awsiam.Effect_ALLOW,
				Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
				Actions:    invoke,
				Resources:  anyMethod,
			}),
		},
	})
}

func orDefault(v *string, def string) *string {
	if v == nil || *v == "" {
		return jsii.String(def)
	}
	return v
}

func (p *privateApiVpc) Vpc() awsec2.IVpc                       { return p.vpc }
func (p *privateApiVpc) Endpoint() awsec2.IInterfaceVpcEndpoint { return p.endpoint }
func (p *privateApiVpc) Api() awsapigateway.RestApi             { return p.api }
func (p *privateApiVpc) StageName() *string                     { return p.stageName }
func (p *privateApiVpc) ResourcePath() *string                  { return p.resourcePath }
func (p *privateApiVpc) RouteTableParameterNames() *[]*string   { return &p.routeTableParams }
func (p *privateApiVpc) EndpointDnsName() *string               { return p.endpointDns }
func (p *privateApiVpc) EndpointHostedZoneId() *string          { return p.endpointZoneId }
