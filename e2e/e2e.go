// Package e2e proves a copy of the app in a real account, start to finish:
// it deploys a copy under a name of its own, invokes the client function,
// waits for each client's scheduled probe to report and for its alarm to be
// OK (and, with the drill, breaks a client's return route until its alarm
// fires, then mends it until the alarm clears), checks that the API
// refuses a call that does not come through its endpoint, deploys again with a new apiVpcCidr (which replaces the API's
// VPC and endpoint) and proves every client again, destroys everything
// (also when a step failed) and checks that nothing of the run is left.
// It proves the transport of the configuration: over peering, each
// client's peering connection to the new API VPC; over PrivateLink, the
// API's endpoint service with its load balancer in the API's VPC and each
// client's interface endpoint to it, and after the update a new service in
// the new VPC, the old one gone, and a new endpoint for every client. With
// secondaryApiRegion it deploys the secondary API too (over PrivateLink it
// proves the secondary's endpoint service and each client's failover
// endpoint to it as it proves the primary's), proves each path's probe and
// alarm and each client's composite alarm, and the drill breaks the primary
// path alone: the client still answers, from the secondary.
// The steps talk to AWS and to the CDK CLI
// through two small interfaces, so their logic is tested offline with fakes;
// only `make e2e` runs them against an account.
package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"crossregionapi/config"
	"crossregionapi/functions/apiclient/handler"
	"crossregionapi/internal/ctxsleep"
	"crossregionapi/internal/demo"
	"crossregionapi/internal/probe"
)

// Cloud is what the run needs from AWS.
type Cloud interface {
	// Account is the account of the credentials in use; an error means
	// there are none that work.
	Account(ctx context.Context) (string, error)
	// BootstrapVersion is the version of `cdk bootstrap` in region, or ""
	// when the Region is not bootstrapped.
	BootstrapVersion(ctx context.Context, region string) (string, error)
	// StackOutputs returns the outputs of a stack; exists is false when
	// there is no such stack.
	StackOutputs(ctx context.Context, region, stack string) (outputs map[string]string, exists bool, err error)
	// Invoke invokes a function with an empty event and returns its
	// payload, and its error ("" on success).
	Invoke(ctx context.Context, region, function string) (payload []byte, functionError string, err error)
	// SignedGet sends a GET signed for execute-api in region from this
	// machine, outside any VPC, and returns the HTTP status.
	SignedGet(ctx context.Context, region, url string) (int, error)
	// LogGroups lists the log groups of region whose names begin with
	// prefix.
	LogGroups(ctx context.Context, region, prefix string) ([]string, error)
	// Parameters lists the SSM parameters of region under path.
	Parameters(ctx context.Context, region, path string) ([]string, error)
	// CloudWatchRoleArn is API Gateway's account setting in region: the
	// role execution logs are written with, or "".
	CloudWatchRoleArn(ctx context.Context, region string) (string, error)
	// PeeringConnection returns the accepter VPC of a VPC peering
	// connection of region, and its status ("active" once accepted).
	PeeringConnection(ctx context.Context, region, id string) (accepterVpc, status string, err error)
	// VpcExists reports whether a VPC of region exists.
	VpcExists(ctx context.Context, region, id string) (bool, error)
	// VpcEndpoint describes a VPC endpoint of region; exists is false when
	// there is none, or only a deleted one.
	VpcEndpoint(ctx context.Context, region, id string) (e Endpoint, exists bool, err error)
	// EndpointService describes this account's VPC endpoint service of
	// region named name; exists is false when there is none, or only a
	// deleted one.
	EndpointService(ctx context.Context, region, name string) (s EndpointService, exists bool, err error)
	// LoadBalancerVpc is the VPC of a load balancer of region; exists is
	// false when there is no such load balancer.
	LoadBalancerVpc(ctx context.Context, region, arn string) (vpc string, exists bool, err error)
	// EndpointConnections lists the interface endpoint connections of this
	// account's endpoint service of region (its id, vpce-svc-...), as the
	// service sees them: endpoint id -> state ("available" once accepted).
	EndpointConnections(ctx context.Context, region, serviceID string) (map[string]string, error)
	// AlarmState is the state of a CloudWatch alarm of region: OK, ALARM
	// or INSUFFICIENT_DATA; exists is false when there is no such alarm.
	AlarmState(ctx context.Context, region, name string) (state string, exists bool, err error)
	// ProbeData reads one client's probe metrics of region from start to
	// end.
	ProbeData(ctx context.Context, region string, key ProbeKey, start, end time.Time) (ProbeData, error)
	// ReturnRoutes lists the routes to cidr in the route tables of a VPC
	// of region.
	ReturnRoutes(ctx context.Context, region, vpc, cidr string) ([]Route, error)
	// DeleteRoute deletes a route of region; CreateRoute creates it again,
	// through the same peering connection.
	DeleteRoute(ctx context.Context, region string, r Route) error
	CreateRoute(ctx context.Context, region string, r Route) error
}

// ProbeKey names one client's probe metrics by their dimensions
// (probe.Dimensions): the app, and the client's Region and account.
type ProbeKey struct {
	App, ClientRegion, ClientAccount string
	// ApiRegion is the API Region of one path of a client of several, or
	// "" for the one API's probe, whose metrics have no ApiRegion.
	ApiRegion string
}

func (k ProbeKey) String() string {
	s := fmt.Sprintf("%s=%s, %s=%s, %s=%s", probe.DimensionApp, k.App, probe.DimensionClientRegion, k.ClientRegion,
		probe.DimensionClientAccount, k.ClientAccount)
	if k.ApiRegion != "" {
		s += fmt.Sprintf(", %s=%s", probe.DimensionAPIRegion, k.ApiRegion)
	}
	return s
}

// Point is one datapoint of a metric.
type Point struct {
	Time  time.Time
	Value float64
}

// ProbeData is what CloudWatch holds of one client's probes over a window,
// one datapoint a minute: the average of Success and of Latency (ms), and
// the sum of Failure for each FailureKind that occurred.
type ProbeData struct {
	Success, Latency []Point
	Failures         map[string][]Point
}

// Probe is one probe as its metrics tell it.
type Probe struct {
	Time    time.Time
	Success bool
	// LatencyMs is the call's time; HasLatency is false when the Latency
	// metric has no datapoint for the probe.
	LatencyMs  float64
	HasLatency bool
	// Kinds are the FailureKind values of a failed probe, sorted; empty
	// when the Failure metric has none for it.
	Kinds []string
}

// Latest is the latest probe of d: the latest minute with a Success or a
// Failure datapoint. ok is false when d holds no probe at all.
func (d ProbeData) Latest() (p Probe, ok bool) {
	for _, pt := range d.Success {
		if !ok || pt.Time.After(p.Time) {
			p.Time, ok = pt.Time, true
		}
	}
	for _, pts := range d.Failures {
		for _, pt := range pts {
			if !ok || pt.Time.After(p.Time) {
				p.Time, ok = pt.Time, true
			}
		}
	}
	if !ok {
		return Probe{}, false
	}
	// A minute without a Success datapoint but with a Failure one is a
	// failed probe.
	if v, found := valueAt(d.Success, p.Time); found {
		p.Success = v >= 1
	}
	p.LatencyMs, p.HasLatency = valueAt(d.Latency, p.Time)
	for kind, pts := range d.Failures {
		if v, found := valueAt(pts, p.Time); found && v > 0 {
			p.Kinds = append(p.Kinds, kind)
		}
	}
	slices.Sort(p.Kinds)
	return p, true
}

func valueAt(pts []Point, t time.Time) (float64, bool) {
	for _, pt := range pts {
		if pt.Time.Equal(t) {
			return pt.Value, true
		}
	}
	return 0, false
}

// Endpoint is an interface VPC endpoint as EC2 describes it.
type Endpoint struct {
	// ServiceName is the endpoint service it connects to, and
	// ServiceRegion that service's Region.
	ServiceName, ServiceRegion string
	// State is EC2's, spelt as EC2 answers: "available" once the service
	// has accepted the connection, "pendingAcceptance" before.
	State string
}

// EndpointService is a VPC endpoint service's configuration as EC2
// describes it.
type EndpointService struct {
	// ID is the service's id (vpce-svc-...), State its state (Available).
	ID, State string
	// LoadBalancers are the ARNs of its Network Load Balancers.
	LoadBalancers []string
}

// Route is a route of a route table through a VPC peering connection.
type Route struct {
	RouteTableID, DestinationCidr, PeeringConnectionID string
}

// CDK deploys and destroys the app with the given context (-c values).
type CDK interface {
	Deploy(ctx context.Context, context map[string]string) error
	Destroy(ctx context.Context, context map[string]string) error
}

// Plan is one run: the copy's configuration and its -c values, and the
// apiVpcCidr of the update that follows the first deploy.
type Plan struct {
	Config         config.Config
	Context        map[string]string
	NextApiVpcCidr string
	// Drill, when set (E2E_DRILL=1), breaks the path of the first client
	// after the first deploy: it deletes the client's return route in the
	// API's VPC, waits for the client's probe alarm to fire, puts the route
	// back as it was and waits for the alarm to clear. With a secondary API
	// Region it breaks the path to the primary API only, and proves that
	// the client still answers, from the secondary, that the primary path's
	// alarm fires and that the composite alarm, which notifies, stays OK.
	Drill bool
	// Waits bound the waits for the probes and their alarms.
	Waits Waits

	// now and sleep are the clock of the steps and the waits; nil for the
	// real one. Tests replace them so that a wait takes no time.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// Waits bound the waits for the probes and their alarms, and how often
// each wait looks.
type Waits struct {
	// FirstProbe bounds the wait for a client's first probe datapoint
	// after the deploy: the schedule's first run, then the metric's way
	// into CloudWatch.
	FirstProbe time.Duration
	// Alarm bounds each wait for an alarm to reach a state: FailedProbes
	// intervals of probes, and the alarm's evaluation after them.
	Alarm time.Duration
	// Gone bounds the wait, after the update, for the endpoint service and
	// load balancer the update replaced to be gone (over PrivateLink).
	Gone time.Duration
	// Poll is the time between two looks.
	Poll time.Duration
}

// DefaultWaits are the bounds for a probe every minute (the plan's
// probeIntervalMinutes).
var DefaultWaits = Waits{FirstProbe: 10 * time.Minute, Alarm: 15 * time.Minute, Gone: 5 * time.Minute, Poll: 20 * time.Second}

// probeIntervalMinutes is the copy's probe interval: the shortest, so the
// run sees probes and alarms within minutes.
const probeIntervalMinutes = 1

// NewPlan names a copy of base that cannot collide with an existing one:
// appName "E2e" and a random suffix, which no copy deployed by hand uses.
func NewPlan(base config.Config) (Plan, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Plan{}, err
	}
	cfg := base
	cfg.AppName = fmt.Sprintf("E2e%x", b)
	cfg.ProbeIntervalMinutes = probeIntervalMinutes
	if len(cfg.ClientAccounts()) > 0 {
		return Plan{}, fmt.Errorf("clients in other accounts (%s): the end-to-end run deploys into the account of its credentials only", strings.Join(cfg.ClientAccounts(), ", "))
	}
	cfg.Account = ""
	for i := range cfg.Clients {
		cfg.Clients[i].Account = ""
	}
	if err := cfg.Validate(); err != nil {
		return Plan{}, fmt.Errorf("the end-to-end copy's configuration is invalid: %w", err)
	}
	next, err := nextApiVpcCidr(cfg)
	if err != nil {
		return Plan{}, err
	}
	transport := config.TransportPeering
	if !cfg.UsesPeering() {
		transport = config.TransportPrivateLink
	}
	ctx := map[string]string{
		"appName":    cfg.AppName,
		"apiRegion":  cfg.ApiRegion,
		"apiVpcCidr": cfg.ApiVpcCidr,
		"stageName":  cfg.StageName,
		// The transport the run proves is the one it deploys, whatever
		// cdk.json says.
		"transport": transport,

		"probeIntervalMinutes": strconv.Itoa(cfg.ProbeIntervalMinutes),
	}
	if cfg.Clients != nil {
		var list []map[string]string
		for _, cl := range cfg.Clients {
			list = append(list, map[string]string{"region": cl.Region, "cidr": cl.Cidr})
		}
		raw, err := json.Marshal(list)
		if err != nil {
			return Plan{}, err
		}
		ctx["clients"] = string(raw)
	} else {
		ctx["clientRegion"], ctx["clientVpcCidr"] = cfg.ClientRegion, cfg.ClientVpcCidr
	}
	if cfg.SecondaryApiRegion != "" {
		ctx["secondaryApiRegion"], ctx["secondaryApiVpcCidr"] = cfg.SecondaryApiRegion, cfg.SecondaryApiVpcCidr
	}
	return Plan{Config: cfg, Context: ctx, NextApiVpcCidr: next, Waits: DefaultWaits}, nil
}

// Forward passes on to every deploy and destroy the settings the user
// gave (E2E_ARGS) that the plan does not decide itself, as the user wrote
// them: without it, `cdk deploy` would fall back to cdk.json for them
// (logEncryption, say), and the run would prove another app than the one it
// was asked to. The plan's own keys win, and the clients and the account
// stay the plan's: the copy deploys into the account of the credentials.
func (p *Plan) Forward(settings map[string]any) {
	for key, value := range settings {
		if _, decided := p.Context[key]; decided {
			continue
		}
		switch key {
		case "account", "clients", "clientRegion", "clientVpcCidr":
			continue
		}
		if s, ok := value.(string); ok {
			p.Context[key] = s
		} else {
			p.Context[key] = fmt.Sprint(value)
		}
	}
}

// nextApiVpcCidr is a range for the API's VPC, other than its own, that
// the configuration accepts with every client: the update's new apiVpcCidr.
func nextApiVpcCidr(cfg config.Config) (string, error) {
	for i := 200; i < 250; i++ {
		next := cfg
		next.ApiVpcCidr = fmt.Sprintf("10.%d.0.0/16", i)
		if next.ApiVpcCidr != cfg.ApiVpcCidr && next.Validate() == nil {
			return next.ApiVpcCidr, nil
		}
	}
	return "", fmt.Errorf("no range 10.200.0.0/16 to 10.249.0.0/16 fits beside the clients' for the update's apiVpcCidr")
}

// ClientsFor is a `clients` value with one client in each of regions, each
// with a range of its own (10.101.0.0/16, 10.102.0.0/16, ...), for a run that
// proves several spokes.
func ClientsFor(regions []string) string {
	var list []map[string]string
	for i, r := range regions {
		list = append(list, map[string]string{"region": r, "cidr": fmt.Sprintf("10.%d.0.0/16", 101+i)})
	}
	raw, _ := json.Marshal(list)
	return string(raw)
}

// stack is one stack of the copy and its Region.
type stack struct{ name, region string }

// stacks are the copy's stacks: per API Region, an API stack and over
// peering a return-route stack per client, and a stack per client.
func (p Plan) stacks() []stack {
	c := p.Config
	var out []stack
	for _, r := range c.ApiRegions() {
		out = append(out, stack{c.ApiStackName(r), r})
	}
	for _, cl := range c.ClientList() {
		out = append(out, stack{c.ClientStackName(config.RoleClient, cl), cl.Region})
		if !c.UsesPeering() {
			continue
		}
		for _, r := range c.ApiRegions() {
			out = append(out, stack{c.ReturnRouteStackName(cl, r), r})
		}
	}
	return out
}

// Run carries out the plan and prints each step with its duration to out.
// Once it has started to deploy, it destroys the copy whatever happens, and
// then checks that nothing of it remains.
func Run(ctx context.Context, p Plan, cloud Cloud, cdk CDK, out io.Writer) (err error) {
	r := &runner{out: out, now: p.now, sleep: p.sleep}
	c := p.Config
	if p.Drill && !c.UsesPeering() {
		return fmt.Errorf("the drill (E2E_DRILL=1) deletes a client's return route, which transport %s does not have: run it with transport %s, or without the drill",
			config.TransportPrivateLink, config.TransportPeering)
	}
	var account string
	if err := r.step("credentials", func() (e error) {
		account, e = cloud.Account(ctx)
		if e != nil {
			return fmt.Errorf("no usable AWS credentials (%v); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for one account and run again", e)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := r.step("every Region bootstrapped", func() error {
		for _, region := range regions(c) {
			v, err := cloud.BootstrapVersion(ctx, region)
			if err != nil {
				return err
			}
			if v == "" {
				return fmt.Errorf("%s is not bootstrapped: run npx cdk bootstrap aws://%s/%s", region, account, region)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := r.step("no stack of this name exists", func() error {
		for _, s := range p.stacks() {
			_, exists, err := cloud.StackOutputs(ctx, s.region, s.name)
			if err != nil {
				return err
			}
			if exists {
				return fmt.Errorf("stack %s already exists in %s; the run never touches a copy it did not create", s.name, s.region)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := r.step("API Gateway's CloudWatch role", func() error {
		arn, err := cloud.CloudWatchRoleArn(ctx, c.ApiRegion)
		if err != nil {
			return err
		}
		if arn != "" {
			p.Context["apiGatewayCloudWatchRole"] = config.CloudWatchRoleExisting
			fmt.Fprintf(out, "    the account has one (%s): apiGatewayCloudWatchRole=existing\n", arn)
		} else {
			p.Context["apiGatewayCloudWatchRole"] = config.CloudWatchRoleCreate
			fmt.Fprintf(out, "    the account has none: the copy creates one and keeps it (apiGatewayCloudWatchRole=create)\n")
		}
		return nil
	}); err != nil {
		return err
	}

	var seen inventory
	defer func() {
		destroyErr := r.step("destroy", func() error { return cdk.Destroy(ctx, p.Context) })
		var left []string
		leftErr := r.step("nothing left", func() (e error) {
			left, e = leftovers(ctx, cloud, p, seen)
			if e != nil {
				return e
			}
			if len(left) > 0 {
				return fmt.Errorf("left behind: %s", strings.Join(left, ", "))
			}
			return nil
		})
		if p.Context["apiGatewayCloudWatchRole"] == config.CloudWatchRoleCreate {
			if arn, e := cloud.CloudWatchRoleArn(ctx, c.ApiRegion); e == nil && arn != "" {
				fmt.Fprintf(out, "    kept by design: API Gateway's CloudWatch role %s, which the Region's setting points at (see the README)\n", arn)
			}
		}
		err = errors.Join(err, destroyErr, leftErr)
	}()

	if err := r.step("deploy", func() error { return cdk.Deploy(ctx, p.Context) }); err != nil {
		return err
	}
	first, err := r.prove(ctx, p, cloud, &seen, nil)
	if err != nil {
		return err
	}
	if err := r.probes(ctx, p, cloud, account); err != nil {
		return err
	}
	if p.Drill {
		if err := r.drill(ctx, p, cloud, first); err != nil {
			return err
		}
	}
	if err := r.step("a call from outside the endpoint is refused", func() error {
		url := strings.TrimSuffix(first.apiURL, "/") + "/" + demo.ResourcePath
		status, err := cloud.SignedGet(ctx, c.ApiRegion, url)
		if err != nil {
			// No answer at all (no such host from outside) is a refusal too.
			fmt.Fprintf(out, "    no answer from outside: %v\n", err)
			return nil
		}
		if status != 403 {
			return fmt.Errorf("GET %s from outside the VPCs answered %d, want 403", url, status)
		}
		fmt.Fprintf(out, "    GET %s from outside the VPCs: 403\n", url)
		return nil
	}); err != nil {
		return err
	}

	// An update that replaces the API's VPC and endpoint (and, over
	// PrivateLink, its load balancer): one deploy must carry them to every
	// client and return route, or to the endpoint service.
	update := fmt.Sprintf("update: apiVpcCidr %s -> %s", c.ApiVpcCidr, p.NextApiVpcCidr)
	if err := r.step(update, func() error {
		p.Context["apiVpcCidr"] = p.NextApiVpcCidr
		return cdk.Deploy(ctx, p.Context)
	}); err != nil {
		return err
	}
	second, err := r.prove(ctx, p, cloud, &seen, &first)
	if err != nil {
		return err
	}
	if !c.UsesPeering() {
		// prove has checked the new endpoint service, that the old one is
		// gone, and every client's new endpoint.
		return nil
	}
	for _, cl := range c.ClientList() {
		if err := r.step("the client in "+cl.Region+" peers with the new API VPC", func() error {
			id := second.peerings[cl.Region]
			accepter, status, err := cloud.PeeringConnection(ctx, cl.Region, id)
			if err != nil {
				return err
			}
			if accepter != second.vpcID || status != "active" {
				return fmt.Errorf("peering connection %s: accepter VPC %s (%s), want %s (active); the old API VPC was %s", id, accepter, status, second.vpcID, first.vpcID)
			}
			fmt.Fprintf(out, "    %s: %s, %s (was %s)\n", id, accepter, status, first.peerings[cl.Region])
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// inventory is what of the copy the run has met, for the leftovers check.
type inventory struct {
	apiIDs, vpcIDs []string
	// secondary are the secondary API's VPCs and, over PrivateLink, its
	// endpoint services and their load balancers (by ARN), in its Region.
	secondary []regional
	// Over PrivateLink: the endpoint services by name and their load
	// balancers by ARN, in the API's Region, and the clients' interface
	// endpoints.
	services, loadBalancers []string
	endpoints               []regional
}

// regional is a resource of a Region.
type regional struct{ region, id string }

// deployed is what one deploy gave: the API's id, URL and VPC, and each
// client's function and peering connection, by client Region; over
// PrivateLink, the API's front and each client's interface endpoint to it
// instead of its peering connection.
type deployed struct {
	apiURL, vpcID       string
	functions, peerings map[string]string
	// failoverPeerings are the clients' peering connections to the
	// secondary API's VPC, by client Region; empty without one.
	failoverPeerings map[string]string
	// front is the primary API's PrivateLink side, and failoverFront the
	// secondary's (nil over peering or without secondaryApiRegion).
	front         front
	failoverFront *front
}

// front is one API stack's PrivateLink side as a deploy gave it: its
// endpoint service, and each client's interface endpoint to it. The
// primary's and the secondary's are checked by the same steps.
type front struct {
	// region and stack are the API stack's; vpcID and serviceName its
	// outputs VpcId and EndpointServiceName.
	region, stack, vpcID, serviceName string
	// failover is set for the secondary API's front, whose clients name
	// their endpoint to it in output FailoverEndpointId.
	failover bool
	// endpoints are the clients' interface endpoints to the service, by
	// client Region.
	endpoints map[string]string
	// serviceID and loadBalancers are what EC2 says of the service named
	// serviceName.
	serviceID     string
	loadBalancers []string
}

// endpointOutput is the client stacks' output that names their endpoint
// to this front's service.
func (f *front) endpointOutput() string {
	if f.failover {
		return "FailoverEndpointId"
	}
	return "EndpointId"
}

// service and vpc name the front's service and VPC in the steps.
func (f *front) service() string {
	if f.failover {
		return "the endpoint service of the API in " + f.region
	}
	return "the API's endpoint service"
}

func (f *front) vpc() string {
	if f.failover {
		return "the VPC of the API in " + f.region
	}
	return "the API VPC"
}

// prove reads the stacks' outputs and invokes every client, which must
// reach the API in its Region. before is what the deploy before this one
// gave, nil after the first. Over PrivateLink it first checks, before the
// invocations, each client's interface endpoint and the endpoint service's
// load balancer: when a client cannot reach the API, they say why.
func (r *runner) prove(ctx context.Context, p Plan, cloud Cloud, s *inventory, before *deployed) (deployed, error) {
	c := p.Config
	phase := ""
	if before != nil {
		phase = " after the update"
	}
	d := deployed{functions: map[string]string{}, peerings: map[string]string{}, failoverPeerings: map[string]string{},
		front: front{region: c.ApiRegion, stack: c.StackName(config.RoleApi), endpoints: map[string]string{}}}
	if err := r.step("read outputs"+phase, func() error {
		apiOut, _, err := cloud.StackOutputs(ctx, c.ApiRegion, c.StackName(config.RoleApi))
		if err != nil {
			return err
		}
		apiID := apiOut["ApiId"]
		d.apiURL, d.vpcID = apiOut["ApiUrl"], apiOut["VpcId"]
		if apiID == "" || d.apiURL == "" || d.vpcID == "" {
			return fmt.Errorf("outputs ApiId, ApiUrl and VpcId of %s: %q, %q, %q", c.StackName(config.RoleApi), apiID, d.apiURL, d.vpcID)
		}
		s.apiIDs = appendNew(s.apiIDs, apiID)
		s.vpcIDs = appendNew(s.vpcIDs, d.vpcID)
		d.front.vpcID = d.vpcID
		link := "PeeringConnectionId"
		if !c.UsesPeering() {
			link = "EndpointId"
			d.front.serviceName = apiOut["EndpointServiceName"]
			if d.front.serviceName == "" {
				return fmt.Errorf("output EndpointServiceName of %s is missing: with transport %s the API stack has an endpoint service",
					c.StackName(config.RoleApi), config.TransportPrivateLink)
			}
			s.services = appendNew(s.services, d.front.serviceName)
		}
		if d.failoverFront, err = readSecondary(ctx, c, cloud, s); err != nil {
			return err
		}
		for _, cl := range c.ClientList() {
			name := c.ClientStackName(config.RoleClient, cl)
			clientOut, _, err := cloud.StackOutputs(ctx, cl.Region, name)
			if err != nil {
				return err
			}
			if clientOut["FunctionName"] == "" || clientOut[link] == "" {
				return fmt.Errorf("outputs FunctionName and %s of %s: %q, %q", link, name, clientOut["FunctionName"], clientOut[link])
			}
			if c.SecondaryApiRegion != "" {
				failover := clientOut["Failover"+link]
				if failover == "" {
					return fmt.Errorf("output Failover%s of %s is missing: with secondaryApiRegion each client has a path to the API in %s", link, name, c.SecondaryApiRegion)
				}
				if c.UsesPeering() {
					d.failoverPeerings[cl.Region] = failover
				} else {
					d.failoverFront.endpoints[cl.Region] = failover
					if !slices.Contains(s.endpoints, regional{cl.Region, failover}) {
						s.endpoints = append(s.endpoints, regional{cl.Region, failover})
					}
				}
			}
			d.functions[cl.Region] = clientOut["FunctionName"]
			if c.UsesPeering() {
				d.peerings[cl.Region] = clientOut[link]
			} else {
				d.front.endpoints[cl.Region] = clientOut[link]
				if !slices.Contains(s.endpoints, regional{cl.Region, clientOut[link]}) {
					s.endpoints = append(s.endpoints, regional{cl.Region, clientOut[link]})
				}
			}
		}
		// Checked last, so that the leftovers check knows every resource
		// the outputs name.
		if before != nil && d.vpcID == before.vpcID {
			return fmt.Errorf("the update kept the API's VPC %s (output VpcId of %s): a new apiVpcCidr (%s) must replace it",
				d.vpcID, c.StackName(config.RoleApi), p.NextApiVpcCidr)
		}
		return nil
	}); err != nil {
		return d, err
	}
	if !c.UsesPeering() {
		if err := r.privateLink(ctx, p, cloud, s, &d, before); err != nil {
			return d, err
		}
	}
	for _, cl := range c.ClientList() {
		if err := r.step("invoke the client in "+cl.Region+phase, func() error {
			res, err := InvokeClient(ctx, cloud, cl.Region, d.functions[cl.Region])
			if err != nil {
				return err
			}
			fmt.Fprintf(r.out, "    %s\n", res.Summary())
			return res.Check(c.ApiRegion)
		}); err != nil {
			return d, err
		}
	}
	return d, nil
}

// privateLink checks the PrivateLink path a deploy gave (d), before any
// client is invoked: the API's endpoint service is Available with its load
// balancers in the API's VPC, and every client's interface endpoint is
// available and connected to it in the API's Region. After the update
// (before is the first deploy), the service must be a new one in the new
// VPC, the old service and its load balancers gone, and every client's
// endpoint a new one: AWS refuses to move a service with connected
// endpoints to another load balancer ("You can't disassociate a load
// balancer if there are endpoints connected to your endpoint service",
// docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html),
// so a new API VPC needs a new load balancer and a new service beside the
// old ones, and an endpoint's ServiceName is create-only. The secondary
// API's front, which the update does not touch, is checked the same way
// after both deploys, each client's failover endpoint to it included.
func (r *runner) privateLink(ctx context.Context, p Plan, cloud Cloud, s *inventory, d *deployed, before *deployed) error {
	var old *front
	if before != nil {
		old = &before.front
	}
	if err := r.checkFront(ctx, p, cloud, s, &d.front, old, ""); err != nil {
		return err
	}
	if d.failoverFront == nil {
		return nil
	}
	phase := ""
	if before != nil {
		phase = " after the update"
	}
	return r.checkFront(ctx, p, cloud, s, d.failoverFront, nil, phase)
}

// checkFront checks one API's front (f): its endpoint service, then, when
// it replaced old, that old's service and balancers are gone, then every
// client's endpoint to it. phase ends the steps' names.
func (r *runner) checkFront(ctx context.Context, p Plan, cloud Cloud, s *inventory, f, old *front, phase string) error {
	if err := r.endpointService(ctx, p, cloud, s, f, old, phase); err != nil {
		return err
	}
	if old != nil {
		if err := r.replacedFrontGone(ctx, p, cloud, old); err != nil {
			return err
		}
	}
	for _, cl := range p.Config.ClientList() {
		if err := r.clientEndpoint(ctx, p, cloud, cl, f, old, phase); err != nil {
			return err
		}
	}
	return nil
}

// endpointService checks the service an API stack names (output
// EndpointServiceName of f.stack): Available, with its load balancers in
// the API's VPC; when it replaced old, a new service, in the new VPC. It
// records the service's id and load balancers in f, and the balancers in s
// for the leftovers check.
func (r *runner) endpointService(ctx context.Context, p Plan, cloud Cloud, s *inventory, f, old *front, phase string) error {
	name, which := fmt.Sprintf("%s is Available, its load balancer in %s%s", f.service(), f.vpc(), phase), f.vpc()
	if old != nil {
		name, which = f.service()+" is new and Available, its load balancer in the new API VPC", "the new API VPC"
	}
	return r.step(name, func() error {
		if old != nil && f.serviceName == old.serviceName {
			return fmt.Errorf("output EndpointServiceName of %s is still %s after the update: a new API VPC needs a new load balancer and a new endpoint service, "+
				"since AWS refuses to move a service with connected endpoints to another load balancer (ExistingVpcEndpointConnections)",
				f.stack, f.serviceName)
		}
		svc, exists, err := cloud.EndpointService(ctx, f.region, f.serviceName)
		if err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("there is no endpoint service %s (output EndpointServiceName of %s) in %s", f.serviceName, f.stack, f.region)
		}
		for _, arn := range svc.LoadBalancers {
			if f.failover {
				s.secondary = appendNew(s.secondary, regional{f.region, arn})
			} else {
				s.loadBalancers = appendNew(s.loadBalancers, arn)
			}
		}
		f.serviceID, f.loadBalancers = svc.ID, svc.LoadBalancers
		// A service is Pending until it is ready, then Available; Deleting,
		// Deleted and Failed are the others (EC2 API reference,
		// ServiceConfiguration, ServiceState: "Pending | Available |
		// Deleting | Deleted | Failed").
		if !strings.EqualFold(svc.State, "Available") {
			return fmt.Errorf("endpoint service %s (%s) is %s, want Available: its clients' endpoints cannot be served until it is", f.serviceName, svc.ID, svc.State)
		}
		if len(svc.LoadBalancers) == 0 {
			return fmt.Errorf("endpoint service %s (%s) has no Network Load Balancer", f.serviceName, svc.ID)
		}
		var errs []error
		for _, arn := range svc.LoadBalancers {
			vpc, exists, err := cloud.LoadBalancerVpc(ctx, f.region, arn)
			if err != nil {
				return err
			}
			switch {
			case !exists:
				errs = append(errs, fmt.Errorf("load balancer %s of endpoint service %s does not exist in %s", arn, f.serviceName, f.region))
			case vpc != f.vpcID && old != nil:
				errs = append(errs, fmt.Errorf("load balancer %s of endpoint service %s is in VPC %s, want the new API VPC %s; the old API VPC was %s",
					arn, f.serviceName, vpc, f.vpcID, old.vpcID))
			case vpc != f.vpcID:
				errs = append(errs, fmt.Errorf("load balancer %s of endpoint service %s is in VPC %s, want %s %s (output VpcId of %s)", arn, f.serviceName, vpc, which, f.vpcID, f.stack))
			default:
				was := ""
				if old != nil {
					was = fmt.Sprintf(" (was %s on %s)", old.serviceName, strings.Join(old.loadBalancers, ", "))
				}
				fmt.Fprintf(r.out, "    %s (%s, %s): %s in %s%s\n", f.serviceName, svc.ID, svc.State, arn, vpc, was)
			}
		}
		return errors.Join(errs...)
	})
}

// replacedFrontGone waits, for at most Waits.Gone, until the endpoint
// service and the load balancers of the first deploy (old) are gone: the
// update's cleanup phase deletes them once the old service's connections
// are rejected. CloudFormation does not fail an update for a resource it
// could not delete in that phase: it "removes the old resource from the
// stack and continues updating the stack" (CloudFormation User Guide,
// troubleshooting, "Resource removed from stack but not deleted"), so only
// a look at the account tells.
func (r *runner) replacedFrontGone(ctx context.Context, p Plan, cloud Cloud, old *front) error {
	return r.step("the endpoint service and load balancer from before the update are gone", func() error {
		return r.waitFor(ctx, p.Waits.Gone, p.Waits.Poll, func() (bool, string, error) {
			var left []string
			svc, exists, err := cloud.EndpointService(ctx, old.region, old.serviceName)
			if err != nil {
				return false, "", err
			}
			if exists {
				left = append(left, fmt.Sprintf("endpoint service %s (%s, %s)", old.serviceName, svc.ID, svc.State))
			}
			for _, arn := range old.loadBalancers {
				_, exists, err := cloud.LoadBalancerVpc(ctx, old.region, arn)
				if err != nil {
					return false, "", err
				}
				if exists {
					left = append(left, "load balancer "+arn)
				}
			}
			if len(left) == 0 {
				return true, fmt.Sprintf("%s and %s gone", old.serviceName, strings.Join(old.loadBalancers, ", ")), nil
			}
			return false, "still there: " + strings.Join(left, ", "), nil
		}, func(seen string) error {
			return fmt.Errorf("after %s, %s: the update's cleanup did not delete them (look for DELETE_FAILED in the events of %s; "+
				"a service with available or pending-acceptance connections cannot be deleted, nor a load balancer a service still uses)",
				p.Waits.Gone, seen, old.stack)
		})
	})
}

// clientEndpoint checks one client's interface endpoint to f's service
// (output EndpointId, or FailoverEndpointId for the secondary's):
// available, connected to that service in f's Region, and listed by the
// service as an available connection; when f replaced old, a new endpoint
// to the new service.
func (r *runner) clientEndpoint(ctx context.Context, p Plan, cloud Cloud, cl config.Client, f, old *front, phase string) error {
	c := p.Config
	output := f.endpointOutput() + " of " + c.ClientStackName(config.RoleClient, cl)
	name := "the client in " + cl.Region + " connects to " + f.service() + phase
	if old != nil {
		name = "the client in " + cl.Region + " has a new endpoint to the new endpoint service"
	}
	return r.step(name, func() error {
		id := f.endpoints[cl.Region]
		var problems []string
		if old != nil && id == old.endpoints[cl.Region] {
			problems = append(problems, "it is the endpoint from before the update (output "+output+
				" did not change): a new endpoint service needs a new interface endpoint, its ServiceName being create-only")
		}
		e, exists, err := cloud.VpcEndpoint(ctx, cl.Region, id)
		if err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("interface endpoint %s (output %s) does not exist in %s", id, output, cl.Region)
		}
		// An endpoint is available once the service has accepted its
		// connection; pendingAcceptance until then, when the service
		// requires acceptance
		// (docs.aws.amazon.com/vpc/latest/privatelink/accept-reject-endpoint-requests.html).
		if !strings.EqualFold(e.State, "available") {
			problem := fmt.Sprintf("state %s, want available", e.State)
			if strings.EqualFold(e.State, "pendingAcceptance") {
				problem += " (the endpoint service waits for someone to accept the connection; it must accept its clients without a manual step)"
			}
			problems = append(problems, problem)
		}
		switch {
		case e.ServiceName == f.serviceName:
		case old != nil && e.ServiceName == old.serviceName:
			problems = append(problems, fmt.Sprintf("it still connects to %s, the endpoint service from before the update, want the new %s (output EndpointServiceName of %s)",
				e.ServiceName, f.serviceName, f.stack))
		default:
			problems = append(problems, fmt.Sprintf("it connects to %s, want the API stack's endpoint service %s (output EndpointServiceName of %s)",
				e.ServiceName, f.serviceName, f.stack))
		}
		if e.ServiceRegion != f.region {
			problems = append(problems, fmt.Sprintf("service Region %q, want the API's Region %s", e.ServiceRegion, f.region))
		}
		if len(problems) == 0 {
			// The service's own view: its connection from this endpoint.
			conns, err := cloud.EndpointConnections(ctx, f.region, f.serviceID)
			if err != nil {
				return err
			}
			if state, ok := conns[id]; !ok {
				problems = append(problems, fmt.Sprintf("endpoint service %s lists no connection from it", f.serviceID))
			} else if !strings.EqualFold(state, "available") {
				problems = append(problems, fmt.Sprintf("endpoint service %s lists its connection as %s, want available", f.serviceID, state))
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("interface endpoint %s in %s: %s", id, cl.Region, strings.Join(problems, "; "))
		}
		was := ""
		if old != nil {
			was = fmt.Sprintf(" (was %s to %s)", old.endpoints[cl.Region], old.serviceName)
		}
		fmt.Fprintf(r.out, "    %s: %s, %s in %s%s\n", id, e.State, e.ServiceName, e.ServiceRegion, was)
		return nil
	})
}

// probes waits, for every client, for the first datapoint of its scheduled
// probe and then for its alarm to be OK: the schedule runs, the function
// writes its metrics, and the alarm watches them. With a secondary API
// Region, for the first datapoint of each path and the alarm of each path,
// then for the composite alarm.
func (r *runner) probes(ctx context.Context, p Plan, cloud Cloud, account string) error {
	c := p.Config
	for _, cl := range c.ClientList() {
		for _, a := range pathsOf(c, cl) {
			key := ProbeKey{App: c.AppName, ClientRegion: cl.Region, ClientAccount: account, ApiRegion: a.apiRegion}
			if err := r.step("first probe of the client in "+cl.Region+a.to(), func() error {
				return r.waitFor(ctx, p.Waits.FirstProbe, p.Waits.Poll, func() (bool, string, error) {
					end := r.clock()
					d, err := cloud.ProbeData(ctx, cl.Region, key, end.Add(-p.Waits.FirstProbe-5*time.Minute), end)
					if err != nil {
						return false, "", err
					}
					latest, ok := d.Latest()
					if !ok {
						return false, "no datapoint yet", nil
					}
					return true, "latest probe: " + latest.Summary(end), nil
				}, func(string) error {
					return fmt.Errorf("no %s datapoint in %s (%s) after %s: check the client stack's probe schedule (every %d minute(s)) and the client function's log group in %s",
						probe.MetricSuccess, probe.Namespace, key, p.Waits.FirstProbe, c.ProbeIntervalMinutes, cl.Region)
				})
			}); err != nil {
				return err
			}
			if err := r.waitAlarm(ctx, p, cloud, "", cl, a, "OK"); err != nil {
				return err
			}
		}
		if c.SecondaryApiRegion != "" {
			if err := r.waitAlarm(ctx, p, cloud, "", cl, compositeOf(c, cl), "OK"); err != nil {
				return err
			}
		}
	}
	return nil
}

// alarmPath is a client's probe alarm: the one API's, a path's (apiRegion)
// or, with composite, the composite alarm of a client of two API Regions.
type alarmPath struct {
	name, apiRegion string
	composite       bool
}

// to says which alarm of the client it is, after "the client in {region}".
func (a alarmPath) to() string {
	if a.apiRegion == "" {
		return ""
	}
	return " to the API in " + a.apiRegion
}

// pathsOf are the alarms of a client's paths: its one alarm, or one per
// API Region.
func pathsOf(c config.Config, cl config.Client) []alarmPath {
	if c.SecondaryApiRegion == "" {
		return []alarmPath{{name: probe.AlarmName(c.AppName, c.ClientID(cl))}}
	}
	var out []alarmPath
	for _, region := range c.ApiRegions() {
		out = append(out, alarmPath{name: probe.PathAlarmName(c.AppName, c.ClientID(cl), region), apiRegion: region})
	}
	return out
}

// compositeOf is the composite alarm of a client of two API Regions.
func compositeOf(c config.Config, cl config.Client) alarmPath {
	return alarmPath{name: probe.CompositeAlarmName(c.AppName, c.ClientID(cl)), composite: true}
}

// waitAlarm is a step that waits for the probe alarm a of cl to reach want.
func (r *runner) waitAlarm(ctx context.Context, p Plan, cloud Cloud, prefix string, cl config.Client, a alarmPath, want string) error {
	c := p.Config
	name, kind := a.name, "probe alarm"
	if a.composite {
		kind = "composite probe alarm"
	}
	return r.step(fmt.Sprintf("%s%s of the client in %s%s is %s", prefix, kind, cl.Region, a.to(), want), func() error {
		fmt.Fprintf(r.out, "    alarm %s in %s\n", name, cl.Region)
		return r.waitFor(ctx, p.Waits.Alarm, p.Waits.Poll, func() (bool, string, error) {
			state, exists, err := cloud.AlarmState(ctx, cl.Region, name)
			if err != nil {
				return false, "", err
			}
			if !exists {
				return false, "", fmt.Errorf("there is no alarm %s in %s: the client stack must have one with probeIntervalMinutes=%d", name, cl.Region, c.ProbeIntervalMinutes)
			}
			return state == want, state, nil
		}, func(seen string) error {
			return fmt.Errorf("alarm %s in %s is still %s after %s, want %s", name, cl.Region, seen, p.Waits.Alarm, want)
		})
	})
}

// drill breaks the path of the first client and proves that its alarm
// fires and clears: it deletes the client's return routes in the API's VPC
// (first.vpcID), waits for ALARM, puts the routes back as they were and
// waits for OK. With a secondary API Region, that is the path to the
// primary API alone: between the two waits it proves that the client
// still answers, from the secondary, and that the composite alarm is OK.
// The routes are put back whatever fails after they were deleted.
func (r *runner) drill(ctx context.Context, p Plan, cloud Cloud, first deployed) (err error) {
	c := p.Config
	cl := c.ClientList()[0]
	primary := pathsOf(c, cl)[0]
	var deleted []Route
	restored := false
	restore := func() error {
		restored = true
		// Also when the run was cancelled: a copy without its return
		// route is left broken.
		ctx := context.WithoutCancel(ctx)
		return r.step("drill: restore the return route to the client in "+cl.Region, func() error {
			var errs []error
			for _, rt := range deleted {
				if err := cloud.CreateRoute(ctx, c.ApiRegion, rt); err != nil {
					errs = append(errs, fmt.Errorf("route to %s in %s through %s: %w", rt.DestinationCidr, rt.RouteTableID, rt.PeeringConnectionID, err))
					continue
				}
				fmt.Fprintf(r.out, "    %s: %s -> %s\n", rt.RouteTableID, rt.DestinationCidr, rt.PeeringConnectionID)
			}
			return errors.Join(errs...)
		})
	}
	defer func() {
		if !restored && len(deleted) > 0 {
			err = errors.Join(err, restore())
		}
	}()
	if err := r.step("drill: delete the return route to the client in "+cl.Region, func() error {
		routes, err := cloud.ReturnRoutes(ctx, c.ApiRegion, first.vpcID, cl.Cidr)
		if err != nil {
			return err
		}
		if len(routes) == 0 {
			return fmt.Errorf("no route to %s in the route tables of the API's VPC %s", cl.Cidr, first.vpcID)
		}
		for _, rt := range routes {
			if err := cloud.DeleteRoute(ctx, c.ApiRegion, rt); err != nil {
				return fmt.Errorf("route to %s in %s: %w", rt.DestinationCidr, rt.RouteTableID, err)
			}
			deleted = append(deleted, rt)
			fmt.Fprintf(r.out, "    %s: %s -> %s deleted\n", rt.RouteTableID, rt.DestinationCidr, rt.PeeringConnectionID)
		}
		return nil
	}); err != nil {
		return err
	}
	if c.SecondaryApiRegion != "" {
		if err := r.step("drill: the client in "+cl.Region+" still answers, from "+c.SecondaryApiRegion, func() error {
			res, err := InvokeClient(ctx, cloud, cl.Region, first.functions[cl.Region])
			if err != nil {
				return err
			}
			fmt.Fprintf(r.out, "    %s\n", res.Summary())
			return res.Check(c.SecondaryApiRegion)
		}); err != nil {
			return err
		}
	}
	if err := r.waitAlarm(ctx, p, cloud, "drill: ", cl, primary, "ALARM"); err != nil {
		return err
	}
	if c.SecondaryApiRegion != "" {
		composite := compositeOf(c, cl)
		if err := r.step("drill: composite probe alarm of the client in "+cl.Region+" stays OK", func() error {
			state, exists, err := cloud.AlarmState(ctx, cl.Region, composite.name)
			if err != nil {
				return err
			}
			fmt.Fprintf(r.out, "    alarm %s in %s: %s\n", composite.name, cl.Region, state)
			if !exists || state != "OK" {
				return fmt.Errorf("composite alarm %s in %s is %q (exists: %v) while the path to %s answers, want OK: it fires only when no path answers",
					composite.name, cl.Region, state, exists, c.SecondaryApiRegion)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if err := restore(); err != nil {
		return err
	}
	return r.waitAlarm(ctx, p, cloud, "drill: ", cl, primary, "OK")
}

// Summary is one line for people, with how long before now the probe ran.
func (p Probe) Summary(now time.Time) string {
	var b strings.Builder
	if p.Success {
		b.WriteString("ok")
	} else {
		b.WriteString("FAILED")
		if len(p.Kinds) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(p.Kinds, ", "))
		}
	}
	if p.HasLatency {
		fmt.Fprintf(&b, " in %.0f ms", p.LatencyMs)
	}
	fmt.Fprintf(&b, " at %s (%s ago)", p.Time.UTC().Format(time.RFC3339), now.Sub(p.Time).Round(time.Second))
	return b.String()
}

func appendNew[T comparable](s []T, v T) []T {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// leftovers lists what of the copy still exists: stacks, log groups and SSM
// parameters under its names, in every Region, and the API VPCs it had
// (the one the update replaced included); over PrivateLink also the
// endpoint services, their load balancers (the ones the update replaced
// included, and the secondary API's) and the clients' interface endpoints.
func leftovers(ctx context.Context, cloud Cloud, p Plan, s inventory) ([]string, error) {
	c := p.Config
	var left []string
	for _, s := range p.stacks() {
		_, exists, err := cloud.StackOutputs(ctx, s.region, s.name)
		if err != nil {
			return nil, err
		}
		if exists {
			left = append(left, "stack "+s.name+" ("+s.region+")")
		}
	}
	for _, id := range s.vpcIDs {
		exists, err := cloud.VpcExists(ctx, c.ApiRegion, id)
		if err != nil {
			return nil, err
		}
		if exists {
			left = append(left, "vpc "+id+" ("+c.ApiRegion+")")
		}
	}
	for _, k := range s.secondary {
		switch {
		case strings.HasPrefix(k.id, "vpc-"):
			exists, err := cloud.VpcExists(ctx, k.region, k.id)
			if err != nil {
				return nil, err
			}
			if exists {
				left = append(left, "vpc "+k.id+" ("+k.region+")")
			}
			continue
		case strings.HasPrefix(k.id, "arn:"):
			_, exists, err := cloud.LoadBalancerVpc(ctx, k.region, k.id)
			if err != nil {
				return nil, err
			}
			if exists {
				left = append(left, "load balancer "+k.id+" ("+k.region+")")
			}
			continue
		}
		_, exists, err := cloud.EndpointService(ctx, k.region, k.id)
		if err != nil {
			return nil, err
		}
		if exists {
			left = append(left, "endpoint service "+k.id+" ("+k.region+")")
		}
	}
	for _, name := range s.services {
		_, exists, err := cloud.EndpointService(ctx, c.ApiRegion, name)
		if err != nil {
			return nil, err
		}
		if exists {
			left = append(left, "endpoint service "+name+" ("+c.ApiRegion+")")
		}
	}
	for _, arn := range s.loadBalancers {
		_, exists, err := cloud.LoadBalancerVpc(ctx, c.ApiRegion, arn)
		if err != nil {
			return nil, err
		}
		if exists {
			left = append(left, "load balancer "+arn+" ("+c.ApiRegion+")")
		}
	}
	for _, e := range s.endpoints {
		_, exists, err := cloud.VpcEndpoint(ctx, e.region, e.id)
		if err != nil {
			return nil, err
		}
		if exists {
			left = append(left, "vpc endpoint "+e.id+" ("+e.region+")")
		}
	}
	prefixes := []string{c.AppName + "-", "/aws/lambda/" + c.AppName + "-"}
	for _, id := range s.apiIDs {
		prefixes = append(prefixes, "API-Gateway-Execution-Logs_"+id+"/")
	}
	for _, region := range regions(c) {
		for _, prefix := range prefixes {
			groups, err := cloud.LogGroups(ctx, region, prefix)
			if err != nil {
				return nil, err
			}
			for _, g := range groups {
				left = append(left, "log group "+g+" ("+region+")")
			}
		}
		params, err := cloud.Parameters(ctx, region, c.SSMPrefix())
		if err != nil {
			return nil, err
		}
		for _, name := range params {
			left = append(left, "parameter "+name+" ("+region+")")
		}
	}
	slices.Sort(left)
	return left, nil
}

// readSecondary reads the secondary API stack's outputs, when there is
// one, and keeps its VPC and, over PrivateLink, its endpoint service for
// the leftovers check. Over PrivateLink it returns the secondary's front,
// without the clients' endpoints yet; nil otherwise.
func readSecondary(ctx context.Context, c config.Config, cloud Cloud, s *inventory) (*front, error) {
	if c.SecondaryApiRegion == "" {
		return nil, nil
	}
	region, name := c.SecondaryApiRegion, c.ApiStackName(c.SecondaryApiRegion)
	out, _, err := cloud.StackOutputs(ctx, region, name)
	if err != nil {
		return nil, err
	}
	if out["ApiId"] == "" || out["VpcId"] == "" {
		return nil, fmt.Errorf("outputs ApiId and VpcId of %s: %q, %q", name, out["ApiId"], out["VpcId"])
	}
	s.apiIDs = appendNew(s.apiIDs, out["ApiId"])
	s.secondary = appendNew(s.secondary, regional{region, out["VpcId"]})
	if c.UsesPeering() {
		return nil, nil
	}
	if out["EndpointServiceName"] == "" {
		return nil, fmt.Errorf("output EndpointServiceName of %s is missing: with transport %s each API stack has an endpoint service", name, config.TransportPrivateLink)
	}
	s.secondary = appendNew(s.secondary, regional{region, out["EndpointServiceName"]})
	return &front{region: region, stack: name, vpcID: out["VpcId"], serviceName: out["EndpointServiceName"], failover: true, endpoints: map[string]string{}}, nil
}

// regions are the API's Regions and every client's, once each.
func regions(c config.Config) []string {
	out := c.ApiRegions()
	for _, cl := range c.ClientList() {
		if !slices.Contains(out, cl.Region) {
			out = append(out, cl.Region)
		}
	}
	return out
}

// Result is what the client function answered: its result, or Lambda's
// report of its error.
type Result struct {
	handler.Result
	FunctionError string `json:"-"`
	ErrorMessage  string `json:"errorMessage"`
}

// InvokeClient invokes the client function and decodes its answer.
func InvokeClient(ctx context.Context, cloud Cloud, region, function string) (Result, error) {
	payload, fnErr, err := cloud.Invoke(ctx, region, function)
	if err != nil {
		return Result{}, fmt.Errorf("invoking %s in %s: %w", function, region, err)
	}
	var res Result
	if err := json.Unmarshal(payload, &res); err != nil {
		return Result{}, fmt.Errorf("%s answered %q, not JSON: %w", function, payload, err)
	}
	res.FunctionError = fnErr
	return res, nil
}

// Summary is one line for people.
func (r Result) Summary() string {
	if r.FunctionError != "" {
		return fmt.Sprintf("the function failed (%s): %s", r.FunctionError, r.ErrorMessage)
	}
	return fmt.Sprintf("HTTP %d after %d attempt(s), %d ms, from %s: %s", r.StatusCode, r.Attempts, r.LatencyMs, r.URL, r.Body)
}

// Check reports whether the call reached the API in apiRegion.
func (r Result) Check(apiRegion string) error {
	if r.FunctionError != "" {
		return fmt.Errorf("the client function failed: %s", r.ErrorMessage)
	}
	if r.StatusCode != 200 {
		return fmt.Errorf("the API answered %d, want 200: %s", r.StatusCode, r.Body)
	}
	var body struct {
		Region string `json:"region"`
	}
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Region != apiRegion {
		return fmt.Errorf("the API's answer %s does not name its Region %s", r.Body, apiRegion)
	}
	return nil
}

// runner prints the steps.
type runner struct {
	out   io.Writer
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

func (r *runner) clock() time.Time {
	if r.now == nil {
		return time.Now()
	}
	return r.now()
}

func (r *runner) wait(ctx context.Context, d time.Duration) error {
	if r.sleep != nil {
		return r.sleep(ctx, d)
	}
	return ctxsleep.Sleep(ctx, d)
}

// waitFor looks with check every poll until it says done, for at most
// bound. It prints what check saw when that changes, and at least once a
// minute; when the bound has passed it returns timeout's error for what it
// saw last. An error of check ends the wait.
func (r *runner) waitFor(ctx context.Context, bound, poll time.Duration, check func() (done bool, seen string, err error), timeout func(seen string) error) error {
	start := r.clock()
	var last string
	var printed time.Time
	for {
		done, seen, err := check()
		if err != nil {
			return err
		}
		now := r.clock()
		elapsed := now.Sub(start)
		if seen != last || now.Sub(printed) >= time.Minute || done {
			fmt.Fprintf(r.out, "    %s: %s\n", elapsed.Round(time.Second), seen)
			last, printed = seen, now
		}
		if done {
			return nil
		}
		if elapsed >= bound {
			return timeout(seen)
		}
		if err := r.wait(ctx, min(poll, bound-elapsed)); err != nil {
			return err
		}
	}
}

func (r *runner) step(name string, f func() error) error {
	fmt.Fprintf(r.out, "==> %s\n", name)
	start := r.clock()
	err := f()
	d := r.clock().Sub(start).Round(100 * time.Millisecond)
	if err != nil {
		fmt.Fprintf(r.out, "FAIL %s (%s): %v\n", name, d, err)
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(r.out, "ok   %s (%s)\n", name, d)
	return nil
}
