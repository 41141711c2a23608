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
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"crossregionapi/constructs/internal/defaults"
	"crossregionapi/constructs/internal/isolatedvpc"
	"crossregionapi/constructs/internal/logging"
	"crossregionapi/internal/demo"
)

// PrivateApiVpcProps configures a PrivateApiVpc.
type PrivateApiVpcProps struct {
	// Cidr is the IPv4 range of the VPC. Required.
	Cidr *string
	// AllowedClientCidrs may reach the endpoint on tcp 443, in addition to
	// the VPC itself (peered client VPCs, for instance).
	// Default: none but the VPC's own range.
	AllowedClientCidrs *[]*string
	// ClientAccounts are other accounts whose principals may call the API
	// through the endpoint (each still needs execute-api:Invoke in its own
	// IAM policy), and whose client VPCs may peer with this VPC through the
	// accepter role. Default: none but this stack's account.
	ClientAccounts *[]*string
	// PeeringAccepterRole adds the role that accepts the peering requests
	// of ClientAccounts' VPCs. Set it to false when the clients reach the
	// API another way (an endpoint service). Default: true when
	// ClientAccounts is set.
	PeeringAccepterRole *bool
	// PublishRouteTables publishes the ids of the VPC's route tables in SSM
	// parameters, for the return routes of peered client VPCs. Set it to
	// false when no client peers with the VPC. Default: true.
	PublishRouteTables *bool
	// OrganizationId, an AWS Organizations id (o-…), makes the API's
	// resource policy and the endpoint policy admit the principals of that
	// organization (aws:PrincipalOrgID) instead of naming this account and
	// ClientAccounts, so that neither grows with the clients. The accepter
	// role still names ClientAccounts. Default: name the accounts.
	OrganizationId *string
	// StageName of the API's deployment. Default: "v1".
	StageName *string
	// DemoMethod adds GET /{ResourcePath}, answered by a mock integration
	// with demo.Response. Set it to false to add your own resources and
	// methods to Api() instead (a REST API needs at least one method).
	// Default: true.
	DemoMethod *bool
	// ResourcePath is the path part of the demo GET resource. Default:
	// "hello" (demo.ResourcePath).
	ResourcePath *string
	// CloudWatchRole creates API Gateway's Region-wide CloudWatch role and
	// points the account's setting (AWS::ApiGateway::Account) at it, which
	// the stage's execution logs need. The role is kept when the stack is
	// deleted, because the setting outlives the stack and serves every REST
	// API of the account in the Region. Set it to false where the account
	// already has a role set. Default: true.
	CloudWatchRole *bool
	// LogRetention of the access log, flow log and execution log groups.
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
	// ThrottlingRateLimit is the stage's steady-state request rate per
	// second. Default: 10.
	ThrottlingRateLimit *float64
	// ThrottlingBurstLimit is the stage's burst. Default: 20.
	ThrottlingBurstLimit *float64
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
	// Method is the demo GET method, or nil without DemoMethod; grant
	// callers execute-api:Invoke on it (Method.GrantExecute, or its ARN
	// from another Region).
	Method() awsapigateway.Method
	// AccessLogs holds the stage's JSON access log.
	AccessLogs() awslogs.ILogGroup
	// ExecutionLogs is the log group API Gateway writes the stage's
	// execution logs to (API-Gateway-Execution-Logs_{apiId}/{stage}).
	ExecutionLogs() awslogs.ILogGroup
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
	// PeeringAccepterRole is the role a client account's peering request
	// names (PeerRoleArn) to have it accepted, or nil without
	// ClientAccounts or with PeeringAccepterRole false.
	PeeringAccepterRole() awsiam.IRole
}

type privateApiVpc struct {
	constructs.Construct
	vpc              awsec2.IVpc
	endpoint         awsec2.IInterfaceVpcEndpoint
	api              awsapigateway.RestApi
	method           awsapigateway.Method
	accessLogs       awslogs.ILogGroup
	executionLogs    awslogs.ILogGroup
	stageName        *string
	resourcePath     *string
	routeTableParams []*string
	clientAccounts   []*string
	organizationId   *string
	accepterRole     awsiam.IRole
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
	p := &privateApiVpc{
		Construct:    this,
		stageName:    defaults.String(props.StageName, "v1"),
		resourcePath: defaults.String(props.ResourcePath, demo.ResourcePath),
	}
	prefix := props.ParameterPrefix
	if prefix == nil {
		prefix = jsii.String("/" + *awscdk.Stack_Of(this).StackName() + "/" + id)
	}
	logs := logging.Settings{Retention: props.LogRetention, Key: props.LogEncryptionKey}

	p.organizationId = props.OrganizationId
	if props.ClientAccounts != nil {
		p.clientAccounts = *props.ClientAccounts
	}
	p.vpc = isolatedvpc.New(this, "Vpc", props.Cidr, logs, props.RestrictDefaultSecurityGroup)
	p.endpoint = p.newEndpoint(props.Cidr, props.AllowedClientCidrs)
	p.api = p.newApi(props, logs)
	if defaults.Bool(props.DemoMethod, true) {
		p.method = p.addDemoMethod()
	}
	suppressNagFindings(p.api, p.method)
	if defaults.Bool(props.PublishRouteTables, true) {
		p.routeTableParams = p.publishRouteTables(*prefix)
	}
	p.endpointDns, p.endpointZoneId = p.publishEndpointDns(*prefix)
	if len(p.clientAccounts) > 0 && defaults.Bool(props.PeeringAccepterRole, true) {
		p.accepterRole = p.newAccepterRole()
	}
	return p
}

// newEndpoint adds the execute-api interface endpoint. Its security group
// admits HTTPS from the VPC and from the client ranges it is told about,
// and nothing else; its policy serves only this account's principals
// calling this account's APIs in this Region, so it cannot be used to reach
// private APIs of other accounts. The policy cannot name the API itself:
// the API's policy already names the endpoint, and the two would form a
// cycle.
func (p *privateApiVpc) newEndpoint(cidr *string, clientCidrs *[]*string) awsec2.InterfaceVpcEndpoint {
	description := "execute-api endpoint: HTTPS from this VPC only"
	if clientCidrs != nil && len(*clientCidrs) > 0 {
		description = "execute-api endpoint: HTTPS from this VPC and the peered client VPCs only"
	}
	sg := awsec2.NewSecurityGroup(p.Construct, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              p.vpc,
		Description:      jsii.String(description),
		AllowAllOutbound: jsii.Bool(false),
	})
	sg.AddIngressRule(awsec2.Peer_Ipv4(cidr), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS from this VPC"), jsii.Bool(false))
	if clientCidrs != nil {
		for _, c := range *clientCidrs {
			sg.AddIngressRule(awsec2.Peer_Ipv4(c), awsec2.Port_Tcp(jsii.Number(443)),
				jsii.String("HTTPS from client VPC "+*c), jsii.Bool(false))
		}
	}

	endpoint := awsec2.NewInterfaceVpcEndpoint(p.Construct, jsii.String("ExecuteApiEndpoint"), &awsec2.InterfaceVpcEndpointProps{
		Vpc:               p.vpc,
		Service:           awsec2.InterfaceVpcEndpointAwsService_APIGATEWAY(),
		PrivateDnsEnabled: jsii.Bool(true),
		Subnets:           isolatedvpc.Subnets(),
		SecurityGroups:    &[]awsec2.ISecurityGroup{sg},
		// Open would add a rule for the VPC's CIDR on all ports of the
		// endpoint's protocol; the rules above are narrower.
		Open: jsii.Bool(false),
	})
	stack := awscdk.Stack_Of(p.Construct)
	var accounts any = stack.Account()
	if len(p.clientAccounts) > 0 {
		accounts = append([]*string{stack.Account()}, p.clientAccounts...)
	}
	caller := map[string]any{"aws:PrincipalAccount": accounts}
	if p.organizationId != nil {
		caller = map[string]any{"aws:PrincipalOrgID": *p.organizationId}
	}
	endpoint.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("InvokeOwnAccountApisOnly"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("execute-api:Invoke"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("execute-api"),
			Resource:     jsii.String("*"),
			ResourceName: jsii.String("*"),
			ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		})),
		Conditions: &map[string]interface{}{"StringEquals": caller},
	}))
	return endpoint
}

// newApi adds the PRIVATE REST API bound to the endpoint, its stage with
// access and execution logs, and a request validator.
func (p *privateApiVpc) newApi(props *PrivateApiVpcProps, logs logging.Settings) awsapigateway.RestApi {
	p.accessLogs = logging.NewLogGroup(p.Construct, "AccessLogs", logs)
	cloudWatchRole := defaults.Bool(props.CloudWatchRole, true)
	var roleRemoval awscdk.RemovalPolicy
	if cloudWatchRole {
		roleRemoval = awscdk.RemovalPolicy_RETAIN
	}
	api := awsapigateway.NewRestApi(p.Construct, jsii.String("Api"), &awsapigateway.RestApiProps{
		Description: jsii.String("Private REST API reachable only through its execute-api VPC endpoint"),
		EndpointConfiguration: &awsapigateway.EndpointConfiguration{
			Types:        &[]awsapigateway.EndpointType{awsapigateway.EndpointType_PRIVATE},
			VpcEndpoints: &[]awsec2.IVpcEndpoint{p.endpoint},
		},
		Policy: resourcePolicy(p.endpoint, p.clientAccounts, p.organizationId),
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            p.stageName,
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(p.accessLogs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
			LoggingLevel:         awsapigateway.MethodLoggingLevel_ERROR,
			// Request and response bodies stay out of the logs.
			DataTraceEnabled:     jsii.Bool(false),
			MetricsEnabled:       jsii.Bool(true),
			TracingEnabled:       jsii.Bool(true),
			ThrottlingRateLimit:  defaults.Number(props.ThrottlingRateLimit, 10),
			ThrottlingBurstLimit: defaults.Number(props.ThrottlingBurstLimit, 20),
		},
		// The Region-wide role is kept on delete: the account's setting
		// outlives the stack, and a deleted role would break execution
		// logging for every REST API of the account in the Region.
		CloudWatchRole:              jsii.Bool(cloudWatchRole),
		CloudWatchRoleRemovalPolicy: roleRemoval,
		// Every method is signed with SigV4 and checked by IAM.
		DefaultMethodOptions: &awsapigateway.MethodOptions{
			AuthorizationType: awsapigateway.AuthorizationType_IAM,
		},
	})
	// API Gateway writes execution logs to this name, and creates the group
	// itself, never expiring and outside the stack, if it does not exist
	// when the stage first logs: the group is created before the stage.
	p.executionLogs = logging.NewNamedLogGroup(p.Construct, "ExecutionLogs",
		awscdk.Fn_Join(jsii.String(""), jsii.Strings("API-Gateway-Execution-Logs_", *api.RestApiId(), "/", *p.stageName)), logs)
	api.DeploymentStage().Node().AddDependency(p.executionLogs)
	// RestApi adds an undescribed stack output of the stage's URL
	// (aws-cdk-lib aws-apigateway/lib/restapi.js, CfnOutput "Endpoint");
	// the construct's owner decides what its stack outputs, and Url() is
	// the same value.
	api.Node().TryRemoveChild(jsii.String("Endpoint"))
	return api
}

// addDemoMethod adds GET /{resourcePath}, answered by a mock integration.
// The method takes no parameters or body; the validator makes API Gateway
// refuse malformed requests before the integration runs.
func (p *privateApiVpc) addDemoMethod() awsapigateway.Method {
	validator := p.api.AddRequestValidator(jsii.String("Validator"), &awsapigateway.RequestValidatorOptions{
		ValidateRequestParameters: jsii.Bool(true),
		ValidateRequestBody:       jsii.Bool(true),
	})
	return p.api.Root().AddResource(p.resourcePath, nil).AddMethod(jsii.String("GET"),
		awsapigateway.NewMockIntegration(&awsapigateway.IntegrationOptions{
			PassthroughBehavior: awsapigateway.PassthroughBehavior_NEVER,
			RequestTemplates: &map[string]*string{
				"application/json": jsii.String(`{"statusCode": 200}`),
			},
			IntegrationResponses: &[]*awsapigateway.IntegrationResponse{{
				StatusCode: jsii.String("200"),
				ResponseTemplates: &map[string]*string{
					"application/json": jsii.String(demo.Response(*awscdk.Stack_Of(p.Construct).Region())),
				},
			}},
		}),
		&awsapigateway.MethodOptions{
			AuthorizationType: awsapigateway.AuthorizationType_IAM,
			RequestValidator:  validator,
			MethodResponses:   &[]*awsapigateway.MethodResponse{{StatusCode: jsii.String("200")}},
		})
}

// publishRouteTables publishes the route table ids so the return route can
// be added later, from another stack, without copying them by hand.
func (p *privateApiVpc) publishRouteTables(prefix string) []*string {
	tables := constructs.NewConstruct(p.Construct, jsii.String("RouteTableIds"))
	var names []*string
	for i, subnet := range *p.vpc.IsolatedSubnets() {
		name := fmt.Sprintf("%s/route-table-%d", prefix, i)
		awsssm.NewStringParameter(tables, jsii.String(fmt.Sprint(i)), &awsssm.StringParameterProps{
			ParameterName: jsii.String(name),
			StringValue:   subnet.RouteTable().RouteTableId(),
			Description:   jsii.String(fmt.Sprintf("Route table of isolated subnet %d of the private API's VPC", i)),
		})
		names = append(names, jsii.String(name))
	}
	return names
}

// publishEndpointDns publishes the endpoint's Regional DNS name and its
// hosted zone id. DnsEntries is a list ("zoneId:dnsName", ...); its first
// entry (the Regional name) is split here into two string parameters, whose
// Value attributes are plain strings that other stacks read as they are.
func (p *privateApiVpc) publishEndpointDns(prefix string) (dnsName, zoneId *string) {
	entries := p.endpoint.(awsec2.InterfaceVpcEndpoint).VpcEndpointDnsEntries()
	first := awscdk.Fn_Split(jsii.String(":"), awscdk.Fn_Select(jsii.Number(0), entries), nil)
	dnsValues := constructs.NewConstruct(p.Construct, jsii.String("EndpointDns"))
	zoneParam := awsssm.NewStringParameter(dnsValues, jsii.String("HostedZoneId"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(prefix + "/endpoint-hosted-zone-id"),
		StringValue:   awscdk.Fn_Select(jsii.Number(0), first),
		Description:   jsii.String("Route 53 hosted zone id of the execute-api endpoint's Regional DNS name"),
	})
	dnsParam := awsssm.NewStringParameter(dnsValues, jsii.String("DnsName"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(prefix + "/endpoint-dns-name"),
		StringValue:   awscdk.Fn_Select(jsii.Number(1), first),
		Description:   jsii.String("Regional DNS name of the execute-api endpoint"),
	})
	return dnsParam.StringValue(), zoneParam.StringValue()
}

// suppressNagFindings records, on the one resource each concerns, the
// AWS Solutions (cdk-nag) findings that have no fix here, and why.
func suppressNagFindings(api awsapigateway.RestApi, method awsapigateway.Method) {
	if role := api.Node().TryFindChild(jsii.String("CloudWatchRole")); role != nil {
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM4"),
			Reason: jsii.String("API Gateway's Region-wide execution-logging role serves every REST API of the account in this Region, " +
				"so it cannot be narrowed to this API; AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS maintains for exactly this role."),
			AppliesTo: &[]interface{}{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"},
		}}, jsii.Bool(false))
	}
	if method != nil {
		cdknag.NagSuppressions_AddResourceSuppressions(method, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-COG4"),
			Reason: jsii.String("Callers are AWS principals, not end users: the method uses AWS_IAM (SigV4) authorization, " +
				"and the resource policy admits only calls through this app's VPC endpoint."),
		}}, jsii.Bool(false))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(api.DeploymentStage(), &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-APIG3"),
		Reason: jsii.String("The API is PRIVATE: reachable only through one VPC endpoint from two VPCs, IAM-signed and throttled at the stage; " +
			"a WAF web ACL would add cost without an Internet-facing surface to protect."),
	}}, jsii.Bool(false))
}

// accessLogFormat is one JSON object per request: who called (IAM caller,
// user ARN), through which endpoint, what and with which result.
const accessLogFormat = `{"requestId":"$context.requestId","extendedRequestId":"$context.extendedRequestId",` +
	`"requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath",` +
	`"status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"sourceIp":"$context.identity.sourceIp","vpceId":"$context.identity.vpceId","caller":"$context.identity.caller",` +
	`"userArn":"$context.identity.userArn","errorMessage":"$context.error.message"}`

// resourcePolicy denies every call that does not come through endpoint and
// allows invocation only to principals of this account. The explicit Deny
// wins over any Allow, so the API stays private even if a broader Allow is
// added later. The account principal delegates to IAM: a caller of this
// account still needs execute-api:Invoke in its own policy (the client's
// role gets it for the demo method only). Naming that role here instead
// would make this stack depend on the client stack, which depends on this
// one.
//
// With an organization, the Allow names every principal on the condition
// that it belongs to that organization, instead of each account.
func resourcePolicy(endpoint awsec2.IInterfaceVpcEndpoint, clientAccounts []*string, organizationId *string) awsiam.PolicyDocument {
	principals := []awsiam.IPrincipal{awsiam.NewAccountRootPrincipal()}
	for _, account := range clientAccounts {
		principals = append(principals, awsiam.NewAccountPrincipal(account))
	}
	sid := "AllowOwnAccount"
	var allowIf *map[string]any
	if organizationId != nil {
		sid = "AllowOrganization"
		principals = []awsiam.IPrincipal{awsiam.NewAnyPrincipal()}
		allowIf = &map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": *organizationId}}
	}
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
				Sid:        jsii.String(sid),
				Effect:     awsiam.Effect_ALLOW,
				Principals: &principals,
				Actions:    invoke,
				Resources:  anyMethod,
				Conditions: allowIf,
			}),
		},
	})
}

func (p *privateApiVpc) Vpc() awsec2.IVpc                       { return p.vpc }
func (p *privateApiVpc) Endpoint() awsec2.IInterfaceVpcEndpoint { return p.endpoint }
func (p *privateApiVpc) Api() awsapigateway.RestApi             { return p.api }
func (p *privateApiVpc) Method() awsapigateway.Method           { return p.method }
func (p *privateApiVpc) AccessLogs() awslogs.ILogGroup          { return p.accessLogs }
func (p *privateApiVpc) ExecutionLogs() awslogs.ILogGroup       { return p.executionLogs }
func (p *privateApiVpc) StageName() *string                     { return p.stageName }
func (p *privateApiVpc) ResourcePath() *string                  { return p.resourcePath }
func (p *privateApiVpc) RouteTableParameterNames() *[]*string   { return &p.routeTableParams }
func (p *privateApiVpc) EndpointDnsName() *string               { return p.endpointDns }
func (p *privateApiVpc) EndpointHostedZoneId() *string          { return p.endpointZoneId }
func (p *privateApiVpc) PeeringAccepterRole() awsiam.IRole      { return p.accepterRole }

// newAccepterRole is the role that accepts peering requests from the client
// accounts: trusted by those accounts only, and allowed only to accept a
// peering connection to this VPC. Its name is fixed at synth time, so the
// client stacks of other accounts know its ARN without reading it from this
// stack.
func (p *privateApiVpc) newAccepterRole() awsiam.IRole {
	var trusted []awsiam.IPrincipal
	for _, account := range p.clientAccounts {
		trusted = append(trusted, awsiam.NewAccountPrincipal(account))
	}
	stack := awscdk.Stack_Of(p.Construct)
	role := awsiam.NewRole(p.Construct, jsii.String("PeeringAccepterRole"), &awsiam.RoleProps{
		RoleName:    awscdk.PhysicalName_GENERATE_IF_NEEDED(),
		AssumedBy:   awsiam.NewCompositePrincipal(trusted...),
		Description: jsii.String("Accepts VPC peering requests from the client accounts to the private API's VPC, and nothing else"),
	})
	vpcArn := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ec2"), Resource: jsii.String("vpc"), ResourceName: p.vpc.VpcId(),
		ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("AcceptPeeringToThisVpcOnly"),
		Actions: jsii.Strings("ec2:AcceptVpcPeeringConnection"),
		Resources: jsii.Strings(*vpcArn, *stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ec2"), Resource: jsii.String("vpc-peering-connection"), ResourceName: jsii.String("*"),
			ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		})),
		Conditions: &map[string]any{"StringEquals": map[string]any{"ec2:AccepterVpc": vpcArn}},
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(role.Node().FindChild(jsii.String("DefaultPolicy")), &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("A peering connection's id exists only once a client requests it, so the accept permission names any " +
			"peering connection of this account and Region, and its ec2:AccepterVpc condition limits it to this VPC."),
		AppliesTo: &[]interface{}{map[string]any{"regex": "/^Resource::arn:.*:ec2:.*:vpc-peering-connection\\/\\*$/"}},
	}}, jsii.Bool(false))
	return role
}
