package fleet

import (
	"context"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/enrich"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/sqlite"
)

func TestEnricherFromInventory(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	clock := now
	agent := func(host, inv string, disabled bool) func(tx store.Tx) error {
		return func(tx store.Tx) error {
			k := &store.Token{Name: "agent " + host, Role: "ingest", Hash: "h-" + host, Prefix: "p", CreatedAt: now}
			if err := tx.CreateToken(k); err != nil {
				return err
			}
			return tx.CreateAgent(&store.Agent{Hostname: host, TokenID: k.ID, Inventory: inv, EnrolledAt: now, Disabled: disabled})
		}
	}
	for _, fn := range []func(tx store.Tx) error{
		agent("web-01", `{"hostname":"web-01","ips":["10.0.1.5/24"],"cloud":{"provider":"aws","instance_id":"i-0a1b2c3d4e5f67890","region":"us-east-1","public_ips":["198.51.100.80"]}}`, false),
		agent("cvm-1", `{"hostname":"cvm-1","cloud":{"provider":"tencent","instance_id":"ins-abcd1234"}}`, false),
		agent("laptop", `{"hostname":"laptop"}`, false),
		agent("old", `{"hostname":"old","cloud":{"provider":"aws","instance_id":"i-0000000000000000f"}}`, true),
	} {
		if err := st.Update(context.Background(), fn); err != nil {
			t.Fatal(err)
		}
	}
	svc := New(st, func() time.Time { return clock })
	ins, err := svc.Instances(context.Background())
	if err != nil || len(ins) != 2 {
		t.Fatalf("instances = %+v, %v; want the two enabled cloud agents", ins, err)
	}
	if ins[1].Provider != "tencent_cloud" && ins[0].Provider != "tencent_cloud" {
		t.Errorf("provider names not normalized: %+v", ins)
	}
	en := svc.NewEnricher(nil)
	ev0 := &event.Event{}
	ev0.Set("cloud.provider", "aws")
	ev0.Set("user.name", "i-0a1b2c3d4e5f67890")
	ev0.Set("source.ip", "203.0.113.66")
	en.Event(ev0)
	if v, ok := ev0.Get(enrich.FieldFromInstance); !ok || v != false {
		t.Errorf("from_instance = %v, %v; want false", v, ok)
	}
	// A newly enrolled instance is seen once the cache is older than EnrichRefresh.
	if err := st.Update(context.Background(), agent("web-02", `{"hostname":"web-02","cloud":{"provider":"aws","instance_id":"i-0ffffffffffffff02"}}`, false)); err != nil {
		t.Fatal(err)
	}
	host := func() string {
		ev := &event.Event{}
		ev.Set("host.name", "web-02")
		en.Event(ev)
		return ev.GetString("cloud.instance.id")
	}
	if id := host(); id != "" {
		t.Errorf("enriched from a stale cache: %q", id)
	}
	clock = clock.Add(EnrichRefresh)
	if id := host(); id != "i-0ffffffffffffff02" {
		t.Errorf("after the refresh, cloud.instance.id = %q", id)
	}
	// An enrolment is seen at once.
	_, err = svc.Enroll(context.Background(), "token:1:enrol", EnrollRequest{Hostname: "web-03", MachineID: "m-3",
		Inventory: []byte(`{"hostname":"web-03","cloud":{"provider":"aws","instance_id":"i-0ffffffffffffff03"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	ev := &event.Event{}
	ev.Set("host.name", "web-03")
	en.Event(ev)
	if id := ev.GetString("cloud.instance.id"); id != "i-0ffffffffffffff03" {
		t.Errorf("right after an enrolment, cloud.instance.id = %q", id)
	}
}
