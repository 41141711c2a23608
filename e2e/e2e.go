// Package e2e proves a copy of the app in a real account, start to finish:
// it deploys a copy under a name of its own, invokes the client function,
// waits for each client's scheduled probe to report and for its alarm to be
// OK (and, with the drill, breaks a client's return route until its alarm
// fires, then mends it until the alarm clears), checks that the API
// refuses a call that does not come through its endpoint, deploys again with a new apiVpcCidr (which replaces the API's
// VPC and endpoint) and proves every client again, destroys everything
// (also when a step failed) and checks that nothing of the run is left. The steps talk to AWS and to the CDK CLI
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
type ProbeKey struct{ App, ClientRegion, ClientAccount string }

func (k ProbeKey) String() string {
	return fmt.Sprintf("%s=%s, %s=%s, %s=%s", probe.DimensionApp, k.App, probe.DimensionClientRegion, k.ClientRegion,
		probe.DimensionClientAccount, k.ClientAccount)
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
	// back as it was and waits for the alarm to clear.
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
	// Poll is the time between two looks.
	Poll time.Duration
}

// DefaultWaits are the bounds for a probe every minute (the plan's
// probeIntervalMinutes).
var DefaultWaits = Waits{FirstProbe: 10 * time.Minute, Alarm: 15 * time.Minute, Poll: 20 * time.Second}

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
	ctx := map[string]string{
		"appName":    cfg.AppName,
		"apiRegion":  cfg.ApiRegion,
		"apiVpcCidr": cfg.ApiVpcCidr,
		"stageName":  cfg.StageName,

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
	return Plan{Config: cfg, Context: ctx, NextApiVpcCidr: next, Waits: DefaultWaits}, nil
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

func (p Plan) stacks() []stack {
	c := p.Config
	out := []stack{{c.StackName(config.RoleApi), c.ApiRegion}}
	for _, cl := range c.ClientList() {
		out = append(out, stack{c.ClientStackName(config.RoleClient, cl), cl.Region},
			stack{c.ClientStackName(config.RolePeeringRoute, cl), c.ApiRegion})
	}
	return out
}

// Run carries out the plan and prints each step with its duration to out.
// Once it has started to deploy, it destroys the copy whatever happens, and
// then checks that nothing of it remains.
func Run(ctx context.Context, p Plan, cloud Cloud, cdk CDK, out io.Writer) (err error) {
	r := &runner{out: out, now: p.now, sleep: p.sleep}
	c := p.Config
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
	first, err := r.prove(ctx, p, cloud, &seen, "")
	if err != nil {
		return err
	}
	if err := r.probes(ctx, p, cloud, account); err != nil {
		return err
	}
	if p.Drill {
		if err := r.drill(ctx, p, cloud, account, first.vpcID); err != nil {
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

	// An update that replaces the API's VPC and endpoint: one deploy must
	// carry the new VPC and endpoint to every client and return route.
	update := fmt.Sprintf("update: apiVpcCidr %s -> %s", c.ApiVpcCidr, p.NextApiVpcCidr)
	if err := r.step(update, func() error {
		p.Context["apiVpcCidr"] = p.NextApiVpcCidr
		return cdk.Deploy(ctx, p.Context)
	}); err != nil {
		return err
	}
	second, err := r.prove(ctx, p, cloud, &seen, " after the update")
	if err != nil {
		return err
	}
	if second.vpcID == first.vpcID {
		return fmt.Errorf("the update kept the API's VPC %s: a new apiVpcCidr must replace it", first.vpcID)
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
}

// deployed is what one deploy gave: the API's id, URL and VPC, and each
// client's function and peering connection, by client Region.
type deployed struct {
	apiURL, vpcID       string
	functions, peerings map[string]string
}

// prove reads the stacks' outputs and invokes every client, which must
// reach the API in its Region.
func (r *runner) prove(ctx context.Context, p Plan, cloud Cloud, s *inventory, phase string) (deployed, error) {
	c := p.Config
	d := deployed{functions: map[string]string{}, peerings: map[string]string{}}
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
		for _, cl := range c.ClientList() {
			name := c.ClientStackName(config.RoleClient, cl)
			clientOut, _, err := cloud.StackOutputs(ctx, cl.Region, name)
			if err != nil {
				return err
			}
			if clientOut["FunctionName"] == "" || clientOut["PeeringConnectionId"] == "" {
				return fmt.Errorf("outputs FunctionName and PeeringConnectionId of %s: %q, %q", name, clientOut["FunctionName"], clientOut["PeeringConnectionId"])
			}
			d.functions[cl.Region], d.peerings[cl.Region] = clientOut["FunctionName"], clientOut["PeeringConnectionId"]
		}
		return nil
	}); err != nil {
		return d, err
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

// probes waits, for every client, for the first datapoint of its scheduled
// probe and then for its alarm to be OK: the schedule runs, the function
// writes its metrics, and the alarm watches them.
func (r *runner) probes(ctx context.Context, p Plan, cloud Cloud, account string) error {
	c := p.Config
	for _, cl := range c.ClientList() {
		key := ProbeKey{App: c.AppName, ClientRegion: cl.Region, ClientAccount: account}
		if err := r.step("first probe of the client in "+cl.Region, func() error {
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
		if err := r.waitAlarm(ctx, p, cloud, "", cl, "OK"); err != nil {
			return err
		}
	}
	return nil
}

// waitAlarm is a step that waits for the probe alarm of cl to reach want.
func (r *runner) waitAlarm(ctx context.Context, p Plan, cloud Cloud, prefix string, cl config.Client, want string) error {
	c := p.Config
	name := probe.AlarmName(c.AppName, c.ClientID(cl))
	return r.step(fmt.Sprintf("%sprobe alarm of the client in %s is %s", prefix, cl.Region, want), func() error {
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
// (vpc), waits for ALARM, puts the routes back as they were and waits for
// OK. The routes are put back whatever fails after they were deleted.
func (r *runner) drill(ctx context.Context, p Plan, cloud Cloud, account, vpc string) (err error) {
	c := p.Config
	cl := c.ClientList()[0]
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
		routes, err := cloud.ReturnRoutes(ctx, c.ApiRegion, vpc, cl.Cidr)
		if err != nil {
			return err
		}
		if len(routes) == 0 {
			return fmt.Errorf("no route to %s in the route tables of the API's VPC %s", cl.Cidr, vpc)
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
	if err := r.waitAlarm(ctx, p, cloud, "drill: ", cl, "ALARM"); err != nil {
		return err
	}
	if err := restore(); err != nil {
		return err
	}
	return r.waitAlarm(ctx, p, cloud, "drill: ", cl, "OK")
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

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// leftovers lists what of the copy still exists: stacks, log groups and SSM
// parameters under its names, in every Region, and the API VPCs it had
// (the one the update replaced included).
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

// regions are the API's Region and every client's, once each.
func regions(c config.Config) []string {
	out := []string{c.ApiRegion}
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
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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
