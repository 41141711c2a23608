package stacks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/config"
	"crossregionapi/gobundle"
	"crossregionapi/internal/probe"
)

// ClientPackage is the Go main package of the Lambda client, relative to
// the module root.
const ClientPackage = "./functions/apiclient"

// EndpointServicePackage is the Go main package of the function behind
// the PrivateLink front's custom resources, relative to the module root.
const EndpointServicePackage = "./functions/endpointservice"

// AppProps configures the whole app.
type AppProps struct {
	// Config is the validated configuration. Required.
	Config config.Config
	// ModuleRoot is the directory holding go.mod, where the client function
	// is built. Required.
	ModuleRoot string
}

// App holds the stacks, for tests and for callers that add to them.
type App struct {
	// Api is the primary API's stack, the first of Apis.
	Api *ApiStack
	// Apis are the API stacks, one per API Region: the primary's, then
	// the secondary's with secondaryApiRegion.
	Apis []*ApiStack
	// Spokes are the clients, in the order of the configuration.
	Spokes []*Spoke
	// Client and PeeringRoute are the first spoke's stacks: with one
	// client, the app's other two stacks (PeeringRoute is nil over
	// PrivateLink).
	Client       *ClientStack
	PeeringRoute awscdk.Stack
	// Dashboard shows every client's probe; nil with probes off.
	Dashboard awscloudwatch.Dashboard
}

// Spoke is one client: its stack in its Region and account, and, over
// peering, its return-route stack in the API's.
type Spoke struct {
	Client config.Client
	Stack  *ClientStack
	// Route is nil over PrivateLink.
	Route awscdk.Stack
	// Routes are the return-route stacks, one per API Region in the order
	// of App.Apis (Route is the first); nil over PrivateLink.
	Routes []awscdk.Stack
}

// NewApp adds the API stack and, per client, a client stack and, over
// peering, a return-route stack to scope: 1 + 2N stacks, or 1 + N over
// PrivateLink, which routes nothing to the API's VPC. Deploy-time values cross
// Regions and accounts as CDK weak references (Fn::GetStackOutput), so
// `cdk deploy --all` orders and wires the stacks by itself; the client
// stacks depend on the API stack only, never on one another, so the spokes
// deploy in parallel and the longest chain is API, client, return route.
func NewApp(scope constructs.Construct, props *AppProps) (*App, error) {
	cfg := props.Config
	bundle, err := gobundle.NewBundle(&gobundle.Props{ModuleRoot: props.ModuleRoot, Package: ClientPackage})
	if err != nil {
		return nil, err
	}
	stackProps := func(region, account, description string) awscdk.StackProps {
		env := &awscdk.Environment{Region: jsii.String(region)}
		if account != "" {
			env.Account = jsii.String(account)
		}
		return awscdk.StackProps{Env: env, Description: jsii.String(description)}
	}
	logs := LogSettings{
		Retention:                RetentionDays(cfg.LogRetentionDays),
		Encrypt:                  cfg.LogEncryption == config.LogEncryptionKMS,
		KeepDefaultSecurityGroup: cfg.LogEncryption == config.LogEncryptionKMS,
	}
	clients := cfg.ClientList()
	privateLink := !cfg.UsesPeering()
	var clientCidrs []string
	// service is the endpoint service of each API stack over PrivateLink,
	// with a Code of its own: an asset belongs to one stack.
	service := func() *EndpointServiceSettings { return nil }
	if privateLink {
		// Built only for this transport: peering has no use for it.
		handler, err := gobundle.NewBundle(&gobundle.Props{ModuleRoot: props.ModuleRoot, Package: EndpointServicePackage})
		if err != nil {
			return nil, err
		}
		service = func() *EndpointServiceSettings {
			s := endpointServiceSettings(cfg)
			s.Code = handler.Code()
			return s
		}
	} else {
		for _, cl := range clients {
			clientCidrs = append(clientCidrs, cl.Cidr)
		}
	}

	app := &App{}
	for _, region := range cfg.ApiRegions() {
		description := "Private REST API, its VPC and execute-api endpoint"
		if region != cfg.ApiRegion {
			description += fmt.Sprintf(": the copy in a second Region, which the clients fail over to from %s", cfg.ApiRegion)
		}
		app.Apis = append(app.Apis, NewApiStack(scope, cfg.ApiStackName(region), &ApiStackProps{
			StackProps:         stackProps(region, cfg.Account, description),
			VpcCidr:            cfg.ApiVpcCidrOf(region),
			ClientCidrs:        clientCidrs,
			ClientAccounts:     cfg.ClientAccounts(),
			OrganizationId:     cfg.OrganizationId,
			StageName:          cfg.StageName,
			ParameterPrefix:    cfg.SSMPrefix() + "/api",
			Logs:               logs,
			ThrottleRateLimit:  cfg.ThrottleRateLimit,
			ThrottleBurstLimit: cfg.ThrottleBurstLimit,
			AvailabilityZones:  cfg.ApiZonesOf(region),
			CloudWatchRole:     cfg.ApiGatewayCloudWatchRole == config.CloudWatchRoleCreate,
			EndpointService:    service(),
		}))
	}
	app.Api = app.Apis[0]
	api := app.Api
	for _, cl := range clients {
		account, apiAccount := cfg.Account, ""
		if cl.Account != "" && cl.Account != cfg.Account {
			account, apiAccount = cl.Account, cfg.Account
		}
		regions := strings.Join(cfg.ApiRegions(), " and ")
		description := fmt.Sprintf("Client VPC peered with %s, DNS for the private API, and the Lambda client", regions)
		if privateLink {
			description = fmt.Sprintf("Client VPC with a PrivateLink endpoint to the API's service in %s, DNS for the private API, and the Lambda client", regions)
		}
		var sides []ApiSide
		for _, a := range app.Apis {
			region := *a.Stack.Region()
			sides = append(sides, ApiSide{Network: a.Network, Service: a.Service, Region: region, VpcCidr: cfg.ApiVpcCidrOf(region), Account: apiAccount})
		}
		client := NewClientStack(scope, cfg.ClientStackName(config.RoleClient, cl), &ClientStackProps{
			StackProps:        stackProps(cl.Region, account, description),
			VpcCidr:           cl.Cidr,
			Apis:              sides,
			Code:              bundle.Code(),
			Logs:              logs,
			MaxAttempts:       cfg.ClientMaxAttempts,
			BackoffBaseMs:     cfg.ClientBackoffBaseMs,
			BackoffMaxMs:      cfg.ClientBackoffMaxMs,
			AvailabilityZones: cfg.ClientZones(cl),
			Probe:             probeSettings(cfg, cl),
		})
		spoke := &Spoke{Client: cl, Stack: client}
		for i, a := range app.Apis {
			if privateLink {
				// CDK does not order stacks of two accounts, whose weak
				// references it leaves unordered.
				client.Stack.AddStackDependency(a.Stack, jsii.String("connects to the API's endpoint service and resolves the API's hostname"))
				continue
			}
			region := *a.Stack.Region()
			spoke.Routes = append(spoke.Routes, newReturnRoute(scope, cfg.ReturnRouteStackName(cl, region), cl, a, client.PeeringIds[i],
				client, stackProps(region, cfg.Account, fmt.Sprintf("Route from the API's VPC back to the client VPC in %s", cl.Region))))
			client.Stack.AddStackDependency(a.Stack, jsii.String("peers with the API's VPC and resolves the API's hostname"))
		}
		if apiAccount != "" {
			for _, a := range app.Apis {
				trustReader(cfg, a.Stack, client.Stack)
			}
			for _, route := range spoke.Routes {
				trustReader(cfg, client.Stack, route)
			}
		}
		if len(spoke.Routes) > 0 {
			spoke.Route = spoke.Routes[0]
		}
		app.Spokes = append(app.Spokes, spoke)
	}
	app.Client, app.PeeringRoute = app.Spokes[0].Stack, app.Spokes[0].Route
	if cfg.ProbeIntervalMinutes > 0 {
		var views []spokeView
		for _, s := range app.Spokes {
			view := spokeView{region: s.Client.Region, account: *s.Stack.Stack.Account(), alarmName: probe.AlarmName(cfg.AppName, cfg.ClientID(s.Client))}
			if settings := probeSettings(cfg, s.Client); len(settings.ApiRegions) > 1 {
				view.alarmName, view.apiRegions, view.pathAlarmNames = settings.AlarmName, settings.ApiRegions, settings.PathAlarmNames
			}
			if s.Client.Account != "" && s.Client.Account != cfg.Account {
				view.otherAccount = true
			} else {
				view.account = *api.Stack.Account()
			}
			views = append(views, view)
		}
		app.Dashboard = addProbeDashboard(api.Stack, cfg.AppName, cfg.ProbeIntervalMinutes, views)
	}
	return app, nil
}

// trustReader lets consumer, a stack of another account, read producer's
// outputs: with organizationId, as one of the organization's CloudFormation
// execution roles of the same name, so that the producer's read role keeps
// one size whatever the number of client accounts; without, as its own
// account's execution role, named.
func trustReader(cfg config.Config, producer, consumer awscdk.Stack) {
	p := publisher(producer)
	if cfg.OrganizationId != "" {
		p.TrustOrganization(cfg.OrganizationId)
	}
	p.TrustReader(consumer)
}

// newReturnRoute adds a client's return-route stack, in the Region of api,
// through the client's peering connection to it.
func newReturnRoute(scope constructs.Construct, name string, cl config.Client, api *ApiStack, peeringId *string, client *ClientStack, props awscdk.StackProps) awscdk.Stack {
	route := NewPeeringRouteStack(scope, name, &PeeringRouteStackProps{
		StackProps:               props,
		PeeringConnectionId:      peeringId,
		ClientCidr:               cl.Cidr,
		RouteTableParameterNames: api.Network.RouteTableParameterNames(),
	})
	// The route tables are read from SSM parameters, not referenced, so
	// CDK cannot see this dependency by itself; nor does it order stacks
	// of two accounts, whose weak references it leaves unordered.
	route.AddStackDependency(api.Stack, jsii.String("reads the route table ids the API stack publishes in SSM"))
	route.AddStackDependency(client.Stack, jsii.String("routes through the client's peering connection"))
	return route
}

// endpointServiceSettings admits the API's account and every client's to
// the endpoint service, from every client Region, sorted so that the order
// of the clients does not matter.
func endpointServiceSettings(cfg config.Config) *EndpointServiceSettings {
	s := &EndpointServiceSettings{AllowedAccounts: []string{cfg.Account}}
	if cfg.Account == "" {
		s.AllowedAccounts = []string{*awscdk.Aws_ACCOUNT_ID()}
	}
	s.AllowedAccounts = append(s.AllowedAccounts, cfg.ClientAccounts()...)
	for _, cl := range cfg.ClientList() {
		if !slices.Contains(s.SupportedRegions, cl.Region) {
			s.SupportedRegions = append(s.SupportedRegions, cl.Region)
		}
	}
	slices.Sort(s.SupportedRegions)
	return s
}

// probeSettings are a client's probe settings, or nil with probes off.
func probeSettings(cfg config.Config, cl config.Client) *ProbeSettings {
	if cfg.ProbeIntervalMinutes == 0 {
		return nil
	}
	s := &ProbeSettings{
		IntervalMinutes: cfg.ProbeIntervalMinutes,
		App:             cfg.AppName,
		AlarmName:       probe.AlarmName(cfg.AppName, cfg.ClientID(cl)),
		AlarmEmail:      cfg.AlarmEmail,
	}
	if regions := cfg.ApiRegions(); len(regions) > 1 {
		s.ApiRegions = regions
		s.AlarmName = probe.CompositeAlarmName(cfg.AppName, cfg.ClientID(cl))
		for _, r := range regions {
			s.PathAlarmNames = append(s.PathAlarmNames, probe.PathAlarmName(cfg.AppName, cfg.ClientID(cl), r))
		}
	}
	return s
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
