package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"crossregionapi/internal/probe"
)

// keyClients lists the client VPCs of a hub-and-spoke app.
const keyClients = "clients"

// Client is one client VPC: a spoke that calls the API.
type Client struct {
	// Region of the client VPC; never the API's.
	Region string
	// Cidr of the client VPC; with TransportPeering, disjoint from the
	// API's and every other client's.
	Cidr string
	// Account of the client; "" for the API's own account.
	Account string
}

// Quotas that the number of clients meets, checked at synth time so that a
// deploy does not fail half-way through the spokes.
const (
	// maxPeeringsQuota is the highest "Active VPC peering connections per
	// VPC" Amazon VPC grants (its default, 50, is peeringConnectionsQuota's):
	// the API's VPC peers with every client.
	maxPeeringsQuota = 125
	// maxInboundRules is Amazon VPC's "Inbound rules per security group"
	// (default 60): the endpoint's group admits the API's VPC and each
	// client's range.
	maxInboundRules = 60
	// maxResourcePolicy is API Gateway's limit on a REST API's resource
	// policy, in characters.
	maxResourcePolicy = 8192
	// resourcePolicyBase and resourcePolicyPerAccount bound the length of
	// the API's resource policy as API Gateway stores it: its statements
	// with the endpoint's id filled in, and one principal ARN per account
	// (TestResourcePolicyEstimate measures them against the template).
	resourcePolicyBase       = 560
	resourcePolicyPerAccount = 40
)

// ResourcePolicyChars is an upper bound on the length of the API's resource
// policy when accounts accounts (the API's own included) may call it.
func ResourcePolicyChars(accounts int) int {
	return resourcePolicyBase + resourcePolicyPerAccount*accounts
}

// ClientList returns the clients: those of `clients`, or the one that
// clientRegion and clientVpcCidr describe.
func (c Config) ClientList() []Client {
	if c.Clients != nil {
		return c.Clients
	}
	return []Client{{Region: c.ClientRegion, Cidr: c.ClientVpcCidr}}
}

// ClientAccounts returns the accounts of the clients other than the API's,
// sorted and without duplicates.
func (c Config) ClientAccounts() []string {
	var out []string
	for _, cl := range c.ClientList() {
		if cl.Account != "" && cl.Account != c.Account {
			out = append(out, cl.Account)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ClientID names a client by what it is, never by its place in the list:
// its Region, and its account where that is not the API's. Stack names and
// parameter paths take it, so adding or removing a client leaves every
// other client's stacks as they are. It is "" for the single client of
// clientRegion and clientVpcCidr, whose stacks keep the names they had
// before `clients` existed.
func (c Config) ClientID(cl Client) string {
	if c.Clients == nil {
		return ""
	}
	if cl.Account != "" && cl.Account != c.Account {
		return cl.Region + "-" + cl.Account
	}
	return cl.Region
}

// ClientStackName is the name of a client's stack in its Region and
// account, or of its return-route stack (role RolePeeringRoute) in the API's.
func (c Config) ClientStackName(role string, cl Client) string {
	if id := c.ClientID(cl); id != "" {
		return c.StackName(role) + "-" + id
	}
	return c.StackName(role)
}

// entryKey is the key problems with one field of one client are reported
// under, as the user would find it: clients[1].cidr.
func entryKey(i int, name string) string {
	return keyClients + "[" + strconv.Itoa(i) + "]." + name
}

var entryKeyRe = regexp.MustCompile(`^clients\[(\d+)\]\.(region|cidr|account)$`)

// parseEntryKey splits an entry key; ok is false for any other key.
func parseEntryKey(key string) (index int, name string, ok bool) {
	m := entryKeyRe.FindStringSubmatch(key)
	if m == nil {
		return 0, "", false
	}
	i, err := strconv.Atoi(m[1])
	return i, m[2], err == nil
}

// entryField returns a pointer to the field an entry key names in c, after
// giving c a list of its own: c is a copy being changed to try a
// suggestion, and must not change the list of the configuration it copies.
func entryField(c *Config, key string) *string {
	i, name, ok := parseEntryKey(key)
	if !ok || i >= len(c.Clients) {
		return nil
	}
	c.Clients = slices.Clone(c.Clients)
	cl := &c.Clients[i]
	switch name {
	case "region":
		return &cl.Region
	case "cidr":
		return &cl.Cidr
	default:
		return &cl.Account
	}
}

// keyRank orders keys as the report lists them: in keyOrder, a client's
// fields under clients in list order.
func keyRank(key string) int {
	if i, name, ok := parseEntryKey(key); ok {
		return slices.Index(keyOrder, keyClients)*100000 + (i+1)*10 + slices.Index([]string{"region", "cidr", "account"}, name)
	}
	if strings.HasPrefix(key, keyClients+"[") {
		return slices.Index(keyOrder, keyClients)*100000 + 99999
	}
	return slices.Index(keyOrder, key) * 100000
}

// clients reads `clients`: a JSON array in cdk.json, or a JSON string
// holding one, as `-c clients='[...]'` gives it.
func (l *loader) clients(key string, dst *[]Client) {
	v, ok := l.get(key)
	if !ok {
		return
	}
	const fix = `give a list of clients such as [{"region": "eu-west-1", "cidr": "10.1.0.0/16"}], with an "account" for a client in another account`
	list, isList := v.([]any)
	if s, isString := v.(string); isString {
		var parsed any
		if err := json.Unmarshal([]byte(s), &parsed); err != nil {
			l.fail(key, v, func(*checker) string { return "is not JSON (" + jsonError(s, err) + "); " + fix })
			return
		}
		if parsed == nil { // -c clients=null: as null in cdk.json
			l.fail(key, nil, func(*checker) string {
				return "has no value; " + fix + ", or remove the key to use clientRegion and clientVpcCidr"
			})
			return
		}
		if list, isList = parsed.([]any); !isList {
			l.fail(key, v, func(*checker) string { return "is " + kindOf(parsed) + " in JSON, not a list; " + fix })
			return
		}
	}
	if !isList {
		l.fail(key, v, func(*checker) string { return "is " + kindOf(v) + ", not a list; " + fix })
		return
	}
	out := make([]Client, len(list))
	for i, e := range list {
		entry, isMap := e.(map[string]any)
		if !isMap {
			l.fail(fmt.Sprintf("%s[%d]", keyClients, i), e, func(*checker) string {
				return "is " + kindOf(e) + ", not an object with region and cidr; " + fix
			})
			for _, name := range []string{"region", "cidr", "account"} {
				l.failed[entryKey(i, name)] = true
			}
			continue
		}
		for name, fv := range entry {
			if name != "region" && name != "cidr" && name != "account" {
				l.report(fmt.Sprintf("%s[%d].%s", keyClients, i, name), fv, func(*checker) string {
					return "is not a field of a client; a client has region, cidr and, for another account, account"
				})
			}
		}
		for _, f := range []struct {
			name     string
			dst      *string
			required bool
		}{{"region", &out[i].Region, true}, {"cidr", &out[i].Cidr, true}, {"account", &out[i].Account, false}} {
			ek := entryKey(i, f.name)
			fv, present := entry[f.name]
			switch s, isString := fv.(string); {
			case !present && f.required:
				l.fail(ek, missing{}, func(*checker) string { return "is missing; every client needs a " + f.name })
			case !present:
			case fv == nil:
				l.fail(ek, nil, func(*checker) string { return "has no value; give one, or remove the field" })
			case !isString:
				l.fail(ek, fv, func(*checker) string { return "must be a string, not " + kindOf(fv) + "; put it in quotes" })
			default:
				*f.dst = s
			}
		}
	}
	*dst = out
}

// clientList checks the clients of `clients` one by one, against the API
// and against each other, and the quotas their number meets.
func (ch *checker) clientList(apiRegionOK, apiCidrOK bool) {
	c := ch.cfg
	// The single client's keys are ignored; say so only when they hold
	// something other than their defaults (the shipped cdk.json lists them
	// with their defaults), since then the user meant something by them.
	var ignored []string
	for _, key := range []string{keyClientRegion, keyClientVpcCidr} {
		if d := Defaults(); *field(&c, key).(*string) != *field(&d, key).(*string) {
			ignored = append(ignored, key+" = "+quote(*field(&c, key).(*string)))
		}
	}
	if len(ignored) > 0 {
		ch.warnings = append(ch.warnings, warning{keyClients, fmt.Sprintf("%s %s ignored: clients lists the clients, so remove %s",
			joinAnd(ignored), plural(len(ignored), "is", "are"), plural(len(ignored), "it", "them"))})
	}
	if len(c.Clients) == 0 {
		ch.add(keyClients, []any{}, "is empty; give at least one client, or remove the key to use clientRegion and clientVpcCidr")
		return
	}
	if len(c.ClientAvailabilityZones) > 0 {
		ch.add(keyClientAvailabilityZones, c.ClientAvailabilityZones,
			"pins the zones of the one client of clientRegion; with clients, each client's Region has zones of its own, so remove it")
	}
	type valid struct {
		key    string
		prefix netip.Prefix
	}
	var ranges []valid
	if apiCidrOK {
		ranges = append(ranges, valid{keyApiVpcCidr, netip.MustParsePrefix(c.ApiVpcCidr)})
	}
	seen := map[string]int{}
	for i, cl := range c.Clients {
		regionKey, cidrKey, accountKey := entryKey(i, "region"), entryKey(i, "cidr"), entryKey(i, "account")
		regionOK := ch.text(regionKey, cl.Region, (*checker).region)
		if regionOK && apiRegionOK {
			if cl.Region == c.ApiRegion {
				how := "peers with the API's VPC"
				switch ch.transport {
				case TransportPrivateLink:
					how = "reaches the API over cross-Region PrivateLink"
				case "":
					how = "reaches the API"
				}
				ch.addPair(regionKey, keyApiRegion, cl.Region,
					"is apiRegion too; a client %s from another Region, so give it a Region other than %s", how, c.ApiRegion)
				regionOK = false
			} else if pa, pc := cdkRegions().partition[c.ApiRegion], cdkRegions().partition[cl.Region]; pa != "" && pc != "" && pa != pc {
				ch.addPair(regionKey, keyApiRegion, cl.Region,
					"is in partition %s but apiRegion = %s is in %s; %s", pc, quote(c.ApiRegion), pa, ch.partitionWhy())
				regionOK = false
			}
		}
		if cl.Account != "" {
			if ch.text(accountKey, cl.Account, (*checker).account) && c.Account == "" && !ch.skip[keyAccount] {
				ch.addPair(accountKey, keyAccount, cl.Account,
					"names an account, but account (the API's) is not set; a client in another account needs both accounts known at synth time, so set account to the API's account ID")
			}
		}
		if ch.text(cidrKey, cl.Cidr, (*checker).cidr) {
			p := netip.MustParsePrefix(cl.Cidr)
			clear := true
			for _, r := range ranges {
				// Only peering needs the ranges disjoint.
				if ch.transport == TransportPeering && p.Overlaps(r.prefix) {
					ch.addBetween(cidrKey, []string{r.key, keyTransport}, cl.Cidr,
						"overlaps %s = %s; the API's VPC peers with every client, so all their ranges must be disjoint%s",
						r.key, quote(r.prefix.String()), ch.overlapFix())
					clear = false
					break
				}
			}
			if clear {
				ranges = append(ranges, valid{cidrKey, p})
				ch.cidrTrouble(cidrKey, cl.Cidr)
			}
		}
		if regionOK {
			account := cl.Account
			if account == c.Account {
				account = ""
			}
			id := cl.Region + "/" + account
			if j, dup := seen[id]; dup {
				ch.addPair(regionKey, entryKey(j, "region"), cl.Region,
					"repeats the Region and account of clients[%d]; one client per Region and account, so remove one or give another Region", j)
			} else {
				seen[id] = i
			}
		}
	}
	ch.quotas()
}

// quotas checks the AWS quotas the number of clients meets, naming each:
// those of the transport, and the resource policy's, which both have. The
// problems have no value of their own to show: the count is in the
// message. A quota of one transport is a problem between clients and
// transport, so that transport is never suggested where it would not fit.
func (ch *checker) quotas() {
	c := ch.cfg
	n := len(c.Clients)
	// With secondaryApiRegion each API's VPC and endpoint meet the same
	// quotas, with the same count: every client peers with both.
	theVpc, theEndpoint := "the API's VPC", "the endpoint's security group"
	if c.SecondaryApiRegion != "" {
		theVpc, theEndpoint = "each API's VPC (apiRegion's and secondaryApiRegion's)", "each API endpoint's security group"
	}
	if ch.transport == TransportPeering {
		if n > c.PeeringConnectionsQuota && !ch.skip[keyPeeringConnectionsQuota] {
			ch.addBetween(keyClients, []string{keyTransport, keyPeeringConnectionsQuota}, missing{},
				"lists %d clients, and %s would peer with each: over Amazon VPC's quota \"Active VPC peering connections per VPC\" of %s = %d; if your quota is higher (Service Quotas allows up to %d), set %s to it (the endpoint's %d inbound rules still bound peered clients to %d), or use %s = %s, which peers with nobody, or split the clients between copies of the app (appName)",
				n, theVpc, keyPeeringConnectionsQuota, c.PeeringConnectionsQuota, maxPeeringsQuota, keyPeeringConnectionsQuota, maxInboundRules, maxInboundRules-1, keyTransport, quote(TransportPrivateLink))
		}
		// With PrivateLink the endpoint's group admits only the load
		// balancer.
		if rules := n + 1; rules > maxInboundRules {
			ch.addBetween(keyClients, []string{keyTransport}, missing{},
				"lists %d clients, and %s would need %d inbound rules (the API's VPC and each client), over Amazon VPC's quota \"Inbound rules per security group\" (%d by default, the bound the app checks): use %s = %s, whose endpoint admits the load balancer alone, or split the clients between copies of the app (appName)",
				n, theEndpoint, rules, maxInboundRules, keyTransport, quote(TransportPrivateLink))
		}
	}
	// With PrivateLink no quota grows with the clients: the AWS
	// PrivateLink quotas
	// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html)
	// are per VPC (each client's one interface endpoint) or per endpoint
	// policy, and document none per endpoint service: not on its supported
	// Regions, nor its allowed principals, nor its connections. The Network
	// Load Balancer's targets are the execute-api endpoint's interfaces,
	// one per zone, whatever the number of clients.

	perClient := probe.DashboardWidgets(len(c.ApiRegions()))
	if widgets := n * perClient; c.ProbeIntervalMinutes > 0 && widgets > probe.MaxDashboardWidgets {
		ch.add(keyClients, missing{},
			"lists %d clients, and the probe dashboard would hold %d widgets (%d per client), over CloudWatch's %d widgets per dashboard; set %s to 0 to leave the probes and their dashboard out, or split the clients between copies of the app (appName)",
			n, widgets, perClient, probe.MaxDashboardWidgets, keyProbeIntervalMinutes)
	}
	// With an organization the policy names it, not the accounts.
	if accounts := len(c.ClientAccounts()) + 1; c.OrganizationId == "" && ResourcePolicyChars(accounts) > maxResourcePolicy {
		ch.add(keyClients, missing{},
			"lists clients in %d accounts, the API's included, and the API's resource policy would hold about %d characters, over API Gateway's limit of %d for a REST API's resource policy; if the accounts are in one AWS Organization, set organizationId to admit them all in constant size, or split the accounts between copies of the app",
			accounts, ResourcePolicyChars(accounts), maxResourcePolicy)
	}
	ch.trustPolicies()
}
