// Package enrich adds to events what the platform knows beyond the log line: the cloud
// instance a host is (from the agents' inventory), and, on cloud audit events made with
// an instance's role credentials, whether the call came from that instance. This is what
// lets a rule join a host's theft of its role credentials with their use elsewhere.
package enrich

import (
	"net/netip"
	"regexp"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// Fields the enricher sets. The cloud.* fields are ECS; the vigil.* fields are Vigil's.
const (
	// FieldCredentialInstance is the instance whose role credentials made a cloud call.
	FieldCredentialInstance = "vigil.instance_credential.instance_id"
	// FieldFromInstance is true when the call's source address is one of that
	// instance's, false when it is not.
	FieldFromInstance = "vigil.instance_credential.from_instance"
	// FieldCredentialHost is the host name of that instance.
	FieldCredentialHost = "vigil.instance_credential.host"
)

// Instance is a host that runs on a cloud instance, as its agent reported it.
type Instance struct {
	Host       string   `yaml:"host" json:"host"`
	Provider   string   `yaml:"provider" json:"provider"` // as cloud.provider: aws, tencent_cloud, alibaba_cloud
	InstanceID string   `yaml:"instance_id" json:"instance_id"`
	Region     string   `yaml:"region" json:"region,omitempty"`
	Zone       string   `yaml:"zone" json:"zone,omitempty"`
	IPs        []string `yaml:"ips" json:"ips,omitempty"`
	PublicIPs  []string `yaml:"public_ips" json:"public_ips,omitempty"`
}

// Provider turns the agent's provider names (aws, tencent, alibaba) into the values of
// cloud.provider.
func Provider(agent string) string {
	switch agent {
	case "tencent":
		return "tencent_cloud"
	case "alibaba":
		return "alibaba_cloud"
	}
	return agent
}

// Enricher enriches events with a fixed set of instances. It is safe for concurrent
// use (it is never changed after New).
type Enricher struct {
	byHost     map[string]*Instance
	byInstance map[string]*Instance
}

// New indexes instances by host name (case-insensitive) and instance id.
func New(instances []Instance) *Enricher {
	e := &Enricher{byHost: map[string]*Instance{}, byInstance: map[string]*Instance{}}
	for i := range instances {
		in := &instances[i]
		if in.InstanceID == "" {
			continue
		}
		if in.Host != "" {
			e.byHost[strings.ToLower(in.Host)] = in
		}
		e.byInstance[in.InstanceID] = in
	}
	return e
}

// Len is the number of instances known.
func (e *Enricher) Len() int { return len(e.byInstance) }

// instanceSession is an EC2 instance id, the session name of an instance role's
// credentials (the end of the principal id and of the assumed-role ARN).
var instanceSession = regexp.MustCompile(`(?:^|[:/])(i-[0-9a-f]{8,17})$`)

// Event enriches one event in place:
//   - a host event (no cloud.provider) of a known host gets cloud.provider,
//     cloud.instance.id, cloud.region and cloud.availability_zone;
//   - a cloud event made with the role credentials of a known instance gets the
//     instance and whether the call came from one of its addresses.
func (e *Enricher) Event(ev *event.Event) {
	if e == nil || len(e.byInstance) == 0 {
		return
	}
	provider := ev.GetString("cloud.provider")
	if provider == "" {
		host := ev.GetString("host.name")
		in := e.byHost[strings.ToLower(host)]
		if in == nil || host == "" {
			return
		}
		ev.Set("cloud.provider", in.Provider)
		ev.Set("cloud.instance.id", in.InstanceID)
		if in.Region != "" {
			ev.Set("cloud.region", in.Region)
		}
		if in.Zone != "" {
			ev.Set("cloud.availability_zone", in.Zone)
		}
		return
	}
	in := e.credentialInstance(ev)
	if in == nil || in.Provider != provider {
		return
	}
	ev.Set(FieldCredentialInstance, in.InstanceID)
	ev.Set(FieldCredentialHost, in.Host)
	src := ev.GetString("source.ip")
	addr, err := netip.ParseAddr(src)
	if err != nil {
		// A call an AWS service made on the role's behalf has a service name for an
		// address: it says nothing of where the credentials are.
		return
	}
	ev.Set(FieldFromInstance, in.hasAddr(addr.Unmap()))
}

// credentialInstance finds the instance whose role session made a cloud call.
func (e *Enricher) credentialInstance(ev *event.Event) *Instance {
	for _, f := range []string{"user.name", "userIdentity.principalId", "userIdentity.arn"} {
		if m := instanceSession.FindStringSubmatch(ev.GetString(f)); m != nil {
			if in := e.byInstance[m[1]]; in != nil {
				return in
			}
		}
	}
	return nil
}

func (in *Instance) hasAddr(addr netip.Addr) bool {
	for _, list := range [][]string{in.IPs, in.PublicIPs} {
		for _, s := range list {
			// Inventory addresses may carry a prefix length (10.0.1.5/24).
			s, _, _ = strings.Cut(s, "/")
			if a, err := netip.ParseAddr(s); err == nil && a.Unmap() == addr {
				return true
			}
		}
	}
	return false
}
