package store

import "time"

// IncidentTx is the part of a transaction that keeps alerts, incidents and what hangs
// off them (timeline, comments, tasks, team), exceptions, assets and notification
// deliveries. Alerts live in the platform database, not the event database, so that a
// change to an alert, its incident and the audit entry commit together.
type IncidentTx interface {
	InsertAlert(a *Alert) error
	UpdateAlert(a *Alert) error
	GetAlert(id int64) (*Alert, error)
	// FindAlertByKey returns the newest alert with the deduplication key whose last
	// sighting is at or after since and whose status is not closed, or ErrNotFound.
	FindAlertByKey(key string, since time.Time) (*Alert, error)
	// ListAlerts returns the alerts the filter selects, newest first.
	ListAlerts(f AlertFilter, p Page) ([]*Alert, error)

	CreateIncident(in *Incident) error
	UpdateIncident(in *Incident) error
	GetIncident(id int64) (*Incident, error)
	// ListIncidents returns the incidents the filter selects, newest first.
	ListIncidents(f IncidentFilter, p Page) ([]*Incident, error)
	// IncidentsByEntity returns the incidents not closed, active at or after since,
	// that share one of the entities, most recently active first.
	IncidentsByEntity(entities []Entity, since time.Time) ([]*Incident, error)

	AddTimeline(e *TimelineEntry) error
	ListTimeline(incidentID int64) ([]*TimelineEntry, error)
	AddComment(c *Comment) error
	ListComments(incidentID int64) ([]*Comment, error)
	CreateTask(t *Task) error
	UpdateTask(t *Task) error
	GetTask(id int64) (*Task, error)
	ListTasks(incidentID int64) ([]*Task, error)

	CreateException(e *Exception) error
	UpdateException(e *Exception) error
	GetException(id int64) (*Exception, error)
	DeleteException(id int64) error
	ListExceptions() ([]*Exception, error)

	// PutAsset creates or replaces the asset record of a host.
	PutAsset(a *Asset) error
	GetAsset(host string) (*Asset, error)
	DeleteAsset(host string) error
	ListAssets() ([]*Asset, error)

	// AddDelivery records a notification attempt; the oldest are dropped beyond a bound.
	AddDelivery(d *Delivery) error
	ListDeliveries(p Page) ([]*Delivery, error)
}

// Alert statuses.
const (
	AlertOpen          = "open"
	AlertAcknowledged  = "acknowledged"
	AlertFalsePositive = "false_positive"
	AlertClosed        = "closed"
)

// Alert is a detection as people work on it: one row for repeats of the same rule and
// group within the deduplication window (Count says how many times it was raised).
type Alert struct {
	ID         int64     `json:"id"`
	Key        string    `json:"-"` // deduplication key: rule and group
	RuleID     string    `json:"rule_id"`
	RuleTitle  string    `json:"rule_title"`
	Level      string    `json:"level"`
	Kind       string    `json:"kind"` // detection or correlation
	Tags       []string  `json:"tags"`
	Techniques []string  `json:"techniques"` // matrix technique ids (CS-IA-01)
	Tactics    []string  `json:"tactics"`    // their tactic codes (IA), in matrix order
	Host       string    `json:"host"`
	Entities   []Entity  `json:"entities"`
	GroupKey   string    `json:"group_key,omitempty"`
	EventIDs   []string  `json:"event_ids"` // the first events, bounded
	Count      int       `json:"count"`
	FirstEvent time.Time `json:"first_event"` // time of the first matched event
	LastEvent  time.Time `json:"last_event"`
	FirstSeen  time.Time `json:"first_seen"` // when the platform first raised it
	LastSeen   time.Time `json:"last_seen"`
	Status     string    `json:"status"`
	Assignee   string    `json:"assignee,omitempty"`
	IncidentID int64     `json:"incident_id,omitempty"`
	// Doc is the latest raising as the detection engine wrote it (matched fields,
	// group, window, correlation).
	Doc []byte `json:"-"`
}

// AlertFilter selects alerts; empty fields select everything.
type AlertFilter struct {
	Status     []string
	Levels     []string
	Technique  string
	Host       string
	RuleID     string
	IncidentID int64 // -1: alerts in no incident
	// SeenFrom and SeenTo bound LastSeen: [SeenFrom, SeenTo); zero bounds are open.
	SeenFrom, SeenTo time.Time
}

// Entity is something alerts share that ties them to one incident: a host, a user, a
// source address, a cloud access key or role.
type Entity struct {
	Kind  string `json:"kind"` // host, user, ip, key, role
	Value string `json:"value"`
}

// Incident statuses, in the order of the NIST SP 800-61 lifecycle.
const (
	StatusNew           = "new"
	StatusTriage        = "triage"
	StatusInvestigating = "investigating"
	StatusContained     = "contained"
	StatusEradicated    = "eradicated"
	StatusRecovered     = "recovered"
	StatusClosed        = "closed"
)

// Incident is a group of alerts that people handle as one attack.
type Incident struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Status      string    `json:"status"`
	Severity    string    `json:"severity"`
	Resolution  string    `json:"resolution,omitempty"`
	Summary     string    `json:"summary,omitempty"`
	Commander   string    `json:"commander,omitempty"`
	Members     []Member  `json:"members"`
	Entities    []Entity  `json:"entities"`
	Techniques  []string  `json:"techniques"`
	Tactics     []string  `json:"tactics"` // reached, in matrix order
	AlertCount  int       `json:"alert_count"`
	Criticality string    `json:"asset_criticality,omitempty"`
	HostGroups  []string  `json:"host_groups,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// LastActivity is when an alert last joined or repeated; grouping looks at it.
	LastActivity time.Time `json:"last_activity"`
	// FirstEvent is the time of the first malicious event; FirstAlert when the
	// platform raised the first alert. Their difference is the time to detect.
	FirstEvent      time.Time `json:"first_event"`
	FirstAlert      time.Time `json:"first_alert"`
	AcknowledgedAt  time.Time `json:"acknowledged_at,omitzero"`
	ContainedAt     time.Time `json:"contained_at,omitzero"`
	ResolvedAt      time.Time `json:"resolved_at,omitzero"`
	AckDue          time.Time `json:"ack_due,omitzero"`
	ContainDue      time.Time `json:"contain_due,omitzero"`
	AckBreached     bool      `json:"ack_breached,omitempty"`
	ContainBreached bool      `json:"contain_breached,omitempty"`
	MergedInto      int64     `json:"merged_into,omitempty"`
}

// Member is a person on an incident's team.
type Member struct {
	Username string `json:"username"`
	Role     string `json:"role"` // analyst, responder, communications, watcher
}

// IncidentFilter selects incidents; empty fields select everything.
type IncidentFilter struct {
	Status    []string
	Severity  []string
	Host      string
	Technique string
	// From and To bound CreatedAt: [From, To); zero bounds are open.
	From, To time.Time
}

// TimelineEntry is one thing that happened to an incident.
type TimelineEntry struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	Kind       string    `json:"kind"` // created, alert, status, severity, member, comment, task, sla_breach, ...
	Text       string    `json:"text"`
	Detail     string    `json:"detail,omitempty"` // JSON
}

// Comment is a Markdown note on an incident.
type Comment struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	Time       time.Time `json:"time"`
	Author     string    `json:"author"`
	Body       string    `json:"body"`
	Mentions   []string  `json:"mentions"`
}

// Task statuses.
const (
	TaskOpen    = "open"
	TaskDone    = "done"
	TaskSkipped = "skipped"
)

// Task is a step of the response, from a technique's checklist or added by hand.
type Task struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	Technique  string    `json:"technique,omitempty"`
	Phase      string    `json:"phase"`
	Action     string    `json:"action,omitempty"`
	Title      string    `json:"title"`
	TitleZh    string    `json:"title_zh,omitempty"`
	Owner      string    `json:"owner,omitempty"`
	Due        time.Time `json:"due,omitzero"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Exception suppresses a rule's matches on chosen field values: a Sigma filter the live
// engine applies.
type Exception struct {
	ID         int64             `json:"id"`
	SigmaID    string            `json:"sigma_id"` // the filter document's id (a UUID)
	RuleID     string            `json:"rule_id"`
	RuleTitle  string            `json:"rule_title"`
	Fields     map[string]string `json:"fields"`
	Author     string            `json:"author"`
	Reason     string            `json:"reason"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	Expires    time.Time         `json:"expires,omitzero"`
	Disabled   bool              `json:"disabled"`
	AlertID    int64             `json:"alert_id,omitempty"` // the alert it was made from
	Suppressed uint64            `json:"suppressed"`         // events suppressed, kept across restarts
}

// Asset is what the platform knows of a host beyond its logs: how much it matters and
// the groups it belongs to (for notification routing).
type Asset struct {
	Host        string    `json:"host"`
	Criticality string    `json:"criticality"` // low, medium, high, critical
	Groups      []string  `json:"groups"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Delivery is one attempt to deliver a notification.
type Delivery struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Channel    string    `json:"channel"`
	Kind       string    `json:"kind"`
	IncidentID int64     `json:"incident_id,omitempty"`
	Attempt    int       `json:"attempt"`
	OK         bool      `json:"ok"`
	Final      bool      `json:"final"`
	Error      string    `json:"error,omitempty"`
}
