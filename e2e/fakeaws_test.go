package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"crossregionapi/config"
	"crossregionapi/internal/probe"
)

// fakeCloud is an account in memory: the app's resources as state, the
// operations CloudFormation performs on them, and the reads of Cloud. Each
// operation refuses what AWS documents as refused, with AWS's error code, so
// that a deploy the fake CDK below carries out fails where a real one would.
type fakeCloud struct {
	noCredentials   bool
	notBootstrapped string
	stacks          map[string]map[string]string // "region/name" -> outputs
	logGroups       map[string][]string          // region -> names
	params          map[string][]string          // region -> names
	roleArn         string
	invokePayload   string
	invokeError     string
	// answer, when set, is the payload of an invocation instead of
	// invokePayload.
	answer        func(region, function string) string
	outsideStatus int

	// The API's Region: VPCs, their route tables and the routes in them,
	// and the peering connections (id -> accepter VPC).
	vpcs        map[string]bool
	routeTables map[string]string // route table -> its VPC
	routes      []vpcRoute
	peerings    map[string]string
	// foreign are VPCs that hold a network interface the app does not
	// manage, which keeps them from being deleted.
	foreign map[string]bool

	// PrivateLink: load balancers (ARN -> VPC), endpoint services by id,
	// and interface endpoints by "region/id".
	loadBalancers map[string]string
	services      map[string]*fakeService
	endpoints     map[string]*fakeEndpoint
	ids           int // the last id handed out

	// alarms are the probe alarms: "region/name" -> the client's range.
	// An alarm is INSUFFICIENT_DATA for its first alarmDelay looks, then
	// ALARM while its client's path is broken and OK otherwise, unless
	// alarmStuck holds a state it keeps. Over peering the path is a route
	// to the client's range; over PrivateLink (alarmEndpoints: alarm ->
	// endpoint "region/id"), the endpoint, available, to a service that is
	// Available.
	alarms         map[string]string
	alarmEndpoints map[string]string
	// alarmVpcs are the VPCs whose routes the alarms of the paths of a
	// client of two API Regions watch (alarm -> VPC): each path's alarm
	// watches its API's VPC alone. composites are the clients' composite
	// alarms (alarm -> its paths' alarms): ALARM when every path's is.
	alarmVpcs  map[string]string
	composites map[string][]string
	alarmDelay int
	alarmLooks map[string]int
	alarmStuck string
	// probeDelay is how many looks find no probe datapoint of a client;
	// noProbe, that none ever comes.
	probeDelay int
	noProbe    bool
	probeLooks map[string]int
	// onDelete runs before each DeleteRoute; restoredRoutes are the routes
	// after the last CreateRoute.
	onDelete       func()
	restoredRoutes []vpcRoute
	calls          []string
}

// vpcRoute is a route of a route table of a VPC.
type vpcRoute struct {
	vpc string
	Route
}

// fakeService is a VPC endpoint service configuration.
type fakeService struct {
	id, name, region, state string
	loadBalancers           []string
}

// fakeEndpoint is an interface endpoint and its connection to a service.
type fakeEndpoint struct {
	serviceID, serviceName, serviceRegion string
	// state is EC2's, spelt as EC2 answers: available, pendingAcceptance,
	// rejected.
	state string
}

func newFakeCloud() *fakeCloud {
	return &fakeCloud{
		stacks: map[string]map[string]string{}, logGroups: map[string][]string{}, params: map[string][]string{}, outsideStatus: 403,
		vpcs: map[string]bool{}, routeTables: map[string]string{}, peerings: map[string]string{}, foreign: map[string]bool{},
		loadBalancers: map[string]string{}, services: map[string]*fakeService{}, endpoints: map[string]*fakeEndpoint{},
		alarms: map[string]string{}, alarmEndpoints: map[string]string{}, alarmLooks: map[string]int{}, probeLooks: map[string]int{},
		alarmVpcs: map[string]string{}, composites: map[string][]string{},
	}
}

// awsError is a refusal as AWS answers it: the operation, AWS's error code
// and its message.
type awsError struct{ op, code, message string }

func (e *awsError) Error() string { return e.op + ": " + e.code + ": " + e.message }

// --- Operations: what CloudFormation (and the drill) does to the account.

func (f *fakeCloud) createVpc(id string) { f.vpcs[id] = true }

// deleteVpc refuses a VPC that still has dependencies: "You must detach or
// delete all gateways and resources that are associated with the VPC before
// you can delete it. [...] delete all route tables associated with the VPC
// (except the default one)" (EC2 API reference, DeleteVpc); the error is
// DependencyViolation, "The specified object has dependent resources"
// (EC2 API reference, Error codes). A Network Load Balancer's network
// interfaces are in its subnets, so a VPC holding one is refused too.
// Whether a peering connection holds its VPC back is not documented for the
// API (the peering guide says only that "Deleting a VPC in the Amazon VPC
// console that's part of an active VPC peering connection also deletes the
// VPC peering connection"), so the fake does not refuse for one.
func (f *fakeCloud) deleteVpc(id string) error {
	var deps []string
	for rt, vpc := range f.routeTables {
		if vpc == id {
			deps = append(deps, "route table "+rt)
		}
	}
	for arn, vpc := range f.loadBalancers {
		if vpc == id {
			deps = append(deps, "the network interfaces of load balancer "+arn)
		}
	}
	if f.foreign[id] {
		deps = append(deps, "a network interface")
	}
	if len(deps) > 0 {
		slices.Sort(deps)
		return &awsError{"DeleteVpc", "DependencyViolation", fmt.Sprintf("The vpc '%s' has dependencies and cannot be deleted (%s)", id, strings.Join(deps, ", "))}
	}
	delete(f.vpcs, id)
	return nil
}

func (f *fakeCloud) createRouteTable(id, vpc string) { f.routeTables[id] = vpc }

// deleteRouteTable deletes a route table with its routes.
func (f *fakeCloud) deleteRouteTable(id string) {
	delete(f.routeTables, id)
	f.routes = slices.DeleteFunc(f.routes, func(r vpcRoute) bool { return r.RouteTableID == id })
}

// createRoute refuses a route table that does not exist
// (InvalidRouteTableID.NotFound, "The specified route table does not
// exist"), a peering connection that does not exist
// (InvalidVpcPeeringConnectionID.NotFound, "The specified VPC peering
// connection ID does not exist") and a destination the table already routes
// (RouteAlreadyExists, "A route for the specified CIDR block already exists
// in this route table"): EC2 API reference, Error codes.
func (f *fakeCloud) createRoute(r Route) error {
	vpc, ok := f.routeTables[r.RouteTableID]
	if !ok {
		return &awsError{"CreateRoute", "InvalidRouteTableID.NotFound", fmt.Sprintf("The routeTable ID '%s' does not exist", r.RouteTableID)}
	}
	if _, ok := f.peerings[r.PeeringConnectionID]; !ok {
		return &awsError{"CreateRoute", "InvalidVpcPeeringConnectionID.NotFound", fmt.Sprintf("The vpcPeeringConnection ID '%s' does not exist", r.PeeringConnectionID)}
	}
	for _, v := range f.routes {
		if v.RouteTableID == r.RouteTableID && v.DestinationCidr == r.DestinationCidr {
			return &awsError{"CreateRoute", "RouteAlreadyExists", fmt.Sprintf("Route in Route Table (%s) with destination (%s) already exists", r.RouteTableID, r.DestinationCidr)}
		}
	}
	f.routes = append(f.routes, vpcRoute{vpc, r})
	return nil
}

// deleteRoute refuses a route that is not there: InvalidRoute.NotFound,
// "The specified route does not exist in the specified route table" (EC2
// API reference, Error codes).
func (f *fakeCloud) deleteRoute(r Route) error {
	n := len(f.routes)
	f.routes = slices.DeleteFunc(f.routes, func(v vpcRoute) bool {
		return v.RouteTableID == r.RouteTableID && v.DestinationCidr == r.DestinationCidr
	})
	if len(f.routes) == n {
		return &awsError{"DeleteRoute", "InvalidRoute.NotFound", fmt.Sprintf("no route with destination-cidr-block %s in route table %s", r.DestinationCidr, r.RouteTableID)}
	}
	return nil
}

func (f *fakeCloud) createPeering(id, accepterVpc string) { f.peerings[id] = accepterVpc }
func (f *fakeCloud) deletePeering(id string)              { delete(f.peerings, id) }

// createLoadBalancer creates an internal Network Load Balancer in a VPC,
// named after the VPC as the app names it.
func (f *fakeCloud) createLoadBalancer(region, vpc string) string {
	f.ids++
	arn := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:123456789012:loadbalancer/net/api-%s/0e2e%d", region, vpc, f.ids)
	f.loadBalancers[arn] = vpc
	return arn
}

// deleteLoadBalancer refuses a load balancer an endpoint service still
// uses: ResourceInUse, "A specified resource is in use" (Elastic Load
// Balancing API reference, DeleteLoadBalancer, Errors), with the message
// users meet ("cannot be deleted because it is currently associated with
// another service", hashicorp/terraform#18753). "If the load balancer does
// not exist or has already been deleted, the call succeeds" (same page).
func (f *fakeCloud) deleteLoadBalancer(arn string) error {
	for _, svc := range f.services {
		if slices.Contains(svc.loadBalancers, arn) {
			return &awsError{"DeleteLoadBalancer", "ResourceInUse", fmt.Sprintf("Load balancer '%s' cannot be deleted because it is currently associated with another service", arn)}
		}
	}
	delete(f.loadBalancers, arn)
	return nil
}

// createService creates an endpoint service on a load balancer, with a
// new id and a name made of it, in state (Available when "").
func (f *fakeCloud) createService(region, loadBalancer, state string) *fakeService {
	f.ids++
	id := fmt.Sprintf("vpce-svc-0e2e%013d", f.ids)
	if state == "" {
		state = "Available"
	}
	svc := &fakeService{id: id, name: "com.amazonaws.vpce." + region + "." + id, region: region, state: state, loadBalancers: []string{loadBalancer}}
	f.services[id] = svc
	return svc
}

// connected lists the endpoints whose connection to the service is
// available or pending acceptance.
func (f *fakeCloud) connected(serviceID string) []string {
	var ids []string
	for key, e := range f.endpoints {
		if e.serviceID == serviceID && (e.state == "available" || e.state == "pendingAcceptance") {
			ids = append(ids, key[strings.Index(key, "/")+1:])
		}
	}
	slices.Sort(ids)
	return ids
}

// moveService is ModifyVpcEndpointServiceConfiguration with
// AddNetworkLoadBalancerArns and RemoveNetworkLoadBalancerArns. It refuses
// to remove a load balancer while endpoints are connected: "You can't
// disassociate a load balancer if there are endpoints connected to your
// endpoint service" (PrivateLink guide, Configure an endpoint service,
// Manage load balancers); the error is ExistingVpcEndpointConnections, "You
// cannot delete a VPC endpoint service configuration or change the load
// balancers for the endpoint service if there are endpoints attached to the
// service" (EC2 API reference, Error codes).
func (f *fakeCloud) moveService(serviceID, add, remove string) error {
	svc := f.services[serviceID]
	if conns := f.connected(serviceID); len(conns) > 0 {
		return &awsError{"ModifyVpcEndpointServiceConfiguration", "ExistingVpcEndpointConnections",
			fmt.Sprintf("You can't disassociate a load balancer if there are endpoints connected to your endpoint service (%s: %s)", serviceID, strings.Join(conns, ", "))}
	}
	svc.loadBalancers = append(slices.DeleteFunc(svc.loadBalancers, func(arn string) bool { return arn == remove }), add)
	return nil
}

// deleteService refuses a service with connections Available or
// PendingAcceptance: "Before you can delete an endpoint service
// configuration, you must reject any Available or PendingAcceptance
// interface endpoint connections that are attached to the service" (EC2 API
// reference, DeleteVpcEndpointServiceConfigurations), with
// ExistingVpcEndpointConnections (EC2 API reference, Error codes; EC2
// reports it in the answer's Unsuccessful items, openshift/hypershift#2700).
// A service that is not there counts as deleted.
func (f *fakeCloud) deleteService(serviceID string) error {
	if conns := f.connected(serviceID); len(conns) > 0 {
		return &awsError{"DeleteVpcEndpointServiceConfigurations", "ExistingVpcEndpointConnections",
			fmt.Sprintf("Service %s has existing active VPC Endpoint connections: %s", serviceID, strings.Join(conns, ", "))}
	}
	delete(f.services, serviceID)
	return nil
}

// rejectConnections is RejectVpcEndpointConnections, which "Rejects VPC
// endpoint connection requests to your VPC endpoint service" (EC2 API
// reference); the endpoint's state becomes rejected, in which its
// connection no longer keeps the service from being deleted.
func (f *fakeCloud) rejectConnections(serviceID string, endpointIDs []string) {
	for _, id := range endpointIDs {
		for key, e := range f.endpoints {
			if strings.HasSuffix(key, "/"+id) && e.serviceID == serviceID {
				e.state = "rejected"
			}
		}
	}
}

// createEndpoint creates an interface endpoint in region to the service
// named serviceName of serviceRegion. It refuses a name that no service has
// (InvalidServiceName, "The name of the service is not valid": EC2 API
// reference, Error codes). The app's services accept their clients without
// a manual step, so the endpoint is available at once; a service that
// requires acceptance leaves it pendingAcceptance
// (docs.aws.amazon.com/vpc/latest/privatelink/accept-reject-endpoint-requests.html).
func (f *fakeCloud) createEndpoint(region, serviceName, serviceRegion string) (string, error) {
	for _, svc := range f.services {
		if svc.name == serviceName && svc.region == serviceRegion {
			f.ids++
			id := fmt.Sprintf("vpce-%s-%d", region, f.ids)
			f.endpoints[region+"/"+id] = &fakeEndpoint{serviceID: svc.id, serviceName: serviceName, serviceRegion: serviceRegion, state: "available"}
			return id, nil
		}
	}
	return "", &awsError{"CreateVpcEndpoint", "InvalidServiceName", fmt.Sprintf("The Vpc Endpoint Service '%s' does not exist", serviceName)}
}

// deleteEndpoint deletes an interface endpoint; its connection goes with
// it.
func (f *fakeCloud) deleteEndpoint(region, id string) { delete(f.endpoints, region+"/"+id) }

// --- Cloud: what the run reads.

func (f *fakeCloud) AlarmState(ctx context.Context, region, name string) (string, bool, error) {
	if paths, ok := f.composites[region+"/"+name]; ok {
		for _, key := range paths {
			if state, _, _ := f.AlarmState(ctx, region, strings.TrimPrefix(key, region+"/")); state != "ALARM" {
				return "OK", true, nil
			}
		}
		return "ALARM", true, nil
	}
	cidr, ok := f.alarms[region+"/"+name]
	if !ok {
		return "", false, nil
	}
	f.alarmLooks[region+"/"+name]++
	switch {
	case f.alarmStuck != "":
		return f.alarmStuck, true, nil
	case f.alarmLooks[region+"/"+name] <= f.alarmDelay:
		return "INSUFFICIENT_DATA", true, nil
	}
	if key, ok := f.alarmEndpoints[region+"/"+name]; ok {
		if e, exists := f.endpoints[key]; exists && e.state == "available" {
			if svc, served := f.services[e.serviceID]; served && svc.state == "Available" {
				return "OK", true, nil
			}
		}
		return "ALARM", true, nil
	}
	vpc := f.alarmVpcs[region+"/"+name]
	for _, r := range f.routes {
		if r.DestinationCidr == cidr && (vpc == "" || r.vpc == vpc) {
			return "OK", true, nil
		}
	}
	return "ALARM", true, nil
}

func (f *fakeCloud) ProbeData(_ context.Context, region string, key ProbeKey, start, end time.Time) (ProbeData, error) {
	f.probeLooks[region]++
	if f.noProbe || f.probeLooks[region] <= f.probeDelay || key.ClientRegion != region || key.ClientAccount != "123456789012" {
		return ProbeData{}, nil
	}
	t := end.Add(-90 * time.Second).Truncate(time.Minute)
	return ProbeData{Success: []Point{{t, 1}}, Latency: []Point{{t, 42}}}, nil
}

func (f *fakeCloud) ReturnRoutes(_ context.Context, region, vpc, cidr string) ([]Route, error) {
	var out []Route
	for _, r := range f.routes {
		if r.vpc == vpc && r.DestinationCidr == cidr {
			out = append(out, r.Route)
		}
	}
	return out, nil
}

func (f *fakeCloud) DeleteRoute(_ context.Context, region string, r Route) error {
	f.calls = append(f.calls, "DeleteRoute "+region+" "+r.RouteTableID+" "+r.DestinationCidr)
	if f.onDelete != nil {
		f.onDelete()
	}
	return f.deleteRoute(r)
}

func (f *fakeCloud) CreateRoute(_ context.Context, region string, r Route) error {
	f.calls = append(f.calls, "CreateRoute "+region+" "+r.RouteTableID+" "+r.DestinationCidr+" "+r.PeeringConnectionID)
	if err := f.createRoute(r); err != nil {
		return err
	}
	f.restoredRoutes = slices.Clone(f.routes)
	return nil
}

func (f *fakeCloud) PeeringConnection(_ context.Context, region, id string) (string, string, error) {
	f.calls = append(f.calls, "PeeringConnection "+region+" "+id)
	accepter, ok := f.peerings[id]
	if !ok {
		return "", "", &awsError{"DescribeVpcPeeringConnections", "InvalidVpcPeeringConnectionID.NotFound", fmt.Sprintf("The vpcPeeringConnection ID '%s' does not exist", id)}
	}
	return accepter, "active", nil
}

func (f *fakeCloud) VpcExists(_ context.Context, _, id string) (bool, error) { return f.vpcs[id], nil }

func (f *fakeCloud) VpcEndpoint(_ context.Context, region, id string) (Endpoint, bool, error) {
	f.calls = append(f.calls, "VpcEndpoint "+region+" "+id)
	e, ok := f.endpoints[region+"/"+id]
	if !ok {
		return Endpoint{}, false, nil
	}
	return Endpoint{ServiceName: e.serviceName, ServiceRegion: e.serviceRegion, State: e.state}, true, nil
}

func (f *fakeCloud) EndpointService(_ context.Context, region, name string) (EndpointService, bool, error) {
	f.calls = append(f.calls, "EndpointService "+region+" "+name)
	for _, svc := range f.services {
		if svc.region == region && svc.name == name {
			return EndpointService{ID: svc.id, State: svc.state, LoadBalancers: slices.Clone(svc.loadBalancers)}, true, nil
		}
	}
	return EndpointService{}, false, nil
}

func (f *fakeCloud) EndpointConnections(_ context.Context, region, serviceID string) (map[string]string, error) {
	f.calls = append(f.calls, "EndpointConnections "+region+" "+serviceID)
	if svc, ok := f.services[serviceID]; !ok || svc.region != region {
		return nil, &awsError{"DescribeVpcEndpointConnections", "InvalidVpcEndpointServiceId.NotFound", fmt.Sprintf("The VpcEndpointService Id '%s' does not exist", serviceID)}
	}
	conns := map[string]string{}
	for key, e := range f.endpoints {
		if e.serviceID == serviceID {
			conns[key[strings.Index(key, "/")+1:]] = e.state
		}
	}
	return conns, nil
}

func (f *fakeCloud) LoadBalancerVpc(_ context.Context, region, arn string) (string, bool, error) {
	f.calls = append(f.calls, "LoadBalancerVpc "+region+" "+arn)
	if !strings.HasPrefix(arn, "arn:aws:elasticloadbalancing:"+region+":") {
		return "", false, nil
	}
	vpc, ok := f.loadBalancers[arn]
	return vpc, ok, nil
}

func (f *fakeCloud) Account(context.Context) (string, error) {
	f.calls = append(f.calls, "Account")
	if f.noCredentials {
		return "", errors.New("no EC2 IMDS role found")
	}
	return "123456789012", nil
}

func (f *fakeCloud) BootstrapVersion(_ context.Context, region string) (string, error) {
	if region == f.notBootstrapped {
		return "", nil
	}
	return "30", nil
}

func (f *fakeCloud) StackOutputs(_ context.Context, region, stack string) (map[string]string, bool, error) {
	out, ok := f.stacks[region+"/"+stack]
	return out, ok, nil
}

func (f *fakeCloud) Invoke(_ context.Context, region, function string) ([]byte, string, error) {
	f.calls = append(f.calls, "Invoke "+region+" "+function)
	if f.answer != nil {
		return []byte(f.answer(region, function)), f.invokeError, nil
	}
	return []byte(f.invokePayload), f.invokeError, nil
}

func (f *fakeCloud) SignedGet(_ context.Context, region, url string) (int, error) {
	f.calls = append(f.calls, "SignedGet "+region+" "+url)
	return f.outsideStatus, nil
}

func (f *fakeCloud) LogGroups(_ context.Context, region, prefix string) ([]string, error) {
	var out []string
	for _, g := range f.logGroups[region] {
		if strings.HasPrefix(g, prefix) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (f *fakeCloud) Parameters(_ context.Context, region, path string) ([]string, error) {
	var out []string
	for _, p := range f.params[region] {
		if strings.HasPrefix(p, path+"/") {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeCloud) CloudWatchRoleArn(context.Context, string) (string, error) { return f.roleArn, nil }

// fakeCDK deploys the copy's stacks into the fake account as CloudFormation
// would, through the account's operations, and destroys them.
//
// A replacement is made as CloudFormation makes it: "it first creates a new
// resource and then deletes the old resource" (CloudFormation User Guide,
// Monitor the progress of a stack update), the deletions in the update's
// cleanup phase, and a deletion refused there does not fail the update:
// CloudFormation "removes the old resource from the stack and continues
// updating the stack" (CloudFormation User Guide, troubleshooting, Resource
// removed from stack but not deleted). A failed update rolls back: what it
// created is deleted. A stack whose deletion is refused stays, in
// DELETE_FAILED.
type fakeCDK struct {
	cloud        *fakeCloud
	deployErr    error
	updateErr    error    // the second deploy's error
	keepVpc      bool     // the update keeps the API's VPC (a new apiVpcCidr that does not replace it)
	keepPeering  bool     // the update leaves the clients' peering connections alone
	keepOldVpc   bool     // the old API VPC holds an interface the app does not manage, so the update's cleanup cannot delete it
	destroyLeaks []string // log groups the destroy leaves
	deploys      int
	deployed     map[string]string
	destroyed    map[string]string

	// Over PrivateLink. oldDesign deploys a new API VPC the old way: a new
	// load balancer, and the endpoint service updated in place to move to
	// it. noConnectionsResource leaves Custom::EndpointServiceConnections
	// out of the API stack (an app deployed before it), so the cleanup does
	// not reject the old service's connections. newServiceState is the
	// state the services are created in ("" for Available). keepEndpoints
	// leaves the client stacks' endpoints alone when the service changes.
	oldDesign             bool
	noConnectionsResource bool
	newServiceState       string
	keepEndpoints         bool
	// afterDeploy, when set, changes the account after each successful
	// deploy (n counts them from 1), for checks the deploys cannot break.
	afterDeploy func(f *fakeCloud, n int)

	api     *fakeAPIStack
	clients map[string]*fakeClientStack // by stack name
	// secondary is the secondary API's stack (secondaryApiRegion), with
	// its front over PrivateLink, and failoverPeerings the clients' peering
	// connections to its VPC over peering, by client stack name.
	secondary        *fakeAPIStack
	failoverPeerings map[string]string
	// cleanupFailures are the deletions CloudFormation skipped in the
	// updates' cleanup phases (DELETE_FAILED in the stack's events).
	cleanupFailures []error
}

// fakeAPIStack is what the API stack holds: its VPC and route tables and,
// over PrivateLink, the front (load balancer, endpoint service and, in the
// new design, the connections resource).
type fakeAPIStack struct {
	vpc         string
	routeTables []string
	lb, service string
	connections bool
}

// fakeClientStack is what a client stack holds: its peering connection or
// its interface endpoint (and the service it names) and, with a secondary
// API over PrivateLink, its failover endpoint to the secondary's service.
type fakeClientStack struct {
	region, cidr                   string
	peering, endpoint, serviceName string
	failoverEndpoint, failoverName string
}

// spoke is one client of the -c values.
type spoke struct{ region, suffix, cidr, id string }

func spokes(c map[string]string) ([]spoke, error) {
	if c["clients"] == "" {
		return []spoke{{c["clientRegion"], "", c["clientVpcCidr"], ""}}, nil
	}
	var list []map[string]string
	if err := json.Unmarshal([]byte(c["clients"]), &list); err != nil {
		return nil, err
	}
	var out []spoke
	for _, cl := range list {
		out = append(out, spoke{cl["region"], "-" + cl["region"], cl["cidr"], cl["region"]})
	}
	return out, nil
}

// vpcFor is the API VPC's id for the -c values: it follows the range, as a
// replacement would.
func (d *fakeCDK) vpcFor(c map[string]string) string {
	if d.keepVpc && d.api != nil {
		return d.api.vpc
	}
	return "vpc-" + strings.NewReplacer(".", "", "/", "").Replace(c["apiVpcCidr"])
}

func (d *fakeCDK) Deploy(_ context.Context, c map[string]string) error {
	d.deployed = maps.Clone(c)
	d.deploys++
	if d.clients == nil {
		d.clients = map[string]*fakeClientStack{}
	}
	sp, err := spokes(c)
	if err != nil {
		return err
	}
	if c["transport"] == config.TransportPrivateLink {
		err = d.deployPrivateLink(c, sp)
	} else {
		err = d.deployPeering(c, sp)
		if err == nil && c["secondaryApiRegion"] != "" {
			err = d.deploySecondary(c, sp)
		}
	}
	if err != nil {
		return err
	}
	d.deployCommon(c, sp)
	if d.afterDeploy != nil {
		d.afterDeploy(d.cloud, d.deploys)
	}
	return nil
}

// deployAPINetwork creates or keeps the API stack's VPC and route tables,
// and returns the stack as it was before (nil on the first deploy).
func (d *fakeCDK) deployAPINetwork(c map[string]string) (old *fakeAPIStack) {
	f := d.cloud
	old, vpc := d.api, d.vpcFor(c)
	if old != nil && old.vpc == vpc {
		return old
	}
	f.createVpc(vpc)
	next := &fakeAPIStack{vpc: vpc}
	for _, suffix := range []string{"a", "b"} {
		rt := "rtb-" + strings.TrimPrefix(vpc, "vpc-") + "-" + suffix
		f.createRouteTable(rt, vpc)
		next.routeTables = append(next.routeTables, rt)
	}
	d.api = next
	return old
}

// rollBack deletes what a failed update of the API stack created and puts
// the stack back as it was.
func (d *fakeCDK) rollBack(old *fakeAPIStack, outputs map[string]string, c map[string]string) {
	f := d.cloud
	if created := d.api; created != old {
		if created.service != "" && (old == nil || created.service != old.service) {
			_ = f.deleteService(created.service)
		}
		if created.lb != "" {
			_ = f.deleteLoadBalancer(created.lb)
		}
		for _, rt := range created.routeTables {
			f.deleteRouteTable(rt)
		}
		_ = f.deleteVpc(created.vpc)
	}
	d.api = old
	key := c["apiRegion"] + "/" + c["appName"] + "-Api"
	if outputs == nil {
		delete(f.stacks, key)
	} else {
		f.stacks[key] = outputs
	}
}

// cleanUp is the update's cleanup phase for the API stack's old network:
// a deletion refused is skipped and recorded.
func (d *fakeCDK) cleanUp(old *fakeAPIStack) {
	f := d.cloud
	if d.keepOldVpc {
		f.foreign[old.vpc] = true
	}
	if old.service != "" && old.service != d.api.service {
		if old.connections {
			f.rejectConnections(old.service, f.connected(old.service))
		}
		d.skip(f.deleteService(old.service))
	}
	if old.lb != "" && old.lb != d.api.lb {
		d.skip(f.deleteLoadBalancer(old.lb))
	}
	for _, rt := range old.routeTables {
		f.deleteRouteTable(rt)
	}
	d.skip(f.deleteVpc(old.vpc))
}

func (d *fakeCDK) skip(err error) {
	if err != nil {
		d.cleanupFailures = append(d.cleanupFailures, err)
	}
}

// deployPeering deploys the API stack, a client stack with its peering
// connection to the API's VPC for each client, and a return-route stack
// for each, with a route to the client in each of the API VPC's route
// tables.
func (d *fakeCDK) deployPeering(c map[string]string, sp []spoke) error {
	f := d.cloud
	app, api := c["appName"], c["apiRegion"]
	apiKey := api + "/" + app + "-Api"
	outputs := f.stacks[apiKey]
	old := d.deployAPINetwork(c)
	f.stacks[apiKey] = map[string]string{"ApiId": "a1b2c3", "ApiUrl": "https://a1b2c3.execute-api." + api + ".amazonaws.com/v1/", "VpcId": d.api.vpc}
	if err := d.failure(); err != nil {
		d.rollBack(old, outputs, c)
		return err
	}
	if old != nil && old != d.api {
		d.cleanUp(old)
	}
	for _, s := range sp {
		name := app + "-Client" + s.suffix
		cs := d.clients[name]
		if cs == nil || (f.peerings[cs.peering] != d.api.vpc && !d.keepPeering) {
			// A new accepter VPC replaces the peering connection: the new
			// one first, the old one in the cleanup.
			next := &fakeClientStack{region: s.region, cidr: s.cidr, peering: "pcx-" + s.region + "-" + d.api.vpc}
			f.createPeering(next.peering, d.api.vpc)
			if cs != nil {
				f.deletePeering(cs.peering)
			}
			cs = next
			d.clients[name] = cs
		}
		f.stacks[s.region+"/"+name] = map[string]string{"FunctionName": name + "-Function-XYZ", "PeeringConnectionId": cs.peering}
		f.stacks[api+"/"+app+"-PeeringRoute"+s.suffix] = map[string]string{}
		for _, rt := range d.api.routeTables {
			r := Route{rt, s.cidr, cs.peering}
			if i := slices.IndexFunc(f.routes, func(v vpcRoute) bool { return v.RouteTableID == rt && v.DestinationCidr == s.cidr }); i >= 0 {
				if f.routes[i].PeeringConnectionID == cs.peering {
					continue
				}
				if err := f.deleteRoute(r); err != nil {
					return err
				}
			}
			if err := f.createRoute(r); err != nil {
				return fmt.Errorf("%s-PeeringRoute%s: UPDATE_ROLLBACK_COMPLETE: %w", app, s.suffix, err)
			}
		}
	}
	f.params[api] = append(f.params[api], "/"+app+"/api/route-table-0")
	return nil
}

// deploySecondaryNetwork creates, on the first deploy, the secondary API
// stack's VPC with two route tables, and writes the stack's outputs; the
// update does not touch it.
func (d *fakeCDK) deploySecondaryNetwork(c map[string]string) map[string]string {
	f := d.cloud
	app, region := c["appName"], c["secondaryApiRegion"]
	if d.secondary == nil {
		vpc := "vpc-sec" + strings.NewReplacer(".", "", "/", "").Replace(c["secondaryApiVpcCidr"])
		f.createVpc(vpc)
		d.secondary = &fakeAPIStack{vpc: vpc}
		for _, suffix := range []string{"a", "b"} {
			rt := "rtb-" + strings.TrimPrefix(vpc, "vpc-") + "-" + suffix
			f.createRouteTable(rt, vpc)
			d.secondary.routeTables = append(d.secondary.routeTables, rt)
		}
	}
	out := map[string]string{"ApiId": "d4e5f6", "ApiUrl": "https://d4e5f6.execute-api." + region + ".amazonaws.com/v1/", "VpcId": d.secondary.vpc}
	f.stacks[region+"/"+app+"-Api-"+region] = out
	f.params[region] = append(f.params[region], "/"+app+"/api/route-table-0")
	return out
}

// deploySecondary deploys, over peering, the secondary API's stack, each
// client's peering connection to its VPC (output
// FailoverPeeringConnectionId) and each client's return-route stack in its
// Region, with a route to the client in each route table.
func (d *fakeCDK) deploySecondary(c map[string]string, sp []spoke) error {
	f := d.cloud
	app, region := c["appName"], c["secondaryApiRegion"]
	d.deploySecondaryNetwork(c)
	if d.failoverPeerings == nil {
		d.failoverPeerings = map[string]string{}
	}
	for _, s := range sp {
		name := app + "-Client" + s.suffix
		peering, ok := d.failoverPeerings[name]
		if !ok {
			peering = "pcx-" + s.region + "-" + d.secondary.vpc
			f.createPeering(peering, d.secondary.vpc)
			d.failoverPeerings[name] = peering
		}
		f.stacks[s.region+"/"+name]["FailoverPeeringConnectionId"] = peering
		f.stacks[region+"/"+app+"-PeeringRoute"+s.suffix+"-"+region] = map[string]string{}
		for _, rt := range d.secondary.routeTables {
			if !slices.ContainsFunc(f.routes, func(v vpcRoute) bool { return v.RouteTableID == rt && v.DestinationCidr == s.cidr }) {
				if err := f.createRoute(Route{rt, s.cidr, peering}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// deploySecondaryFront deploys, over PrivateLink, the secondary API's
// stack with its front: on the first deploy a load balancer in its VPC and
// an endpoint service on it, through the same operations, and so the same
// refusals, as the primary's. It returns the service's name.
func (d *fakeCDK) deploySecondaryFront(c map[string]string) string {
	f := d.cloud
	app, region := c["appName"], c["secondaryApiRegion"]
	out := d.deploySecondaryNetwork(c)
	if a := d.secondary; a.lb == "" {
		a.lb = f.createLoadBalancer(region, a.vpc)
		a.service = f.createService(region, a.lb, d.newServiceState).id
		a.connections = !d.noConnectionsResource
	}
	out["EndpointServiceName"] = f.services[d.secondary.service].name
	f.logGroups[region] = append(f.logGroups[region], app+"-Api-"+region+"-EndpointServiceEndpointAddressesLogs-1")
	f.params[region] = append(f.params[region], "/"+app+"/api/endpoint-dns-name")
	return out["EndpointServiceName"]
}

// deployPrivateLink deploys the API stack with its front and the client
// stacks with their interface endpoints. A new API VPC gives a new front
// (load balancer and service, new id and name) in it, and the cleanup
// rejects the old service's connections, then deletes the old service, the
// old balancer and the old VPC; each client stack then replaces its
// endpoint with one to the new service (ServiceName is create-only) and
// deletes the old one. With oldDesign, the service is updated in place to
// move to the new balancer, which AWS refuses while endpoints are connected:
// the update rolls back.
func (d *fakeCDK) deployPrivateLink(c map[string]string, sp []spoke) error {
	f := d.cloud
	app, api := c["appName"], c["apiRegion"]
	apiKey := api + "/" + app + "-Api"
	outputs := f.stacks[apiKey]
	old := d.deployAPINetwork(c)
	if old == nil || old != d.api {
		d.api.lb = f.createLoadBalancer(api, d.api.vpc)
		if d.oldDesign && old != nil {
			if err := f.moveService(old.service, d.api.lb, old.lb); err != nil {
				d.rollBack(old, outputs, c)
				return fmt.Errorf("%s-Api: UPDATE_ROLLBACK_COMPLETE: %w", app, err)
			}
			d.api.service = old.service
		} else {
			d.api.service = f.createService(api, d.api.lb, d.newServiceState).id
			d.api.connections = !d.noConnectionsResource
		}
	}
	service := f.services[d.api.service].name
	f.stacks[apiKey] = map[string]string{"ApiId": "a1b2c3", "ApiUrl": "https://a1b2c3.execute-api." + api + ".amazonaws.com/v1/", "VpcId": d.api.vpc,
		"EndpointServiceName": service}
	if err := d.failure(); err != nil {
		d.rollBack(old, outputs, c)
		return err
	}
	if old != nil && old != d.api {
		d.cleanUp(old)
	}
	secondary, secondaryName := c["secondaryApiRegion"], ""
	if secondary != "" {
		secondaryName = d.deploySecondaryFront(c)
	}
	probes := c["probeIntervalMinutes"] != "" && c["probeIntervalMinutes"] != "0"
	for _, s := range sp {
		name := app + "-Client" + s.suffix
		cs := d.clients[name]
		if cs == nil {
			cs = &fakeClientStack{region: s.region, cidr: s.cidr}
			d.clients[name] = cs
		}
		if cs.endpoint == "" || (cs.serviceName != service && !d.keepEndpoints) {
			id, err := f.createEndpoint(s.region, service, api)
			if err != nil {
				return fmt.Errorf("%s: UPDATE_ROLLBACK_COMPLETE: %w", name, err)
			}
			if cs.endpoint != "" {
				f.deleteEndpoint(cs.region, cs.endpoint)
			}
			cs.endpoint, cs.serviceName = id, service
		}
		outputs := map[string]string{"FunctionName": name + "-Function-XYZ", "EndpointId": cs.endpoint}
		f.stacks[s.region+"/"+name] = outputs
		if secondary == "" {
			if probes {
				f.alarmEndpoints[s.region+"/"+probe.AlarmName(app, s.id)] = s.region + "/" + cs.endpoint
			}
			continue
		}
		if cs.failoverName != secondaryName {
			id, err := f.createEndpoint(s.region, secondaryName, secondary)
			if err != nil {
				return fmt.Errorf("%s: UPDATE_ROLLBACK_COMPLETE: %w", name, err)
			}
			if cs.failoverEndpoint != "" {
				f.deleteEndpoint(cs.region, cs.failoverEndpoint)
			}
			cs.failoverEndpoint, cs.failoverName = id, secondaryName
		}
		outputs["FailoverEndpointId"] = cs.failoverEndpoint
		if probes {
			// Each path's alarm watches its own endpoint.
			f.alarmEndpoints[s.region+"/"+probe.PathAlarmName(app, s.id, api)] = s.region + "/" + cs.endpoint
			f.alarmEndpoints[s.region+"/"+probe.PathAlarmName(app, s.id, secondary)] = s.region + "/" + cs.failoverEndpoint
		}
	}
	f.logGroups[api] = append(f.logGroups[api], app+"-Api-EndpointServiceEndpointAddressesLogs-1")
	f.params[api] = append(f.params[api], "/"+app+"/api/endpoint-dns-name")
	return nil
}

// failure is the error a deploy is told to fail with, if any.
func (d *fakeCDK) failure() error {
	if d.deployErr != nil {
		return d.deployErr
	}
	if d.deploys > 1 && d.updateErr != nil {
		return d.updateErr
	}
	return nil
}

// deployCommon adds what both transports have: the probe alarms, log
// groups and the API Gateway role.
func (d *fakeCDK) deployCommon(c map[string]string, sp []spoke) {
	f := d.cloud
	app, api := c["appName"], c["apiRegion"]
	for _, s := range sp {
		switch {
		case c["probeIntervalMinutes"] == "" || c["probeIntervalMinutes"] == "0":
		case c["secondaryApiRegion"] != "" && d.secondary != nil:
			// An alarm per path, on its API's VPC, and the composite.
			var paths []string
			for region, a := range map[string]*fakeAPIStack{api: d.api, c["secondaryApiRegion"]: d.secondary} {
				key := s.region + "/" + probe.PathAlarmName(app, s.id, region)
				f.alarms[key], f.alarmVpcs[key] = s.cidr, a.vpc
				paths = append(paths, key)
			}
			f.composites[s.region+"/"+probe.CompositeAlarmName(app, s.id)] = paths
		default:
			f.alarms[s.region+"/"+probe.AlarmName(app, s.id)] = s.cidr
		}
		f.logGroups[s.region] = append(f.logGroups[s.region], app+"-Client"+s.suffix+"-ClientFunctionLogs-1")
	}
	f.logGroups[api] = append(f.logGroups[api], "API-Gateway-Execution-Logs_a1b2c3/v1", app+"-Api-PrivateApiAccessLogs-1")
	if c["apiGatewayCloudWatchRole"] == config.CloudWatchRoleCreate {
		f.roleArn = "arn:aws:iam::123456789012:role/" + app + "-Api-PrivateApiCloudWatchRole-1"
	}
}

// Destroy deletes the client stacks, the return-route stacks, then the API
// stack, as `cdk destroy --all` orders them by their dependencies. A stack
// whose deletion AWS refuses stays, in DELETE_FAILED, and the destroy
// fails.
func (d *fakeCDK) Destroy(_ context.Context, c map[string]string) error {
	d.destroyed = c
	f := d.cloud
	app, api := c["appName"], c["apiRegion"]
	for name, cs := range d.clients {
		if cs.endpoint != "" {
			f.deleteEndpoint(cs.region, cs.endpoint)
		}
		if cs.failoverEndpoint != "" {
			f.deleteEndpoint(cs.region, cs.failoverEndpoint)
		}
		if cs.peering != "" {
			f.deletePeering(cs.peering)
		}
		delete(f.stacks, cs.region+"/"+name)
		delete(d.clients, name)
	}
	for _, peering := range d.failoverPeerings {
		f.deletePeering(peering)
	}
	// The API stacks last, the secondary's first; a stack whose deletion
	// is refused stays.
	var failed []error
	kept := map[string]bool{}
	for _, st := range []struct {
		key string
		api **fakeAPIStack
	}{
		{c["secondaryApiRegion"] + "/" + app + "-Api-" + c["secondaryApiRegion"], &d.secondary},
		{api + "/" + app + "-Api", &d.api},
	} {
		if *st.api == nil {
			continue
		}
		if errs := d.destroyAPI(*st.api); len(errs) > 0 {
			failed = append(failed, fmt.Errorf("%s: DELETE_FAILED: %w", st.key[strings.Index(st.key, "/")+1:], errors.Join(errs...)))
			kept[st.key] = true
			continue
		}
		*st.api = nil
	}
	for k := range f.stacks {
		if strings.Contains(k, "/"+app+"-") && !kept[k] {
			delete(f.stacks, k)
		}
	}
	clear(f.alarmEndpoints)
	clear(f.alarms)
	clear(f.alarmVpcs)
	clear(f.composites)
	for region := range f.logGroups {
		f.logGroups[region] = nil
	}
	for region := range f.params {
		f.params[region] = nil
	}
	f.logGroups[api] = append(f.logGroups[api], d.destroyLeaks...)
	return errors.Join(failed...)
}

// destroyAPI deletes an API stack's resources, as CloudFormation deletes
// them, dependents first: its routes, its endpoint service (rejecting its
// connections first when the stack has the connections resource), its
// load balancer, its route tables and its VPC. It returns the deletions
// AWS refused.
func (d *fakeCDK) destroyAPI(a *fakeAPIStack) []error {
	f := d.cloud
	var failed []error
	for _, rt := range a.routeTables {
		f.routes = slices.DeleteFunc(f.routes, func(r vpcRoute) bool { return r.RouteTableID == rt })
	}
	if a.service != "" {
		if a.connections {
			f.rejectConnections(a.service, f.connected(a.service))
		}
		if err := f.deleteService(a.service); err != nil {
			failed = append(failed, err)
		}
	}
	if a.lb != "" {
		if err := f.deleteLoadBalancer(a.lb); err != nil {
			failed = append(failed, err)
		}
	}
	for _, rt := range a.routeTables {
		f.deleteRouteTable(rt)
	}
	if err := f.deleteVpc(a.vpc); err != nil {
		failed = append(failed, err)
	}
	return failed
}

// fakeClock is a clock whose sleeps take no time.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.t = c.t.Add(d)
	return nil
}
