package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

func testAlerts(t *testing.T, st store.Store) {
	mk := func(key, host, level, status string, seen time.Time, techniques ...string) *store.Alert {
		return &store.Alert{Key: key, RuleID: "r-" + key, RuleTitle: "Rule", Level: level, Kind: "detection",
			Tags: []string{}, Techniques: techniques, Host: host, Status: status, Count: 1,
			FirstSeen: seen, LastSeen: seen, EventIDs: []string{"e1"}, Doc: []byte(`{"k":1}`)}
	}
	a1 := mk("k1", "web-1", "high", store.AlertOpen, t0, "CS-IA-03")
	a2 := mk("k1", "web-1", "high", store.AlertClosed, t0.Add(time.Minute))
	a3 := mk("k2", "db-1", "low", store.AlertOpen, t0.Add(2*time.Minute), "CS-PS-01")
	update(t, st, func(tx store.Tx) error {
		for _, a := range []*store.Alert{a1, a2, a3} {
			if err := tx.InsertAlert(a); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		got, err := tx.GetAlert(a1.ID)
		if err != nil || got.Key != "k1" || string(got.Doc) != `{"k":1}` || got.Techniques[0] != "CS-IA-03" || !got.LastSeen.Equal(t0) {
			t.Errorf("GetAlert = %+v, %v", got, err)
		}
		// The closed alert with the same key is never reused; a1 is, while recent.
		if got, err := tx.FindAlertByKey("k1", t0.Add(-time.Minute)); err != nil || got.ID != a1.ID {
			t.Errorf("FindAlertByKey = %+v, %v; want alert %d", got, err, a1.ID)
		}
		if _, err := tx.FindAlertByKey("k1", t0.Add(time.Second)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FindAlertByKey past the window = %v, want ErrNotFound", err)
		}
		for _, c := range []struct {
			f    store.AlertFilter
			want []int64
		}{
			{store.AlertFilter{}, []int64{a3.ID, a2.ID, a1.ID}},
			{store.AlertFilter{Status: []string{store.AlertOpen}}, []int64{a3.ID, a1.ID}},
			{store.AlertFilter{Levels: []string{"low"}}, []int64{a3.ID}},
			{store.AlertFilter{Host: "web-1"}, []int64{a2.ID, a1.ID}},
			{store.AlertFilter{Technique: "CS-PS-01"}, []int64{a3.ID}},
			{store.AlertFilter{RuleID: "r-k2"}, []int64{a3.ID}},
			{store.AlertFilter{IncidentID: -1}, []int64{a3.ID, a2.ID, a1.ID}},
			{store.AlertFilter{IncidentID: 7}, nil},
			{store.AlertFilter{SeenFrom: t0.Add(time.Minute)}, []int64{a3.ID, a2.ID}},
			{store.AlertFilter{SeenFrom: t0, SeenTo: t0.Add(time.Minute)}, []int64{a1.ID}},
		} {
			as, err := tx.ListAlerts(c.f, store.Page{Limit: 10})
			if err != nil {
				return err
			}
			var ids []int64
			for _, a := range as {
				ids = append(ids, a.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(c.want) {
				t.Errorf("ListAlerts(%+v) = %v, want %v", c.f, ids, c.want)
			}
		}
		page, err := tx.ListAlerts(store.AlertFilter{}, store.Page{Before: a2.ID, Limit: 10})
		if err != nil || len(page) != 1 || page[0].ID != a1.ID {
			t.Errorf("next page = %+v, %v", page, err)
		}
		return nil
	})
	a1.Count, a1.Status, a1.IncidentID = 5, store.AlertAcknowledged, 7
	update(t, st, func(tx store.Tx) error { return tx.UpdateAlert(a1) })
	view(t, st, func(tx store.Tx) error {
		as, err := tx.ListAlerts(store.AlertFilter{IncidentID: 7}, store.Page{})
		if err != nil || len(as) != 1 || as[0].Count != 5 || as[0].Status != store.AlertAcknowledged {
			t.Errorf("updated alert = %+v, %v", as, err)
		}
		return err
	})
}

func testIncidents(t *testing.T, st store.Store) {
	host := store.Entity{Kind: "host", Value: "web-1"}
	ip := store.Entity{Kind: "ip", Value: "203.0.113.9"}
	i1 := &store.Incident{Title: "one", Status: store.StatusNew, Severity: "high", CreatedAt: t0, LastActivity: t0,
		Entities: []store.Entity{host, ip}, Techniques: []string{"CS-IA-03"}, AckDue: t0.Add(time.Hour)}
	i2 := &store.Incident{Title: "two", Status: store.StatusClosed, Severity: "low", CreatedAt: t0.Add(time.Hour),
		LastActivity: t0.Add(time.Hour), Entities: []store.Entity{host}}
	i3 := &store.Incident{Title: "three", Status: store.StatusTriage, Severity: "medium", CreatedAt: t0.Add(2 * time.Hour),
		LastActivity: t0.Add(2 * time.Hour), Entities: []store.Entity{ip}}
	update(t, st, func(tx store.Tx) error {
		for _, in := range []*store.Incident{i1, i2, i3} {
			if err := tx.CreateIncident(in); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, st, func(tx store.Tx) error {
		got, err := tx.GetIncident(i1.ID)
		if err != nil || got.Title != "one" || !got.AckDue.Equal(i1.AckDue) || len(got.Entities) != 2 {
			t.Errorf("GetIncident = %+v, %v", got, err)
		}
		// Closed incidents never take alerts; the most recently active comes first.
		ins, err := tx.IncidentsByEntity([]store.Entity{host, ip}, t0)
		if err != nil || len(ins) != 2 || ins[0].ID != i3.ID || ins[1].ID != i1.ID {
			t.Errorf("IncidentsByEntity = %+v, %v", ins, err)
		}
		if ins, _ := tx.IncidentsByEntity([]store.Entity{host}, t0.Add(time.Minute)); len(ins) != 0 {
			t.Errorf("IncidentsByEntity past the window = %+v", ins)
		}
		for _, c := range []struct {
			f    store.IncidentFilter
			want []int64
		}{
			{store.IncidentFilter{}, []int64{i3.ID, i2.ID, i1.ID}},
			{store.IncidentFilter{Status: []string{store.StatusNew, store.StatusTriage}}, []int64{i3.ID, i1.ID}},
			{store.IncidentFilter{Severity: []string{"low"}}, []int64{i2.ID}},
			{store.IncidentFilter{Host: "web-1"}, []int64{i2.ID, i1.ID}},
			{store.IncidentFilter{Technique: "CS-IA-03"}, []int64{i1.ID}},
			{store.IncidentFilter{From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)}, []int64{i2.ID}},
		} {
			ins, err := tx.ListIncidents(c.f, store.Page{Limit: 10})
			if err != nil {
				return err
			}
			var ids []int64
			for _, in := range ins {
				ids = append(ids, in.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(c.want) {
				t.Errorf("ListIncidents(%+v) = %v, want %v", c.f, ids, c.want)
			}
		}
		return nil
	})
	// Entities follow the incident's updates.
	i1.Entities = []store.Entity{{Kind: "user", Value: "root@web-1"}}
	update(t, st, func(tx store.Tx) error { return tx.UpdateIncident(i1) })
	view(t, st, func(tx store.Tx) error {
		if ins, _ := tx.IncidentsByEntity([]store.Entity{ip}, t0); len(ins) != 1 || ins[0].ID != i3.ID {
			t.Errorf("after update, IncidentsByEntity(ip) = %+v", ins)
		}
		return nil
	})
}

func testIncidentParts(t *testing.T, st store.Store) {
	in := &store.Incident{Title: "x", Status: store.StatusNew, Severity: "low", CreatedAt: t0, LastActivity: t0}
	update(t, st, func(tx store.Tx) error {
		if err := tx.CreateIncident(in); err != nil {
			return err
		}
		for i := range 3 {
			if err := tx.AddTimeline(&store.TimelineEntry{IncidentID: in.ID, Time: t0, Kind: "k", Text: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		if err := tx.AddComment(&store.Comment{IncidentID: in.ID, Body: "**hi**", Mentions: []string{"bob"}}); err != nil {
			return err
		}
		task := &store.Task{IncidentID: in.ID, Title: "t", Phase: "contain", Status: store.TaskOpen}
		if err := tx.CreateTask(task); err != nil {
			return err
		}
		task.Status = store.TaskDone
		if err := tx.UpdateTask(task); err != nil {
			return err
		}
		e := &store.Exception{RuleID: "r", Fields: map[string]string{"host.name": "web-1"}, Reason: "scanner"}
		if err := tx.CreateException(e); err != nil {
			return err
		}
		e.Suppressed = 4
		if err := tx.UpdateException(e); err != nil {
			return err
		}
		if err := tx.PutAsset(&store.Asset{Host: "web-1", Criticality: "high"}); err != nil {
			return err
		}
		if err := tx.PutAsset(&store.Asset{Host: "web-1", Criticality: "critical", Groups: []string{"pci"}}); err != nil {
			return err
		}
		return tx.AddDelivery(&store.Delivery{Channel: "ops", Kind: "incident.created", OK: false, Error: "503"})
	})
	view(t, st, func(tx store.Tx) error {
		tl, err := tx.ListTimeline(in.ID)
		if err != nil || len(tl) != 3 || tl[2].Text != "2" || tl[0].ID == 0 {
			t.Errorf("timeline = %+v, %v", tl, err)
		}
		cs, err := tx.ListComments(in.ID)
		if err != nil || len(cs) != 1 || cs[0].Mentions[0] != "bob" {
			t.Errorf("comments = %+v, %v", cs, err)
		}
		ts, err := tx.ListTasks(in.ID)
		if err != nil || len(ts) != 1 || ts[0].Status != store.TaskDone {
			t.Errorf("tasks = %+v, %v", ts, err)
		}
		es, err := tx.ListExceptions()
		if err != nil || len(es) != 1 || es[0].Suppressed != 4 || es[0].Fields["host.name"] != "web-1" {
			t.Errorf("exceptions = %+v, %v", es, err)
		}
		a, err := tx.GetAsset("web-1")
		if err != nil || a.Criticality != "critical" || a.Groups[0] != "pci" {
			t.Errorf("asset = %+v, %v", a, err)
		}
		if _, err := tx.GetAsset("nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAsset(unknown) = %v", err)
		}
		ds, err := tx.ListDeliveries(store.Page{})
		if err != nil || len(ds) != 1 || ds[0].Error != "503" {
			t.Errorf("deliveries = %+v, %v", ds, err)
		}
		return nil
	})
	update(t, st, func(tx store.Tx) error {
		es, _ := tx.ListExceptions()
		if err := tx.DeleteAsset("nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAsset(unknown) = %v", err)
		}
		if err := tx.DeleteAsset("web-1"); err != nil {
			return err
		}
		return tx.DeleteException(es[0].ID)
	})
	view(t, st, func(tx store.Tx) error {
		if es, _ := tx.ListExceptions(); len(es) != 0 {
			t.Errorf("exceptions after delete = %+v", es)
		}
		if as, _ := tx.ListAssets(); len(as) != 0 {
			t.Errorf("assets after delete = %+v", as)
		}
		return nil
	})
}
