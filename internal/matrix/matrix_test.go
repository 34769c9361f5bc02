package matrix

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/parse"
)

// missionTactic is a column of the matrix as the mission lists it (section 3), with
// the Chinese names of the seed article.
type missionTactic struct {
	code, en, zh string
	attack       string
	techniques   []missionTechnique
}

// missionTechnique is one matrix item: the mission's wording and the seed's Chinese
// name (the privilege-escalation names are derived from the seed's one sentence on
// that tactic).
type missionTechnique struct {
	mission, zh string
}

// missionMatrix is the cloud-server part of the matrix v1.0, as the mission lists it.
var missionMatrix = []missionTactic{
	{"IA", "Initial access", "初始访问", "TA0001", []missionTechnique{
		{"cloud platform master API key leaked (SecretId/SecretKey)", "云平台主API密钥泄露"},
		{"illegal login to the cloud console account (weak password, leaked credentials, phished verification)", "云平台账号非法登录"},
		{"instance login credentials leaked (password or SSH key)", "实例登录信息泄露"},
		{"account hijack via console vulnerability (e.g. XSS)", "账户劫持"},
		{"phishing", "网络钓鱼"},
		{"application vulnerability", "应用程序漏洞"},
		{"malicious or vulnerable custom image (supply chain)", "使用恶意或存在漏洞的自定义镜像"},
		{"unauthorized access to the instance metadata service", "实例元数据服务未授权访问"},
	}},
	{"EX", "Execution", "执行", "TA0002", []missionTechnique{
		{"log in to the instance from the web console", "通过控制台登录实例执行"},
		{"userdata executed at boot", "写入userdata执行"},
		{"backdoor file", "利用后门文件执行"},
		{"through an application", "利用应用程序执行"},
		{"over SSH", "利用SSH服务进入实例执行"},
		{"remote code execution exploit", "利用远程代码执行漏洞执行"},
		{"through the cloud API (e.g. remote command services)", "使用云API执行"},
	}},
	{"PS", "Persistence", "持久化", "TA0003", []missionTechnique{
		{"remote-control software", "利用远程控制软件"},
		{"backdoor in userdata", "在userdata中添加后门"},
		{"backdoor in a cloud function", "在云函数中添加后门"},
		{"backdoored image in the custom image registry", "在自定义镜像库中导入后门镜像"},
		{"extra API key for an existing user", "给现有用户分配额外API密钥"},
		{"auxiliary (sub-)account with a policy", "建立辅助账号登录"},
	}},
	{"PR", "Privilege escalation", "权限提升", "TA0004", []missionTechnique{
		{"raising a sub-account's rights via access management", "通过访问管理提升子账号权限"},
		{"application vulnerability", "利用应用程序漏洞提权"},
		{"creating a high-privilege role", "创建高权限角色"},
	}},
	{"DE", "Defense evasion", "防御绕过", "TA0005", []missionTechnique{
		{"stopping security monitoring services", "关闭安全监控服务"},
		{"attacking from regions outside monitoring", "监控区域外进行攻击"},
		{"disabling logging", "禁用日志记录"},
	}},
	{"CA", "Credential access", "窃取凭证", "TA0006", []missionTechnique{
		{"instance login credentials on the server", "获取服务器实例登录凭据"},
		{"role temporary credentials from the metadata service", "元数据服务获取角色临时凭据"},
		{"application credentials in config files", "获取配置文件中的应用凭证"},
		{"cloud-service credentials stored in plain text", "云服务凭证泄露"},
		{"user account data", "用户账号数据泄露"},
	}},
	{"DI", "Discovery", "探测", "TA0007", []missionTechnique{
		{"cloud asset discovery", "云资产探测"},
		{"network scanning", "网络扫描"},
	}},
	{"LM", "Lateral movement", "横向移动", "TA0008", []missionTechnique{
		{"brute force with instance accounts", "使用实例账号爆破"},
		{"moving with console permissions", "通过控制台权限横向移动"},
		{"using stolen role temporary credentials", "窃取角色临时凭据横向访问"},
	}},
	{"IM", "Impact", "影响", "TA0040", []missionTechnique{
		{"stealing source code", "窃取项目源码"},
		{"stealing user data", "窃取用户数据"},
		{"destroying files", "破坏文件"},
		{"planting backdoors", "植入后门"},
		{"encryption for ransom", "加密勒索"},
	}},
}

// laterEditions are the items of later public editions that the product includes,
// with the tactic each belongs to.
var laterEditions = []struct{ tactic, mission string }{
	{"DE", "log clearing"},
	{"DE", "access through proxies"},
	{"PR", "OS-exploit privilege escalation"},
	{"IM", "resource hijacking (mining)"},
	{"IM", "denial of service"},
}

func mustLoad(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatalf("the embedded catalog does not load: %v", err)
	}
	return c
}

func TestEmbeddedCatalogLoadsAndValidates(t *testing.T) {
	c := mustLoad(t)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Techniques()); n < 47 {
		t.Errorf("%d techniques, want at least 47", n)
	}
	if n := len(c.BestPractices()); n == 0 {
		t.Error("no best practices")
	}
}

func TestTacticsInAttackPathOrder(t *testing.T) {
	c := mustLoad(t)
	tactics := c.Tactics()
	if len(tactics) != len(missionMatrix) {
		t.Fatalf("%d tactics, want %d", len(tactics), len(missionMatrix))
	}
	for i, want := range missionMatrix {
		got := tactics[i]
		if got.ID != want.code || got.Order != i+1 || got.Attack != want.attack ||
			got.Name.En != want.en || got.Name.Zh != want.zh {
			t.Errorf("tactic %d = %s %d %s %q %q, want %s %d %s %q %q", i+1,
				got.ID, got.Order, got.Attack, got.Name.En, got.Name.Zh,
				want.code, i+1, want.attack, want.en, want.zh)
		}
		if ta, ok := c.Tactic(want.code); !ok || ta != got {
			t.Errorf("Tactic(%s) does not find it", want.code)
		}
	}
}

// TestCoversTheMissionMatrix checks that every item of the mission's matrix and of
// the later editions maps to exactly one technique of its tactic, and that the
// catalog holds nothing else.
func TestCoversTheMissionMatrix(t *testing.T) {
	c := mustLoad(t)
	byItem := map[[2]string][]*Technique{}
	for _, tq := range c.Techniques() {
		k := [2]string{tq.Tactic, tq.MissionName}
		byItem[k] = append(byItem[k], tq)
	}
	listed := map[string]bool{}
	check := func(tactic, mission string, edition Edition, zh string) {
		found := byItem[[2]string{tactic, mission}]
		if len(found) != 1 {
			t.Errorf("%s %q maps to %d techniques, want exactly one", tactic, mission, len(found))
			return
		}
		tq := found[0]
		listed[tq.ID] = true
		if tq.Edition != edition {
			t.Errorf("%s (%q) is of edition %q, want %q", tq.ID, mission, tq.Edition, edition)
		}
		if zh != "" && tq.Name.Zh != zh {
			t.Errorf("%s is named %q in Chinese, want the seed's %q", tq.ID, tq.Name.Zh, zh)
		}
	}
	for _, ta := range missionMatrix {
		for _, tq := range ta.techniques {
			check(ta.code, tq.mission, EditionV1, tq.zh)
		}
		if got, want := len(c.TechniquesOf(ta.code)), len(ta.techniques); got < want {
			t.Errorf("tactic %s has %d techniques, fewer than the mission's %d", ta.code, got, want)
		}
	}
	for _, l := range laterEditions {
		check(l.tactic, l.mission, EditionLater, "")
	}
	for _, tq := range c.Techniques() {
		if !listed[tq.ID] {
			t.Errorf("%s (%q) is neither in the mission's matrix nor a later-edition item", tq.ID, tq.MissionName)
		}
	}
}

func TestTechniqueOrderAndLookup(t *testing.T) {
	c := mustLoad(t)
	all := c.Techniques()
	prevOrder, prevID := 0, ""
	for _, tq := range all {
		ta, _ := c.Tactic(tq.Tactic)
		if ta.Order < prevOrder || ta.Order == prevOrder && tq.ID <= prevID {
			t.Errorf("%s comes after %s", tq.ID, prevID)
		}
		prevOrder, prevID = ta.Order, tq.ID
		if got, ok := c.Technique(tq.ID); !ok || got != tq {
			t.Errorf("Technique(%s) does not find it", tq.ID)
		}
	}
	if _, ok := c.Technique("CS-XX-99"); ok {
		t.Error("Technique finds an id that does not exist")
	}
	if all[0].ID != "CS-IA-01" {
		t.Errorf("the first technique is %s, want CS-IA-01", all[0].ID)
	}
	// The lists are copies: changing one does not change the catalog.
	all[0] = nil
	if c.Techniques()[0] == nil {
		t.Error("Techniques returns the catalog's own slice")
	}
}

func TestByAttack(t *testing.T) {
	c := mustLoad(t)
	ids := func(ts []*Technique) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	for _, tc := range []struct {
		attack  string
		include []string
		exclude []string
	}{
		{"T1098.001", []string{"CS-PS-05"}, []string{"CS-PS-06"}},
		{"t1098.001", []string{"CS-PS-05"}, nil},
		{"T1098", []string{"CS-PS-05", "CS-PS-06", "CS-PR-01", "CS-PR-03", "CS-IM-04"}, nil},
		{"T1552.005", []string{"CS-IA-08", "CS-CA-02"}, []string{"CS-CA-03"}},
		{"T1562.008", []string{"CS-DE-03"}, []string{"CS-DE-01"}},
		{"T1496", []string{"CS-IM-06"}, nil},
		{"T1110", []string{"CS-IA-02", "CS-LM-01"}, nil},
	} {
		got := ids(c.ByAttack(tc.attack))
		for _, id := range tc.include {
			if !slices.Contains(got, id) {
				t.Errorf("ByAttack(%s) = %v, missing %s", tc.attack, got, id)
			}
		}
		for _, id := range tc.exclude {
			if slices.Contains(got, id) {
				t.Errorf("ByAttack(%s) = %v, should not hold %s", tc.attack, got, id)
			}
		}
	}
	if got := c.ByAttack("T9999"); len(got) != 0 {
		t.Errorf("ByAttack(T9999) = %v", ids(got))
	}
	if got := c.ByAttack(""); len(got) != 0 {
		t.Errorf("ByAttack(\"\") = %v", ids(got))
	}
}

func TestBestPractices(t *testing.T) {
	c := mustLoad(t)
	// The practices the mission names in sections 2 and 4 are all there.
	for _, id := range []string{"BP-PASSWORD", "BP-MFA", "BP-PATCH", "BP-LEAST-PRIV", "BP-LOGGING",
		"BP-FIREWALL", "BP-IDS", "BP-BACKUP", "BP-TRAINING", "BP-ENCRYPT", "BP-AUDIT",
		"BP-CLOSE-PORTS", "BP-SIEM", "BP-ENDPOINT", "BP-ANTI-DDOS", "BP-CDN-ORIGIN"} {
		if _, ok := c.BestPractice(id); !ok {
			t.Errorf("best practice %s is missing", id)
		}
	}
	if _, ok := c.BestPractice("BP-NOPE"); ok {
		t.Error("BestPractice finds an id that does not exist")
	}
	for _, tq := range c.Techniques() {
		for _, m := range tq.Mitigations {
			if _, ok := c.BestPractice(m); !ok {
				t.Errorf("%s refers to %s, which BestPractice does not find", tq.ID, m)
			}
		}
	}
}

// TestDetectability checks the undetectable techniques the issue expects (phishing
// itself) and that every other one names a data source.
func TestDetectability(t *testing.T) {
	c := mustLoad(t)
	phishing, _ := c.Technique("CS-IA-05")
	if phishing.Detectable || phishing.Undetectable == nil || len(phishing.Undetectable.LaterEvidence) == 0 {
		t.Errorf("phishing should be undetectable with later evidence: %+v", phishing)
	}
	for _, tq := range c.Techniques() {
		if tq.Detectable && tq.DataSources.Empty() {
			t.Errorf("%s is detectable without data sources", tq.ID)
		}
	}
}

// TestHostLogTypesAreParsers keeps the catalog's host log types in step with the
// parsers: each is a parser's type, and each host parser is one.
func TestHostLogTypesAreParsers(t *testing.T) {
	types := parse.Types()
	notHost := []string{"json", "cloudtrail", "cloudaudit", "actiontrail"}
	for _, h := range HostLogTypes() {
		if !slices.Contains(types, h) || slices.Contains(notHost, h) {
			t.Errorf("host log type %q is not a host parser (parsers: %v)", h, types)
		}
	}
	for _, p := range types {
		if !slices.Contains(notHost, p) && !slices.Contains(HostLogTypes(), p) {
			t.Errorf("parser %q is missing from HostLogTypes", p)
		}
	}
}

// TestCloudCoverage checks that each technique revealed by cloud audit logs names
// events of all three providers, or says in its notes why not.
func TestCloudCoverage(t *testing.T) {
	c := mustLoad(t)
	for _, tq := range c.Techniques() {
		cloud := tq.DataSources.Cloud
		if cloud.Empty() {
			continue
		}
		for _, p := range Providers() {
			if len(cloud.For(p)) == 0 && tq.Notes == nil {
				t.Errorf("%s names cloud events but none of %s, and no notes say why", tq.ID, p)
			}
		}
	}
	if got := (CloudEvents{}).For("azure"); got != nil {
		t.Errorf("For(azure) = %v", got)
	}
}

func TestSplitCloudEvent(t *testing.T) {
	for _, tc := range []struct {
		in, service, name string
		ok                bool
	}{
		{"iam.amazonaws.com:CreateAccessKey", "iam.amazonaws.com", "CreateAccessKey", true},
		{"CreateAccessKey", "", "", false},
		{":CreateAccessKey", "", "", false},
		{"iam.amazonaws.com:", "", "", false},
	} {
		s, n, ok := SplitCloudEvent(tc.in)
		if s != tc.service || n != tc.name || ok != tc.ok {
			t.Errorf("SplitCloudEvent(%q) = %q, %q, %v", tc.in, s, n, ok)
		}
	}
}

func TestResponseChecklists(t *testing.T) {
	c := mustLoad(t)
	for _, tq := range c.Techniques() {
		for _, p := range Phases() {
			if len(tq.Steps(p)) == 0 {
				t.Errorf("%s has no %s step", tq.ID, p)
			}
		}
		contained := false
		for _, s := range tq.Steps(PhaseContain) {
			contained = contained || s.Action != ""
		}
		if !contained {
			t.Errorf("%s has no containment step with an action", tq.ID)
		}
	}
}

// TestJSON checks the shape the API and the UI will read: steps carry their texts
// at the top level, next to the phase.
func TestJSON(t *testing.T) {
	c := mustLoad(t)
	tq, _ := c.Technique("CS-IA-01")
	data, err := json.Marshal(tq)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		ID       string `json:"id"`
		Response []struct {
			Phase, Action, Zh, En string
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.ID != "CS-IA-01" || len(back.Response) == 0 || back.Response[0].Phase != "confirm" ||
		back.Response[0].En == "" || back.Response[0].Zh == "" {
		t.Errorf("JSON = %s", data)
	}
	if !strings.Contains(string(data), `"action":"disable-access-key"`) {
		t.Errorf("JSON lacks the containment action: %s", data)
	}
}
