// The demo shop's consent manager. Load it before /snippet.js: a grant is remembered in a cookie and handed
// to the snippet as window.adledgerConsent; a refusal is stored nowhere, so the snippet stays cookieless
// and the banner asks again on the next page.
(function () {
  if (/(?:^|; )demo_consent=granted/.test(document.cookie)) {
    window.adledgerConsent = true;
    return;
  }
  document.addEventListener('DOMContentLoaded', function () {
    var banner = document.createElement('div');
    banner.id = 'consent-banner';
    banner.innerHTML = '<p>May we set a first-party cookie to measure which ads brought you here? ' +
      'Without it we only count anonymous page views.</p>' +
      '<button id="consent-accept">Accept</button> <button id="consent-reject" class="secondary">Reject</button>';
    document.body.appendChild(banner);
    function decide(granted) {
      if (granted) document.cookie = 'demo_consent=granted; Path=/; Max-Age=15552000; SameSite=Lax';
      window.adledger.consent(granted);
      banner.hidden = true;
    }
    document.getElementById('consent-accept').onclick = function () { decide(true); };
    document.getElementById('consent-reject').onclick = function () { decide(false); };
  });
})();
