package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// loadConfig decodes a YAML configuration strictly, as the server's config does.
func loadConfig(data []byte) (Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// TestConfigFiles runs testdata/config: each *.good.yml must load and validate, and
// each *.bad.yml must fail with every error named by its "# want:" lines.
func TestConfigFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/config/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(data)
			if strings.HasSuffix(file, ".good.yml") {
				if err != nil {
					t.Fatalf("invalid: %v", err)
				}
				if _, err := New(cfg, Options{}); err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			var wants []string
			for line := range strings.Lines(string(data)) {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					wants = append(wants, strings.TrimSpace(w))
				}
			}
			if len(wants) == 0 {
				t.Fatal("a bad file needs # want: lines")
			}
			for _, w := range wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q; got:\n%v", w, err)
				}
			}
			// Every error is accounted for, so an extra one shows up here.
			if n := strings.Count(err.Error(), "\n") + 1; n != len(wants) && !strings.Contains(file, "unknown-key") {
				t.Errorf("%d errors, %d wanted:\n%v", n, len(wants), err)
			}
		})
	}
}

func TestValidateErrorsAreTyped(t *testing.T) {
	err := Config{Channels: []Channel{{Name: "ops", Type: TypeSlack}}}.Validate()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Validate = %v, want a *FieldError", err)
	}
	if fe.Section != "channel" || fe.Name != "ops" || fe.Field != "url" {
		t.Errorf("FieldError = %+v", fe)
	}
	if err := (Channel{Name: "ops", Type: TypeSlack, URL: "https://hooks.slack.com/x"}).Validate(); err != nil {
		t.Errorf("Channel.Validate: %v", err)
	}
}

func TestValidateDoesNotQuoteTheURL(t *testing.T) {
	// A URL that fails to parse is not repeated in the error: it may hold a token.
	err := Channel{Name: "x", Type: TypeDingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=%zz-token"}.Validate()
	if err != nil && strings.Contains(err.Error(), "token") {
		t.Errorf("error quotes the URL: %v", err)
	}
	err = Channel{Name: "x", Type: TypeWebhook, URL: "http://[::1]:namedport/secret-path"}.Validate()
	if err == nil || strings.Contains(err.Error(), "secret-path") {
		t.Errorf("Validate = %v", err)
	}
}

func TestConfigRoundTripsThroughJSON(t *testing.T) {
	data, err := os.ReadFile("testdata/config/full.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cfg) {
		t.Errorf("JSON round trip changed the configuration:\n%+v\n%+v", back, cfg)
	}
	if !strings.Contains(string(js), `"rate_per_minute":20`) || !strings.Contains(string(js), `"min_severity":"high"`) {
		t.Errorf("JSON keys differ from the YAML keys: %s", js)
	}
}

func TestChannelRedacted(t *testing.T) {
	ch := Channel{Name: "ding", Type: TypeDingTalk, URL: "https://oapi.dingtalk.com/robot/send?access_token=abc123",
		Secret: "SECxyz", Password: "pw", To: []string{"a@example.com"}}
	r := ch.Redacted()
	if r.Secret != "" || r.Password != "" || r.URL != "https://oapi.dingtalk.com/REDACTED" {
		t.Errorf("Redacted = %+v", r)
	}
	r.To[0] = "changed"
	if ch.To[0] != "a@example.com" {
		t.Error("Redacted shares To with the original")
	}
}
