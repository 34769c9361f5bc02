package agent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// Cloud is the instance the host runs as, when a cloud's metadata service answered.
type Cloud struct {
	Provider   string `json:"provider"` // aws, tencent, alibaba
	InstanceID string `json:"instance_id"`
	Region     string `json:"region,omitempty"`
	Zone       string `json:"zone,omitempty"`
	// PublicIPs are the instance's public (or elastic) addresses: cloud calls made from
	// the instance come from them, which the server uses to tell a call from the
	// instance from one made elsewhere with its role credentials.
	PublicIPs []string `json:"public_ips,omitempty"`
}

// cloudProbe asks the instance metadata services of the supported clouds, all at once,
// within one timeout. The base URLs come from the configuration so that tests (and
// unusual networks) can point them elsewhere.
type cloudProbe struct {
	aws, tencent, alibaba string
	timeout               time.Duration
	client                *http.Client
}

func newCloudProbe(c CloudMetadata) cloudProbe {
	if !c.Enabled {
		return cloudProbe{}
	}
	// Metadata services are link-local or provider-internal: never through a proxy.
	tr := &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: c.Timeout}).DialContext, DisableKeepAlives: true}
	return cloudProbe{aws: c.AWS, tencent: c.Tencent, alibaba: c.Alibaba, timeout: c.Timeout,
		client: &http.Client{Transport: tr, Timeout: c.Timeout}}
}

// detect returns the first provider (in the order AWS, Tencent, Alibaba) whose service
// answered, or nil.
func (p cloudProbe) detect(ctx context.Context) *Cloud {
	if p.client == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	probes := []func(context.Context) (*Cloud, error){p.awsProbe, p.tencentProbe, p.alibabaProbe}
	bases := []string{p.aws, p.tencent, p.alibaba}
	results := make([]chan *Cloud, len(probes))
	for i, probe := range probes {
		results[i] = make(chan *Cloud, 1)
		if bases[i] == "" {
			results[i] <- nil
			continue
		}
		go func() {
			c, err := probe(ctx)
			if err != nil {
				c = nil
			}
			results[i] <- c
		}()
	}
	var found *Cloud
	for _, ch := range results {
		if c := <-ch; c != nil && found == nil {
			found = c
		}
	}
	return found
}

func (p cloudProbe) awsProbe(ctx context.Context) (*Cloud, error) {
	// IMDSv2: a session token first, then the metadata with it.
	tok, err := p.get(ctx, "PUT", p.aws+"/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"})
	if err != nil {
		return nil, err
	}
	h := map[string]string{"X-aws-ec2-metadata-token": tok}
	id, err := p.get(ctx, "GET", p.aws+"/latest/meta-data/instance-id", h)
	if err != nil {
		return nil, err
	}
	c := &Cloud{Provider: "aws", InstanceID: id}
	c.PublicIPs = addrs(p.get(ctx, "GET", p.aws+"/latest/meta-data/public-ipv4", h))
	if doc, err := p.get(ctx, "GET", p.aws+"/latest/dynamic/instance-identity/document", h); err == nil {
		var d struct {
			Region           string `json:"region"`
			AvailabilityZone string `json:"availabilityZone"`
		}
		if json.Unmarshal([]byte(doc), &d) == nil {
			c.Region, c.Zone = d.Region, d.AvailabilityZone
		}
	}
	return c, nil
}

func (p cloudProbe) tencentProbe(ctx context.Context) (*Cloud, error) {
	base := p.tencent + "/latest/meta-data/"
	id, err := p.get(ctx, "GET", base+"instance-id", nil)
	if err != nil {
		return nil, err
	}
	c := &Cloud{Provider: "tencent", InstanceID: id}
	c.Region, _ = p.get(ctx, "GET", base+"placement/region", nil)
	c.Zone, _ = p.get(ctx, "GET", base+"placement/zone", nil)
	c.PublicIPs = addrs(p.get(ctx, "GET", base+"public-ipv4", nil))
	return c, nil
}

func (p cloudProbe) alibabaProbe(ctx context.Context) (*Cloud, error) {
	// Instances in hardened mode want a token, as AWS's IMDSv2; normal mode ignores it.
	var h map[string]string
	if tok, err := p.get(ctx, "PUT", p.alibaba+"/latest/api/token", map[string]string{"X-aliyun-ecs-metadata-token-ttl-seconds": "60"}); err == nil {
		h = map[string]string{"X-aliyun-ecs-metadata-token": tok}
	}
	base := p.alibaba + "/latest/meta-data/"
	id, err := p.get(ctx, "GET", base+"instance-id", h)
	if err != nil {
		return nil, err
	}
	c := &Cloud{Provider: "alibaba", InstanceID: id}
	c.Region, _ = p.get(ctx, "GET", base+"region-id", h)
	c.Zone, _ = p.get(ctx, "GET", base+"zone-id", h)
	// An elastic IP, when bound, is the address the instance's calls come from.
	c.PublicIPs = addrs(p.get(ctx, "GET", base+"eipv4", h))
	if len(c.PublicIPs) == 0 {
		c.PublicIPs = addrs(p.get(ctx, "GET", base+"public-ipv4", h))
	}
	return c, nil
}

// get fetches one short metadata value. Anything that does not look like one (an HTML
// page from a captive portal, say) is an error.
func (p cloudProbe) get(ctx context.Context, method, url string, header map[string]string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return "", err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", errors.New(resp.Status)
	}
	v := strings.TrimSpace(string(b))
	if v == "" || strings.ContainsAny(v, "<>") || !strings.HasPrefix(v, "{") && (len(v) > 256 || strings.ContainsAny(v, " \n")) {
		return "", errors.New("not a metadata value")
	}
	return v, nil
}

// addrs keeps a metadata answer that is an IP address (an instance without a public
// address answers 404, or an empty body).
func addrs(v string, err error) []string {
	if err != nil {
		return nil
	}
	if a, perr := netip.ParseAddr(strings.TrimSpace(v)); perr == nil {
		return []string{a.String()}
	}
	return nil
}
