// Message catalogs. Every user-visible string goes through t() in the
// scripts or a data-i18n attribute in the markup; the catalogs live in
// i18n/<language>.json and have identical key sets (checked by the Go tests).

export const LANGUAGES = ['en', 'zh-CN'];
const STORAGE_KEY = 'vigil.language';

let lang = 'en';
let messages = {};
let fallback = {};
const cache = new Map();

async function loadCatalog(code) {
  if (cache.has(code)) return cache.get(code);
  const res = await fetch(`/assets/i18n/${code}.json`, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`catalog ${code}: HTTP ${res.status}`);
  const data = await res.json();
  cache.set(code, data);
  return data;
}

// normalize maps any language tag onto a supported one, or '' if none fits.
export function normalize(tag) {
  if (!tag) return '';
  const lower = String(tag).toLowerCase();
  if (lower.startsWith('zh')) return 'zh-CN';
  if (lower.startsWith('en')) return 'en';
  return '';
}

export function browserLanguage() {
  const list = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  for (const tag of list) {
    if (String(tag || '').toLowerCase().startsWith('zh')) return 'zh-CN';
  }
  return 'en';
}

// The language chosen before signing in (stored on this device), if any.
export function storedLanguage() {
  try { return normalize(localStorage.getItem(STORAGE_KEY)); } catch (_) { return ''; }
}

export function storeLanguage(code) {
  try {
    if (code) localStorage.setItem(STORAGE_KEY, code);
    else localStorage.removeItem(STORAGE_KEY);
  } catch (_) { /* storage disabled: the choice lasts for this page only */ }
}

// preferredLanguage picks the language for a user object (or none before
// sign-in): the user's saved language, else this device's choice, else the
// browser's languages.
export function preferredLanguage(user) {
  return normalize(user && user.language) || storedLanguage() || browserLanguage();
}

export function currentLanguage() {
  return lang;
}

export async function setLanguage(code) {
  const next = normalize(code) || 'en';
  if (!fallback || !Object.keys(fallback).length) fallback = await loadCatalog('en');
  messages = next === 'en' ? fallback : await loadCatalog(next);
  lang = next;
  document.documentElement.lang = next;
  applyTranslations(document);
}

export function t(key, params) {
  let text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key]
    : Object.prototype.hasOwnProperty.call(fallback, key) ? fallback[key] : key;
  if (params) {
    text = text.replace(/\{(\w+)\}/g, (m, name) => (Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m));
  }
  return text;
}

// applyTranslations fills the static markup: data-i18n sets the text,
// data-i18n-placeholder / -title / -aria-label set those attributes.
export function applyTranslations(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.setAttribute('title', t(el.dataset.i18nTitle));
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
}
