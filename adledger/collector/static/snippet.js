/*! adledger.js, Apache-2.0; see docs/collector.md */
(function(w, d, L) {
var s = d.currentScript, n = navigator, cfg = w.adledgerConfig || {}, q = w.adledger, ls = {};
var key = cfg.writeKey || s && s.getAttribute('data-write-key');
var host = cfg.host || (s ? new URL(s.src, L.href).origin : '');
var CLICK = 'gclid gbraid wbraid dclid msclkid fbclid ttclid li_fat_id irclickid sccid'.split(' ');
var AID = 'adl_aid', UID = 'adl_uid', TOUCH = 'adl_touch';
var consent = null, waiting = [], view = uuid(), timer;
try { ls = w.localStorage || ls; } catch (e) {}

function uuid() {
  return crypto.randomUUID ? crypto.randomUUID() :
    [].map.call(crypto.getRandomValues(new Uint8Array(16)), function(b) { return (b | 256).toString(16).slice(1); }).join('');
}
function cookie(name, value, age) {
  if (value == null) { var m = d.cookie.match('(?:^|; )' + name + '=([^;]*)'); return m && decodeURIComponent(m[1]); }
  d.cookie = name + '=' + encodeURIComponent(value) + '; Path=/; Max-Age=' + age + '; SameSite=Lax' + (L.protocol == 'https:' ? '; Secure' : '');
}
function get(k) { try { return ls.getItem(k); } catch (e) {} }
function put(k, v) { try { v == null ? ls.removeItem(k) : ls.setItem(k, v); } catch (e) {} }
function forget() { cookie(AID, '', 0); put(UID); put(TOUCH); }
function prefs(a, b) { return {analytics: !!a, advertising: !!b}; }
// this URL's utm_* (campaign as "name") and click ids
function landing() {
  var o = {}, found;
  new URLSearchParams(L.search).forEach(function(v, k) {
    if (k.slice(0, 4) == 'utm_') o[k == 'utm_campaign' ? 'name' : k.slice(4)] = v, found = 1;
    else if (CLICK.indexOf(k) >= 0) o[k] = v, found = 1;
  });
  return found && o;
}
// else, with consent, the stored one (90 days)
function campaign() {
  var now = landing(), t;
  if (!consent.analytics) return now;
  if (now) return put(TOUCH, JSON.stringify({c: now, t: Date.now()})), now;
  try { t = JSON.parse(get(TOUCH)); } catch (e) {}
  return t && Date.now() - t.t < 7776e6 ? t.c : null;
}
// with consent only; adopts this page view's id
function visitor() {
  var id = cookie(AID);
  if (!id) cookie(AID, id = view, 31536e3);
  return id;
}
function apply(p) {
  if (typeof p == 'function') p = p();
  if (p == null) return;
  p = typeof p == 'object' ? prefs(p.analytics, p.advertising) : prefs(p, p);
  if (n.globalPrivacyControl) p.advertising = false;
  clearTimeout(timer);
  consent = p;
  p.analytics ? campaign() : forget();
  while (waiting.length) send.apply(0, waiting.shift());
}
function send(type, ev) {
  ev.timestamp = ev.timestamp || new Date().toISOString();
  if (!consent) return waiting.push([type, ev]);
  var ok = consent.analytics, uid = ok && get(UID), c = campaign();
  if (type == 'page') c = landing(); // stored touch: track only
  if (type == 'identify') { if (!ok) return; put(UID, ev.userId); }
  if (uid && !ev.userId) ev.userId = uid;
  ev.type = type; ev.messageId = uuid(); ev.writeKey = key; ev.sentAt = new Date().toISOString();
  ev.anonymousId = ok ? visitor() : view;
  ev.context = {
    library: {name: 'adledger.js', version: '1.0.0'}, userAgent: n.userAgent, locale: n.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone, consent: {categoryPreferences: consent},
    page: {url: L.href, path: L.pathname, referrer: d.referrer, title: d.title}
  };
  if (c) ev.context.campaign = c;
  var body = JSON.stringify(ev), url = host + '/v1/' + type[0];
  if (!(n.sendBeacon && n.sendBeacon(url, new Blob([body], {type: 'text/plain'}))))
    fetch(url, {method: 'POST', body: body, keepalive: true, credentials: 'omit'});
}
var api = w.adledger = {
  page: function(name, props) { send('page', {name: name || d.title, properties: props || {}}); },
  track: function(event, props) { send('track', {event: event, properties: props || {}}); },
  identify: function(userId, traits) { send('identify', {userId: String(userId), traits: traits || {}}); },
  consent: apply,
  reset: function() { forget(); view = uuid(); }
};
// adledgerConsent, consent(), TCF v2 or GPP; no answer in 1 s or on leaving: cookieless
timer = setTimeout(function() { apply(false); }, 1e3);
w.addEventListener('pagehide', function() { consent || apply(false); });
if (w.adledgerConsent != null) apply(w.adledgerConsent);
else if (w.__tcfapi) w.__tcfapi('addEventListener', 2, function(tc, ok) {
  if (!ok || tc.eventStatus == 'cmpuishown') return;
  var c = tc.purpose && tc.purpose.consents || {}, free = tc.gdprApplies === false;
  apply(prefs(free || c[1], free || c[1] && c[7]));
});
else if (w.__gpp) w.__gpp('addEventListener', function(e) {
  var p = e && e.pingData;
  if (p && p.signalStatus == 'ready' && (p.applicableSections || []).indexOf(2) >= 0)
    w.__gpp('getField', function(c) { c = c || []; apply(prefs(c[0], c[0] && c[6])); }, 'tcfeuv2.PurposeConsents');
});
api.page();
if (q && q.forEach) q.forEach(function(a) { api[a[0]].apply(api, [].slice.call(a, 1)); });
})(window, document, location);
