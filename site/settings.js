// The site's own settings — its address, name, logo, links and language — in a JSON file the user
// owns, outside the kit: updating the kit (a new docusaurus.config.js) keeps them.
//
//   DOCMOST_SYNCD_SITE_CONFIG  the file; default site.config.json in this folder (git ignores it)
//
// site.config.example.json lists every key. A key the kit does not know, or a value of the wrong
// kind, stops the build with one line naming the file and the key (exit status 78): a typo must
// not publish a site under the wrong address.
const fs = require('fs');
const path = require('path');

const DEFAULT_URL = 'http://localhost';
const settingsFile = path.resolve(__dirname, process.env.DOCMOST_SYNCD_SITE_CONFIG || 'site.config.json');

const DEFAULTS = {
  url: DEFAULT_URL,
  baseUrl: '/',
  title: 'Docmost',
  tagline: 'Published by docmost-syncd',
  language: 'en',
  assets: null, // a folder (relative to the settings file) served at the site's root: logo, favicon
  logo: null, // a file in `assets`, shown in the navbar
  favicon: null, // a file in `assets`; the kit's own icon when unset
  navbar: [], // [{label, href}] on the navbar's right
  footer: [], // [{label, href}] in the footer
  copyright: null,
};

class SettingsError extends Error {}

function fail(reason) {
  throw new SettingsError(`[docmost-site] ${settingsFile}: ${reason}`);
}

function checkLinks(key, links) {
  if (!Array.isArray(links)) fail(`"${key}" must be a list of {"label", "href"}`);
  return links.map((link, at) => {
    if (!link || typeof link.label !== 'string' || typeof link.href !== 'string' || !/^(https?:\/\/|mailto:|\/)/.test(link.href)) {
      fail(`"${key}"[${at}] must be {"label": text, "href": an http(s) or mailto: URL, or a path starting with /}`);
    }
    return {label: link.label, href: link.href};
  });
}

function loadSettings() {
  let given = {};
  if (fs.existsSync(settingsFile)) {
    try {
      given = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    } catch (error) {
      fail(`not valid JSON (${error.message})`);
    }
    if (!given || typeof given !== 'object' || Array.isArray(given)) fail('must hold one JSON object');
  } else if (process.env.DOCMOST_SYNCD_SITE_CONFIG) {
    fail('no such file (DOCMOST_SYNCD_SITE_CONFIG names it)');
  }
  for (const key of Object.keys(given)) {
    if (!(key in DEFAULTS)) fail(`unknown key "${key}" (known: ${Object.keys(DEFAULTS).join(', ')})`);
  }
  const settings = {...DEFAULTS, ...given};
  for (const key of ['url', 'baseUrl', 'title', 'tagline', 'language']) {
    if (typeof settings[key] !== 'string' || !settings[key]) fail(`"${key}" must be a non-empty text`);
  }
  settings.url = settings.url.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+$/.test(settings.url)) {
    fail(`"url" must be the site's address without a path, like https://docs.example.com (a path goes in "baseUrl")`);
  }
  if (!/^\/([^\s]*\/)?$/.test(settings.baseUrl)) fail('"baseUrl" must start and end with /, like / or /docs-site/');
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(settings.language)) fail('"language" must be a language tag, like en or ko');
  settings.navbar = checkLinks('navbar', settings.navbar);
  settings.footer = checkLinks('footer', settings.footer);
  if (settings.assets !== null) {
    settings.assets = path.resolve(path.dirname(settingsFile), String(settings.assets));
    if (!fs.existsSync(settings.assets) || !fs.statSync(settings.assets).isDirectory()) fail(`"assets": no folder ${settings.assets}`);
  }
  for (const key of ['logo', 'favicon']) {
    if (settings[key] === null) continue;
    if (settings.assets === null) fail(`"${key}" names a file in "assets": set "assets" too`);
    if (!fs.existsSync(path.join(settings.assets, String(settings[key])))) fail(`"${key}": no file ${settings[key]} in ${settings.assets}`);
  }
  return settings;
}

module.exports = {loadSettings, settingsFile, DEFAULT_URL, SettingsError};
