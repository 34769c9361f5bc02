package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/notify"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *API) registerNotifyRoutes() {
	a.add(&Route{Method: "GET", Path: "/api/v1/notify", Perm: auth.PermSettingsRead, Tag: "notify",
		Summary:  "Notification channels (secrets and webhook tokens hidden) and routes, from the configuration file",
		Response: notifyView{}, handle: a.getNotify})
	a.add(&Route{Method: "GET", Path: "/api/v1/notify/deliveries", Perm: auth.PermSettingsRead, Tag: "notify",
		Summary: "Notification delivery attempts, newest first, with the errors of failed ones", Response: list[store.Delivery]{},
		handle: a.listDeliveries})
	a.add(&Route{Method: "POST", Path: "/api/v1/notify/test", Perm: auth.PermSettingsWrite, Tag: "notify",
		Summary: "Send a test notification to one channel now (no routing, no retries)", Request: notifyTest{},
		Response: notifyTestResult{}, handle: a.testNotify})
}

// channelView is a channel as the API shows it: secrets hidden, but whether it has one.
type channelView struct {
	notify.Channel
	// HasSecret tells that the channel signs its messages (webhook, DingTalk, Feishu) or
	// signs in (email).
	HasSecret bool `json:"has_secret"`
}

type notifyView struct {
	Channels []channelView  `json:"channels"`
	Routes   []notify.Route `json:"routes"`
}

func (a *API) getNotify(w http.ResponseWriter, _ *http.Request, _ *principal) error {
	v := notifyView{Channels: []channelView{}, Routes: a.cfg.NotifyConfig.Routes}
	for _, c := range a.cfg.NotifyConfig.Channels {
		v.Channels = append(v.Channels, channelView{Channel: c.Redacted(), HasSecret: c.Secret != "" || c.Password != ""})
	}
	if v.Routes == nil {
		v.Routes = []notify.Route{}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request, _ *principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	var out []store.Delivery
	err = a.cfg.Store.View(r.Context(), func(tx store.Tx) error {
		ds, err := tx.ListDeliveries(pg)
		for _, d := range ds {
			out = append(out, *d)
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(out, pg, func(d store.Delivery) int64 { return d.ID }))
	return nil
}

// testSendWait bounds how long a test send waits for its channel.
const testSendWait = 20 * time.Second

type notifyTest struct {
	Channel string `json:"channel"`
}

type notifyTestResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func (a *API) testNotify(w http.ResponseWriter, r *http.Request, p *principal) error {
	if a.cfg.Notify == nil {
		return errf(http.StatusServiceUnavailable, "unavailable", "notifications are not running on this server")
	}
	var req notifyTest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	found := false
	for _, c := range a.cfg.NotifyConfig.Channels {
		found = found || c.Name == req.Channel
	}
	if !found {
		return errf(http.StatusNotFound, "not_found", "no notification channel "+req.Channel)
	}
	msg := notify.Message{Kind: notify.KindTest, Title: "Vigil test notification", Severity: "low", Status: "test",
		Summary: "Sent by " + actorName(p) + " to check the channel " + req.Channel + ".", Time: time.Now().UTC(),
		Tactics: []string{}, Techniques: []string{}, Hosts: []string{}, HostGroups: []string{}}
	res := notifyTestResult{OK: true}
	// The send waits for the channel's rate limit like any delivery; a channel busy with
	// queued notifications answers that rather than holding the request.
	ctx, cancel := context.WithTimeout(r.Context(), testSendWait)
	defer cancel()
	if err := a.cfg.Notify.Send(ctx, req.Channel, msg); err != nil {
		res = notifyTestResult{Error: err.Error()}
		if errors.Is(err, context.DeadlineExceeded) {
			res.Error = "the channel's rate limit is taken by queued notifications; try again in a minute"
		}
	}
	// The test send is in the delivery log like any other, so its outcome stays visible.
	d := &store.Delivery{Time: time.Now().UTC(), Channel: req.Channel, Kind: notify.KindTest, Attempt: 1, OK: res.OK,
		Final: true, Error: res.Error}
	if err := a.cfg.Store.Update(r.Context(), func(tx store.Tx) error { return tx.AddDelivery(d) }); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
