package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/config"
	"crossregionapi/gobundle"
	"crossregionapi/stacks/crossref"
)

// ClientPackage is the Go main package of the Lambda client, relative to
// the module root.
const ClientPackage = "./functions/apiclient"

// AppProps configures the whole app.
type AppProps struct {
	// Config is the validated configuration. Required.
	Config config.Config
	// ModuleRoot is the directory holding go.mod, where the client function
	// is built. Required.
	ModuleRoot string
}

// App holds the three stacks, for tests and for callers that add to them.
type App struct {
	Api          *ApiStack
	Client       *ClientStack
	PeeringRoute awscdk.Stack
}

// NewApp adds the three stacks to scope. Deploy-time values cross Regions
// as CDK cross-Region references (SSM parameters written by the producing
// stack into the consuming stack's Region), so `cdk deploy --all` orders
// and wires the stacks by itself.
func NewApp(scope constructs.Construct, props *AppProps) (*App, error) {
	cfg := props.Config
	code, err := gobundle.Code(&gobundle.Props{ModuleRoot: props.ModuleRoot, Package: ClientPackage})
	if err != nil {
		return nil, err
	}
	env := func(region string) *awscdk.Environment {
		e := &awscdk.Environment{Region: jsii.String(region)}
		if cfg.Account != "" {
			e.Account = jsii.String(cfg.Account)
		}
		return e
	}
	stackProps := func(region, description string) awscdk.StackProps {
		return awscdk.StackProps{
			Env:         env(region),
			Description: jsii.String(description),
		}
	}

	logs := LogSettings{
		Retention:                RetentionDays(cfg.LogRetentionDays),
		Encrypt:                  cfg.LogEncryption == config.LogEncryptionKMS,
		KeepDefaultSecurityGroup: cfg.LogEncryption == config.LogEncryptionKMS,
	}
	api := NewApiStack(scope, cfg.StackName(config.RoleApi), &ApiStackProps{
		StackProps:         stackProps(cfg.ApiRegion, "Private REST API, its VPC and execute-api endpoint"),
		VpcCidr:            cfg.ApiVpcCidr,
		ClientCidr:         cfg.ClientVpcCidr,
		StageName:          cfg.StageName,
		ParameterPrefix:    cfg.SSMPrefix() + "/api",
		Logs:               logs,
		ThrottleRateLimit:  cfg.ThrottleRateLimit,
		ThrottleBurstLimit: cfg.ThrottleBurstLimit,
		AvailabilityZones:  cfg.ApiAvailabilityZones,
		CloudWatchRole:     cfg.ApiGatewayCloudWatchRole == config.CloudWatchRoleCreate,
	})
	client := NewClientStack(scope, cfg.StackName(config.RoleClient), &ClientStackProps{
		StackProps:        stackProps(cfg.ClientRegion, fmt.Sprintf("Client VPC peered with %s, DNS for the private API, and the Lambda client", cfg.ApiRegion)),
		VpcCidr:           cfg.ClientVpcCidr,
		Api:               api.Network,
		ApiRegion:         cfg.ApiRegion,
		ApiVpcCidr:        cfg.ApiVpcCidr,
		Code:              code,
		Logs:              logs,
		MaxAttempts:       cfg.ClientMaxAttempts,
		BackoffBaseMs:     cfg.ClientBackoffBaseMs,
		BackoffMaxMs:      cfg.ClientBackoffMaxMs,
		AvailabilityZones: cfg.ClientAvailabilityZones,
	})
	route := NewPeeringRouteStack(scope, cfg.StackName(config.RolePeeringRoute), &PeeringRouteStackProps{
		StackProps:               stackProps(cfg.ApiRegion, fmt.Sprintf("Route from the API's VPC back to the client VPC in %s", cfg.ClientRegion)),
		PeeringConnectionId:      client.Client.PeeringConnectionId(),
		ClientCidr:               cfg.ClientVpcCidr,
		RouteTableParameterNames: api.Network.RouteTableParameterNames(),
	})
	// The route tables are read from SSM parameters, not referenced, so
	// CDK cannot see this dependency by itself.
	route.AddStackDependency(api.Stack, jsii.String("reads the route table ids the API stack publishes in SSM"))
	// Each stack that reads another's deploy-time values changes whenever
	// those values may have changed, so `cdk deploy --all` redeploys it.
	upstream := crossref.NewTracker()
	upstream.Watch(client.Stack, api.Stack, "ApiFingerprint", cfg.SSMPrefix()+"/client/api-fingerprint")
	upstream.Watch(route, client.Stack, "ClientFingerprint", cfg.SSMPrefix()+"/peering-route/client-fingerprint")
	return &App{Api: api, Client: client, PeeringRoute: route}, nil
}

// retentionDays maps the day counts CloudWatch Logs accepts to CDK's enum.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// RetentionDays converts a validated day count; config.Validate accepts
// exactly the keys of this table.
func RetentionDays(days int) awslogs.RetentionDays {
	r, ok := retentionDays[days]
	if !ok {
		panic(fmt.Sprintf("log retention of %d days is not a CloudWatch Logs value; config.Validate should have refused it", days))
	}
	return r
}
