package notify

import (
	"fmt"
	"strings"
	"time"
)

// Bounds of what a chat message shows, so that an incident on a thousand hosts still
// fits the providers' size limits; the webhook and the email carry everything.
const (
	maxListItems    = 10
	maxSummaryBytes = 2000
	maxTitleRunes   = 200
)

// fact is one labelled field of a message as the text formats show it.
type fact struct{ label, value string }

// headline is the one-line title of a message: "[HIGH] Incident #42: title".
func headline(m Message) string {
	var b strings.Builder
	if m.Severity != "" {
		b.WriteString("[" + strings.ToUpper(oneLine(m.Severity)) + "] ")
	}
	if m.IncidentID != 0 {
		fmt.Fprintf(&b, "Incident #%d: ", m.IncidentID)
	}
	title := m.Title
	if strings.TrimSpace(title) == "" {
		title = m.Kind
	}
	b.WriteString(oneLine(title))
	return b.String()
}

// facts returns the labelled fields of m, leaving out the empty ones, in a fixed order.
func facts(m Message, lists int) []fact {
	var fs []fact
	add := func(label, value string) {
		if value != "" {
			fs = append(fs, fact{label, value})
		}
	}
	add("Severity", oneLine(m.Severity))
	add("Status", oneLine(m.Status))
	add("Kind", oneLine(m.Kind))
	add("Tactics", listText(m.Tactics, lists))
	add("Techniques", listText(m.Techniques, lists))
	add("Hosts", listText(m.Hosts, lists))
	add("Host groups", listText(m.HostGroups, lists))
	if !m.Time.IsZero() {
		add("Time", m.Time.UTC().Format(time.RFC3339))
	}
	return fs
}

// listText joins up to n items (all when n <= 0), saying how many were left out.
func listText(items []string, n int) string {
	if n <= 0 || len(items) <= n {
		n = len(items)
	}
	parts := make([]string, 0, n)
	for _, it := range items[:n] {
		parts = append(parts, oneLine(it))
	}
	s := strings.Join(parts, ", ")
	if rest := len(items) - n; rest > 0 {
		s += fmt.Sprintf(" (+%d more)", rest)
	}
	return s
}

// oneLine folds s onto one line and bounds its length; titles and ids come from event
// data, which an attacker may shape.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxTitleRunes {
		s = string(r[:maxTitleRunes-1]) + "…"
	}
	return s
}

// summaryText returns the summary trimmed and bounded to n bytes (all when n <= 0).
func summaryText(m Message, n int) string {
	s := strings.TrimSpace(strings.ReplaceAll(m.Summary, "\r\n", "\n"))
	if n > 0 {
		s = truncate(s, n)
	}
	return s
}

// plainText is the message as plain text: the email body and the Feishu text message.
// lists and summary bound the lists and the summary as in facts and summaryText.
func plainText(m Message, lists, summary int) string {
	var b strings.Builder
	b.WriteString(headline(m) + "\n\n")
	for _, f := range facts(m, lists) {
		b.WriteString(f.label + ": " + f.value + "\n")
	}
	if s := summaryText(m, summary); s != "" {
		b.WriteString("\n" + s + "\n")
	}
	if m.URL != "" {
		b.WriteString("\nOpen in Vigil: " + m.URL + "\n")
	}
	return b.String()
}

// markdownText is the message in the Markdown subset of the DingTalk and WeCom robots.
// Every value from the message is escaped, so event data cannot add links, images or
// markup of its own. list is the prefix of a fact line ("- " where lists render);
// value renders a fact's escaped value (WeCom colours the severity).
func markdownText(m Message, list string, value func(f fact, escaped string) string) string {
	var b strings.Builder
	b.WriteString("### " + escapeMarkdown(headline(m)) + "\n\n")
	for _, f := range facts(m, maxListItems) {
		b.WriteString(list + "**" + f.label + ":** " + value(f, escapeMarkdown(f.value)) + "\n")
	}
	if s := summaryText(m, maxSummaryBytes); s != "" {
		b.WriteString("\n")
		for line := range strings.SplitSeq(s, "\n") {
			b.WriteString("> " + escapeMarkdown(line) + "\n")
		}
	}
	if m.URL != "" {
		b.WriteString("\n[Open in Vigil](" + markdownURL(m.URL) + ")\n")
	}
	return b.String()
}

// markdownEscaper puts a backslash before the characters that start Markdown
// emphasis, code, links, images and HTML.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `~`, `\~`, `!`, `\!`,
)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// markdownURL escapes the characters that would end a Markdown link target early.
func markdownURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(u)
}
