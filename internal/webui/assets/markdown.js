// A deliberately small Markdown for incident comments: paragraphs, line breaks,
// **bold**, *italic*, `code`, fenced code blocks, bullet lists and @mentions.
// Nothing else is recognised: no HTML, no links, no images. parseMarkdown is a
// pure function from text to a tree of plain objects (the end-to-end tests
// check it); renderMarkdown turns the tree into DOM nodes with createElement
// and text nodes only, so whatever a comment contains is shown as text.
import { h } from './dom.js';

// The server's mention syntax (internal/incident): @ at the start or after a
// character that is neither a word character nor @, then a username.
const MENTION = /^@([A-Za-z0-9][A-Za-z0-9._-]{0,63})/;
const FENCE = /^\s{0,3}```/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;

function isWordChar(c) {
  return /[A-Za-z0-9_]/.test(c);
}

// findClosing returns the index of the closing delimiter for an emphasis that
// opens at start (delimiter length n), or -1. The text inside must not begin or
// end with a space, and a single * never closes on a **.
function findClosing(s, start, delim) {
  const n = delim.length;
  if (start + n >= s.length || /\s/.test(s[start + n])) return -1;
  let i = start + n;
  while (i < s.length) {
    if (s[i] === '\\') {
      i += 2;
    } else if (s[i] === '`') {
      const end = s.indexOf('`', i + 1);
      i = end > i + 1 ? end + 1 : i + 1;
    } else if (s[i] !== '*') {
      i += 1;
    } else if (n === 1 && s[i + 1] === '*') {
      i += 2; // a ** inside an *emphasis*
    } else if (s.startsWith(delim, i) && i > start + n && !/\s/.test(s[i - 1])) {
      return i;
    } else {
      i += 1;
    }
  }
  return -1;
}

// parseInline splits one line of text into text, strong, em, code and mention
// nodes. mentions, when given, limits @names to those people (the ones the server
// recorded); without it every @name is a mention.
export function parseInline(s, mentions) {
  const out = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ type: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length && /[\\`*_@]/.test(s[i + 1])) {
      text += s[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        out.push({ type: 'code', text: s.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    }
    if (c === '*' && s[i + 1] === '*') {
      const end = findClosing(s, i, '**');
      if (end > 0) {
        flush();
        out.push({ type: 'strong', children: parseInline(s.slice(i + 2, end), mentions) });
        i = end + 2;
        continue;
      }
      text += '**';
      i += 2;
      continue;
    }
    if (c === '*') {
      const end = findClosing(s, i, '*');
      if (end > 0) {
        flush();
        out.push({ type: 'em', children: parseInline(s.slice(i + 1, end), mentions) });
        i = end + 1;
        continue;
      }
    }
    if (c === '@' && (i === 0 || (!isWordChar(s[i - 1]) && s[i - 1] !== '@'))) {
      const m = MENTION.exec(s.slice(i));
      if (m) {
        const name = m[1].replace(/\.+$/, '');
        if (!mentions || mentions.some((x) => x.toLowerCase() === name.toLowerCase())) {
          flush();
          out.push({ type: 'mention', name });
          i += 1 + name.length;
          continue;
        }
      }
    }
    text += c;
    i += 1;
  }
  flush();
  return out;
}

// parseMarkdown returns the blocks of a comment: {type: 'p', lines: [inline…]},
// {type: 'ul', items: [inline…]} and {type: 'pre', text}.
export function parseMarkdown(src, mentions) {
  const lines = String(src ?? '').replace(/\r\n?/g, '\n').split('\n');
  const blocks = [];
  let para = null;
  let list = null;
  const end = () => { para = null; list = null; };
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (FENCE.test(line)) {
      end();
      const body = [];
      i += 1;
      while (i < lines.length && !/^\s{0,3}```\s*$/.test(lines[i])) {
        body.push(lines[i]);
        i += 1;
      }
      blocks.push({ type: 'pre', text: body.join('\n') });
      continue;
    }
    if (!line.trim()) {
      end();
      continue;
    }
    const bullet = BULLET.exec(line);
    if (bullet) {
      para = null;
      if (!list) {
        list = { type: 'ul', items: [] };
        blocks.push(list);
      }
      list.items.push(parseInline(bullet[1].trim(), mentions));
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      // An indented line continues the last item.
      const last = list.items[list.items.length - 1];
      last.push({ type: 'br' }, ...parseInline(line.trim(), mentions));
      continue;
    }
    list = null;
    if (!para) {
      para = { type: 'p', lines: [] };
      blocks.push(para);
    }
    para.lines.push(parseInline(line.trim(), mentions));
  }
  return blocks;
}

function inlineNodes(nodes) {
  return nodes.map((n) => {
    switch (n.type) {
      case 'strong': return h('strong', null, inlineNodes(n.children));
      case 'em': return h('em', null, inlineNodes(n.children));
      case 'code': return h('code', null, n.text);
      case 'mention': return h('span', { class: 'mention', testid: 'mention' }, `@${n.name}`);
      case 'br': return h('br');
      default: return document.createTextNode(n.text);
    }
  });
}

// renderMarkdown returns an element holding the rendered comment.
export function renderMarkdown(src, mentions) {
  const blocks = parseMarkdown(src, mentions);
  return h('div', { class: 'markdown' }, blocks.map((b) => {
    if (b.type === 'pre') return h('pre', { class: 'code-block' }, h('code', null, b.text));
    if (b.type === 'ul') return h('ul', null, b.items.map((item) => h('li', null, inlineNodes(item))));
    const parts = [];
    b.lines.forEach((line, i) => {
      if (i) parts.push(h('br'));
      parts.push(...inlineNodes(line));
    });
    return h('p', null, parts);
  }));
}
