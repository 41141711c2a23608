package apicaller

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"crossregionapi/functions/apiclient/handler"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// Only PrivateLink adds API_TRANSPORT, with the value the handler reads;
// peering, named or not, adds nothing; anything else is a mistake.
func TestEnvironmentTransport(t *testing.T) {
	if EnvTransport != handler.EnvAPITransport || TransportPeering != handler.TransportPeering || TransportPrivateLink != handler.TransportPrivateLink {
		t.Fatalf("apicaller's names %q, %q, %q differ from the handler's %q, %q, %q", EnvTransport, TransportPeering, TransportPrivateLink,
			handler.EnvAPITransport, handler.TransportPeering, handler.TransportPrivateLink)
	}
	props := func(transport string) *FunctionProps {
		return &FunctionProps{Api: Api{Id: jsii.String("a1b2c3d4e5"), Region: jsii.String("us-east-2")}, Transport: transport}
	}
	timeout := awscdk.Duration_Seconds(jsii.Number(15))
	base := *environment(props(""), timeout)
	if _, ok := base[EnvTransport]; ok || len(base) != 7 {
		t.Errorf("peering by default: got %d variables, %s set: want the 7 of before, no %s", len(base), EnvTransport, EnvTransport)
	}
	if got := *environment(props(TransportPeering), timeout); len(got) != len(base) || got[EnvTransport] != nil {
		t.Errorf("Transport %q: got %d variables, want the default's %d", TransportPeering, len(got), len(base))
	}
	got := *environment(props(TransportPrivateLink), timeout)
	if len(got) != len(base)+1 || got[EnvTransport] == nil || *got[EnvTransport] != handler.TransportPrivateLink {
		t.Errorf("Transport %q: got %d variables, %s = %v; want the default's and %s=%s",
			TransportPrivateLink, len(got), EnvTransport, got[EnvTransport], EnvTransport, handler.TransportPrivateLink)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), `unknown Transport "vpn"`) {
				t.Errorf("Transport vpn: got panic %v, want one naming the value", r)
			}
		}()
		environment(props("vpn"), timeout)
	}()
}
