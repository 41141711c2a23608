package privateapivpc_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/privateapivpc"
	"crossregionapi/internal/cdktest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// Without peered clients (their endpoint service reaches the API from
// inside the VPC), the construct publishes no route tables and its endpoint's
// security group says what it admits: this VPC only.
func TestWithoutPeering(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Standalone"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}})
	p := privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{Cidr: jsii.String("10.1.0.0/24"), PublishRouteTables: jsii.Bool(false)})
	tmpl := cdktest.Template(t, stack)
	if names := *p.RouteTableParameterNames(); len(names) != 0 {
		t.Errorf("RouteTableParameterNames: got %v, want none", cdktest.JSON(names))
	}
	for _, param := range cdktest.Props(tmpl, "AWS::SSM::Parameter") {
		if strings.Contains(param["Name"].(string), "route-table") {
			t.Errorf("parameter %s published without peered clients", param["Name"])
		}
	}
	if got := cdktest.Props(tmpl, "AWS::EC2::SecurityGroup")[0]["GroupDescription"]; got != "execute-api endpoint: HTTPS from this VPC only" {
		t.Errorf("endpoint security group: %q, want it to say this VPC only", got)
	}
}

// The construct stands alone: one stack, no context, no peers, defaults
// for everything optional.
func TestStandaloneDefaults(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Standalone"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}})
	p := privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{Cidr: jsii.String("10.1.0.0/24")})
	tmpl := cdktest.Template(t, stack)

	if got := *p.StageName(); got != "v1" {
		t.Errorf("StageName: got %s, want v1", got)
	}
	if got := *p.ResourcePath(); got != "hello" {
		t.Errorf("ResourcePath: got %s, want hello", got)
	}
	names := *p.RouteTableParameterNames()
	if len(names) != 2 || *names[0] != "/Standalone/Api/route-table-0" || *names[1] != "/Standalone/Api/route-table-1" {
		t.Errorf("RouteTableParameterNames: got %v, want /Standalone/Api/route-table-{0,1}", cdktest.JSON(names))
	}
	var params []string
	for _, p := range cdktest.Props(tmpl, "AWS::SSM::Parameter") {
		params = append(params, p["Name"].(string))
	}
	if len(params) != 4 {
		t.Errorf("SSM parameters: got %v, want two route tables and two endpoint DNS values", params)
	}
	for _, name := range params {
		if !strings.HasPrefix(name, "/Standalone/Api/") {
			t.Errorf("parameter %s is not under the default prefix /Standalone/Api/", name)
		}
	}
	// RestApi's own undescribed URL output is gone: the stack's owner
	// outputs what it needs (Url()).
	if outputs, _ := tmpl["Outputs"].(map[string]any); len(outputs) != 0 {
		t.Errorf("outputs %v, want none of the construct's own", cdktest.JSON(outputs))
	}
	// Without client ranges, only the VPC itself may reach the endpoint.
	for _, sg := range cdktest.Props(tmpl, "AWS::EC2::SecurityGroup") {
		ingress, _ := sg["SecurityGroupIngress"].([]any)
		if len(ingress) != 1 || !strings.Contains(cdktest.JSON(ingress[0]), `"CidrIp":"10.1.0.0/24"`) {
			t.Errorf("endpoint ingress: got %s, want only the VPC's own range", cdktest.JSON(ingress))
		}
	}
	if got := cdktest.JSON(cdktest.Props(tmpl, "AWS::EC2::VPCEndpoint")[0]["ServiceName"]); got != `"com.amazonaws.eu-west-1.execute-api"` {
		t.Errorf("endpoint service: got %s", got)
	}
	// Execution logging needs API Gateway's Region-wide CloudWatch role.
	if n := len(cdktest.Resources(tmpl, "AWS::ApiGateway::Account")); n != 1 {
		t.Errorf("API Gateway account settings: got %d, want 1", n)
	}
	stage := cdktest.Props(tmpl, "AWS::ApiGateway::Stage")[0]
	if got := cdktest.JSON(stage["MethodSettings"]); !strings.Contains(got, `"ThrottlingBurstLimit":20`) || !strings.Contains(got, `"ThrottlingRateLimit":10`) {
		t.Errorf("default throttling: got %s, want rate 10 and burst 20", got)
	}
	for _, g := range cdktest.Props(tmpl, "AWS::Logs::LogGroup") {
		if g["RetentionInDays"] != float64(30) {
			t.Errorf("default retention: got %v, want 30", g["RetentionInDays"])
		}
	}
}

func TestClientCidrsAndPrefix(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Custom"), nil)
	privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{
		Cidr:               jsii.String("10.1.0.0/16"),
		AllowedClientCidrs: jsii.Strings("192.168.0.0/24", "172.16.0.0/16"),
		StageName:          jsii.String("prod"),
		ResourcePath:       jsii.String("ping"),
		ParameterPrefix:    jsii.String("/team/app"),
	})
	tmpl := cdktest.Template(t, stack)
	sg := cdktest.JSON(cdktest.Props(tmpl, "AWS::EC2::SecurityGroup"))
	for _, cidr := range []string{"192.168.0.0/24", "172.16.0.0/16"} {
		if !strings.Contains(sg, `"CidrIp":"`+cidr+`"`) {
			t.Errorf("endpoint security group does not admit %s: %s", cidr, sg)
		}
	}
	if got := cdktest.Props(tmpl, "AWS::ApiGateway::Stage")[0]["StageName"]; got != "prod" {
		t.Errorf("stage: got %v, want prod", got)
	}
	if got := cdktest.Props(tmpl, "AWS::ApiGateway::Resource")[0]["PathPart"]; got != "ping" {
		t.Errorf("resource: got %v, want ping", got)
	}
	for _, p := range cdktest.Props(tmpl, "AWS::SSM::Parameter") {
		if !strings.HasPrefix(p["Name"].(string), "/team/app/") {
			t.Errorf("parameter %v ignores ParameterPrefix", p["Name"])
		}
	}
}

// Without the demo method and the Region-wide role, the construct holds the
// caller's own methods only, creates no IAM role for API Gateway and leaves
// the account's setting alone; every method still requires IAM.
func TestWithoutDemoMethodOrRole(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Own"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}})
	p := privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{
		Cidr: jsii.String("10.40.0.0/16"), DemoMethod: jsii.Bool(false), CloudWatchRole: jsii.Bool(false),
	})
	if p.Method() != nil {
		t.Error("Method() is not nil without the demo method")
	}
	p.Api().Root().AddResource(jsii.String("orders"), nil).AddMethod(jsii.String("POST"), awsapigateway.NewMockIntegration(nil), nil)
	tmpl := cdktest.Template(t, stack)
	var paths []string
	for _, r := range cdktest.Props(tmpl, "AWS::ApiGateway::Resource") {
		paths = append(paths, r["PathPart"].(string))
	}
	if strings.Join(paths, ",") != "orders" {
		t.Errorf("resources: got %v, want only orders", paths)
	}
	for _, m := range cdktest.Props(tmpl, "AWS::ApiGateway::Method") {
		if m["AuthorizationType"] != "AWS_IAM" {
			t.Errorf("method %v: authorization %v, want AWS_IAM", m["HttpMethod"], m["AuthorizationType"])
		}
	}
	if n := len(cdktest.Resources(tmpl, "AWS::ApiGateway::Account")) + len(cdktest.Resources(tmpl, "AWS::IAM::Role")); n != 1 {
		// the VPC's flow-log role only
		t.Errorf("API Gateway account settings and roles: got %d resources, want only the flow-log role", n)
	}
}

// The construct's own security properties, with a client account: the
// API is PRIVATE, bound to the endpoint, denies every call that does not
// come through it and allows only the construct's account and the client
// accounts; the endpoint serves only those accounts' principals, for APIs
// of its own account and Region; the accepter role is trusted by the client
// accounts only and may accept peering to this VPC only.
func TestSecurityProperties(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Secure"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}})
	privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{
		Cidr: jsii.String("10.1.0.0/24"), ClientAccounts: jsii.Strings("222222222222"),
	})
	tmpl := cdktest.Template(t, stack)
	endpointID := firstKey(cdktest.Resources(tmpl, "AWS::EC2::VPCEndpoint"))
	vpcID := firstKey(cdktest.Resources(tmpl, "AWS::EC2::VPC"))
	partition := `{"Ref":"AWS::Partition"}`

	api := cdktest.Props(tmpl, "AWS::ApiGateway::RestApi")[0]
	if got := cdktest.JSON(api["EndpointConfiguration"]); got != `{"Types":["PRIVATE"],"VpcEndpointIds":[{"Ref":"`+endpointID+`"}]}` {
		t.Errorf("EndpointConfiguration: %s, want PRIVATE through %s only", got, endpointID)
	}
	wantPolicy := `{"Statement":[` +
		`{"Action":"execute-api:Invoke","Condition":{"StringNotEquals":{"aws:SourceVpce":{"Ref":"` + endpointID + `"}}},"Effect":"Deny","Principal":{"AWS":"*"},"Resource":"execute-api:/*","Sid":"DenyOutsideEndpoint"},` +
		`{"Action":"execute-api:Invoke","Effect":"Allow","Principal":{"AWS":[{"Fn::Join":["",["arn:",` + partition + `,":iam::111111111111:root"]]},{"Fn::Join":["",["arn:",` + partition + `,":iam::222222222222:root"]]}]},"Resource":"execute-api:/*","Sid":"AllowOwnAccount"}],` +
		`"Version":"2012-10-17"}`
	if got := cdktest.JSON(api["Policy"]); got != wantPolicy {
		t.Errorf("resource policy:\n got %s\nwant %s", got, wantPolicy)
	}

	endpoint := cdktest.Props(tmpl, "AWS::EC2::VPCEndpoint")[0]
	wantEndpoint := `{"Statement":[{"Action":"execute-api:Invoke","Condition":{"StringEquals":{"aws:PrincipalAccount":["111111111111","222222222222"]}},` +
		`"Effect":"Allow","Principal":{"AWS":"*"},"Resource":{"Fn::Join":["",["arn:",` + partition + `,":execute-api:eu-west-1:111111111111:*/*"]]},"Sid":"InvokeOwnAccountApisOnly"}],"Version":"2012-10-17"}`
	if got := cdktest.JSON(endpoint["PolicyDocument"]); got != wantEndpoint {
		t.Errorf("endpoint policy:\n got %s\nwant %s", got, wantEndpoint)
	}

	var accepter map[string]any
	for _, r := range cdktest.Props(tmpl, "AWS::IAM::Role") {
		if strings.Contains(cdktest.JSON(r["AssumeRolePolicyDocument"]), "222222222222") {
			accepter = r
		}
	}
	if accepter == nil {
		t.Fatal("no role trusted by the client account")
	}
	if got := cdktest.JSON(accepter["AssumeRolePolicyDocument"]); got != `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":{"Fn::Join":["",["arn:",`+partition+`,":iam::222222222222:root"]]}}}],"Version":"2012-10-17"}` {
		t.Errorf("accepter trust: %s, want the client account only", got)
	}
	var accept string
	for _, p := range cdktest.Props(tmpl, "AWS::IAM::Policy") {
		if s := cdktest.JSON(p["PolicyDocument"]); strings.Contains(s, "ec2:AcceptVpcPeeringConnection") {
			accept = s
		}
	}
	if !strings.Contains(accept, `"Action":"ec2:AcceptVpcPeeringConnection"`) || !strings.Contains(accept, `"ec2:AccepterVpc"`) ||
		!strings.Contains(accept, `:vpc/",{"Ref":"`+vpcID+`"}`) || strings.Count(accept, `"Action"`) != 1 {
		t.Errorf("accepter policy: %s, want only AcceptVpcPeeringConnection on peering to %s", accept, vpcID)
	}
}

func firstKey[V any](m map[string]V) string {
	for k := range m {
		return k
	}
	return ""
}

// With an organization, the resource policy and the endpoint policy admit
// that organization's principals, whatever the accounts: the same text for
// one client account or three. The Deny outside the endpoint stays.
func TestOrganization(t *testing.T) {
	policies := func(accounts ...string) (resource, endpoint string) {
		app := awscdk.NewApp(nil)
		stack := awscdk.NewStack(app, jsii.String("Org"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}})
		privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{
			Cidr: jsii.String("10.1.0.0/24"), ClientAccounts: jsii.Strings(accounts...), OrganizationId: jsii.String("o-abcdefghij"),
		})
		tmpl := cdktest.Template(t, stack)
		return cdktest.JSON(cdktest.Props(tmpl, "AWS::ApiGateway::RestApi")[0]["Policy"]), cdktest.JSON(cdktest.Props(tmpl, "AWS::EC2::VPCEndpoint")[0]["PolicyDocument"])
	}
	resource, endpoint := policies("222222222222")
	if !strings.Contains(resource, `{"Action":"execute-api:Invoke","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcdefghij"}},"Effect":"Allow","Principal":{"AWS":"*"},"Resource":"execute-api:/*","Sid":"AllowOrganization"}`) ||
		!strings.Contains(resource, `"Sid":"DenyOutsideEndpoint"`) || strings.Contains(resource, "222222222222") {
		t.Errorf("resource policy %s, want the organization's principals, the Deny outside the endpoint, and no account", resource)
	}
	if !strings.Contains(endpoint, `"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcdefghij"}}`) || strings.Contains(endpoint, "PrincipalAccount") {
		t.Errorf("endpoint policy %s, want the organization's principals only", endpoint)
	}
	r3, e3 := policies("222222222222", "333333333333", "444444444444")
	if r3 != resource || e3 != endpoint {
		t.Errorf("policies change with the accounts:\n%s\n%s", r3, e3)
	}
}
