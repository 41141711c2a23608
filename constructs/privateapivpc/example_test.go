package privateapivpc_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/constructs/privateapivpc"
)

// A private API of your own in an app of your own: no demo method, your
// resources and methods instead, and the account's existing API Gateway
// CloudWatch role left alone. From another Go module, require this module
// and point a replace directive at your copy of it (see the README).
func ExampleNewPrivateApiVpc() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Orders"), &awscdk.StackProps{
		Env: &awscdk.Environment{Region: jsii.String("eu-west-1")},
	})
	private := privateapivpc.NewPrivateApiVpc(stack, "Api", &privateapivpc.PrivateApiVpcProps{
		Cidr:               jsii.String("10.40.0.0/16"),
		AllowedClientCidrs: jsii.Strings("10.41.0.0/16"),
		StageName:          jsii.String("prod"),
		DemoMethod:         jsii.Bool(false),
		CloudWatchRole:     jsii.Bool(false),
	})
	orders := private.Api().Root().AddResource(jsii.String("orders"), nil)
	orders.AddMethod(jsii.String("GET"), awsapigateway.NewMockIntegration(&awsapigateway.IntegrationOptions{
		RequestTemplates:     &map[string]*string{"application/json": jsii.String(`{"statusCode": 200}`)},
		IntegrationResponses: &[]*awsapigateway.IntegrationResponse{{StatusCode: jsii.String("200")}},
	}), &awsapigateway.MethodOptions{
		MethodResponses: &[]*awsapigateway.MethodResponse{{StatusCode: jsii.String("200")}},
	})
	app.Synth(nil)
}
