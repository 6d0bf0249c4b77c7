// End-to-end test of the Atalaya web interface in a real browser: playwright-core driving
// Debian's Chromium (/usr/bin/chromium, headless; no browser download).
//
//   node run.mjs BASE_URL CONFIG.json
//
// CONFIG (written by crates/cli/tests/web_e2e.rs, which boots the node and seeds it through the
// REST API): users {analyst, duty_b, chief, reader: {username, password}}, bundle (a file to
// import), screenshots (a directory), red_name / red_id (a TLP:RED object the reader may not see).
// Exit code 0 = every check passed; otherwise the first failure is printed (and a screenshot of
// the page at that moment saved as FAILURE.png in the screenshot directory).
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, configPath] = process.argv.slice(2);
if (!base || !configPath) {
  console.error('usage: node run.mjs BASE_URL CONFIG.json');
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(configPath, 'utf8'));
const shots = cfg.screenshots;
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

let currentPage = null;
const profile = mkdtempSync(join(tmpdir(), 'atalaya-e2e-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const step = (name) => console.log(`[e2e] ${name}`);

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

async function login(page, user) {
  await page.goto(`${base}/ui/login`);
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await submit(page, 'form.login button[type=submit]');
  check(!page.url().includes('/ui/login'), `login of ${user.username} failed: ${page.url()}`);
}

async function logout(page) {
  await submit(page, 'form.logout button');
  check(page.url().includes('/ui/login'), `logout did not return to the login page: ${page.url()}`);
}

async function setLanguage(page, code) {
  await page.selectOption('#lang-select', code);
  await submit(page, 'form.lang button');
  const lang = await page.getAttribute('html', 'lang');
  check(lang === code, `language switch to ${code}: html lang is ${lang}`);
}

try {
  // ---------------------------------------------------------------- analyst of state A (UY)
  const page = await ctx.newPage();
  currentPage = page;
  step('the login form refuses a wrong password');
  await page.goto(`${base}/ui/`);
  check(page.url().includes('/ui/login'), `an anonymous visit must go to the login form, got ${page.url()}`);
  await page.fill('#username', cfg.users.analyst.username);
  await page.fill('#password', 'not the password at all');
  await submit(page, 'form.login button[type=submit]');
  check(await page.isVisible('#login-error'), 'no error shown for a wrong password');

  step('log in');
  await login(page, cfg.users.analyst);
  check(await page.isVisible('svg#map'), 'dashboard has no map');

  step('import a bundle (with upload progress)');
  await page.goto(`${base}/ui/intel/import`);
  await page.setInputFiles('#file', cfg.bundle);
  await page.click('#import button[type=submit]');
  await page.waitForSelector('#import-report', { timeout: 60000 });
  const stored = Number((await page.textContent('#stored')).replace(/\D/g, ''));
  const rejected = Number((await page.textContent('#rejected')).replace(/\D/g, ''));
  check(stored === cfg.expect.stored, `import stored ${stored}, expected ${cfg.expect.stored}`);
  check(rejected === cfg.expect.rejected, `import rejected ${rejected}, expected ${cfg.expect.rejected}`);
  check((await page.textContent('#rejections')).includes(cfg.expect.rejected_id), 'the rejection does not name the object');

  step('search by value and open the object');
  await page.goto(`${base}/ui/intel?q=${encodeURIComponent(cfg.expect.search_value)}`);
  const results = await page.textContent('main');
  check(results.includes(cfg.expect.indicator_name), `search for ${cfg.expect.search_value} did not find the indicator`);
  await submit(page, `#results a:has-text("${cfg.expect.indicator_name}")`);
  const objText = await page.textContent('main');
  check(objText.includes('TLP:GREEN'), 'object page shows no TLP badge');
  check(objText.includes('"pattern"'), 'object page shows no JSON');
  const objectUrl = page.url();

  step('open a case');
  await page.goto(`${base}/ui/incidents/new`);
  await page.fill('#title', cfg.case.title);
  await page.fill('#description', 'C2 traffic towards a government network of state B.');
  await page.selectOption('#rsit', 'malicious-code=c2-server');
  await page.selectOption('#severity', '3');
  await page.selectOption('#tlp', 'TLP:AMBER');
  await page.fill('#affected_states', 'PY');
  await page.fill('#observables', cfg.case.observables.join('\n'));
  await submit(page, '#new-case button[type=submit]');
  check(/\/ui\/incidents\/[0-9a-f-]{36}/.test(page.url()), `case not created: ${page.url()} ${await page.textContent('main')}`);
  const caseUrl = page.url().split('?')[0];
  check(await page.isVisible('.notice'), 'no confirmation after opening the case');

  step('route the case (reasoning) and notify the proposed organisation');
  await submit(page, '#route-form button');
  const proposed = await page.textContent('#proposed');
  check(proposed.includes(cfg.expect.routed_org), `routing did not propose ${cfg.expect.routed_org}: ${proposed}`);
  check(proposed.includes('declared constituency'), `routing shows no reasoning: ${proposed}`);
  await submit(page, '#notify-form button');
  const parts = await page.textContent('#participants');
  check(parts.includes(cfg.expect.routed_org) && parts.includes('notified'), `participant not notified: ${parts}`);

  step('a POST without (or with a wrong) CSRF token is refused');
  for (const form of [{ text: 'csrf-probe-note' }, { text: 'csrf-probe-note', csrf: '00'.repeat(32) }]) {
    const res = await page.request.post(`${caseUrl}/note`, { form, maxRedirects: 0 });
    check(res.status() === 403, `POST without a valid CSRF token answered ${res.status()}`);
  }
  await page.goto(caseUrl);
  check(!(await page.textContent('#timeline')).includes('csrf-probe-note'), 'a refused POST changed the case');

  step('sign out revokes the session');
  await logout(page);
  await page.goto(`${base}/ui/incidents`);
  check(page.url().includes('/ui/login'), 'after sign-out the pages are still reachable');

  // ---------------------------------------------------------------- duty officer of state B
  step('state B acknowledges (changes its participation status)');
  await login(page, cfg.users.duty_b);
  await page.goto(caseUrl);
  await page.selectOption('#status', 'acknowledged');
  await submit(page, '#status-form button[type=submit]');
  const parts2 = await page.textContent('#participants');
  check(parts2.includes('acknowledged'), `status not changed: ${parts2}`);
  check((await page.textContent('#timeline')).includes('notified → acknowledged'), 'the timeline does not record the change');
  await logout(page);

  // ---------------------------------------------------------------- administrator: every screen, 4 languages
  step('every main screen in every language');
  await login(page, cfg.users.chief);
  await page.goto(`${base}/ui/directory`);
  const orgHref = await page.getAttribute(`#organisations a:has-text("${cfg.expect.routed_org}")`, 'href');
  check(orgHref && orgHref.startsWith('/ui/directory/'), 'the directory does not list the routed organisation');
  const screens = [
    ['dashboard', '/ui/'],
    ['intel', `/ui/intel?q=${encodeURIComponent(cfg.expect.search_value)}`],
    ['object', objectUrl.replace(base, '')],
    ['import', '/ui/intel/import'],
    ['incidents', '/ui/incidents'],
    ['case', caseUrl.replace(base, '')],
    ['directory', '/ui/directory'],
    ['organisation', orgHref],
    ['evidence', '/ui/evidence'],
    ['peers', '/ui/peers'],
    ['audit', '/ui/audit'],
  ];
  const headings = {};
  for (const lang of ['en', 'es', 'pt', 'fr']) {
    await page.goto(`${base}/ui/`);
    await setLanguage(page, lang);
    for (const [name, path] of screens) {
      const res = await page.goto(`${base}${path}`);
      check(res.status() === 200, `${lang} ${name}: HTTP ${res.status()}`);
      check((await page.getAttribute('html', 'lang')) === lang, `${lang} ${name}: wrong lang attribute`);
      const h1 = (await page.textContent('h1')).trim();
      (headings[name] ??= {})[lang] = h1;
      await page.screenshot({ path: join(shots, `${lang}-${name}.png`), fullPage: true });
    }
    await page.goto(caseUrl);
    check((await page.textContent('main')).includes('TLP:AMBER'), `${lang}: the TLP label is not the literal TLP:AMBER`);
    await page.goto(`${base}/ui/`);
    const tile = await page.getAttribute('#map g[data-state="PY"]', 'data-count');
    check(Number(tile) >= 1, `${lang}: the map does not colour PY (count ${tile})`);
    if (lang === 'en') {
      await submit(page, '#map a[href="/ui/incidents?state=PY"]');
      check((await page.textContent('#cases')).includes(cfg.case.title), 'the PY tile does not lead to the state\'s cases');
      await page.goto(`${base}/ui/incidents?state=AR`);
      check((await page.locator('#cases').count()) === 0, 'the state filter shows cases of other states');
      await page.goto(`${base}/ui/`);
    }
    check(await page.isVisible('a[href="/ui/audit"]'), `${lang}: the administrator does not see the audit log entry`);
    await page.goto(`${base}${orgHref}`);
    check((await page.textContent('#constituency')).includes('198.51.100.0/24'), `${lang}: the constituency is not shown`);
  }
  for (const name of ['dashboard', 'incidents', 'directory', 'audit']) {
    for (const lang of ['es', 'pt', 'fr']) {
      check(headings[name][lang] !== headings[name].en, `the ${name} heading is not translated to ${lang}: ${JSON.stringify(headings[name])}`);
    }
  }
  await setLanguage(page, 'en');
  await logout(page);

  // ---------------------------------------------------------------- read-only user
  step('a read-only user does not see what they may not see');
  await login(page, cfg.users.reader);
  const forbiddenLinks = ['/ui/audit', '/ui/intel/import', '/ui/peers', '/ui/evidence', '/ui/incidents/new'];
  for (const path of ['/ui/', '/ui/intel', '/ui/incidents', caseUrl.replace(base, ''), '/ui/directory']) {
    await page.goto(`${base}${path}`);
    const html = await page.content();
    for (const link of forbiddenLinks) {
      check(!html.includes(`href="${link}"`), `read-only user sees a link to ${link} on ${path}`);
    }
    check(!html.includes(cfg.red_name), `read-only user sees the TLP:RED object on ${path}`);
    for (const form of ['route-form', 'notify-form', 'status-form', 'note-form']) {
      check(!html.includes(`id="${form}"`), `read-only user sees ${form} on ${path}`);
    }
  }
  await page.goto(`${base}/ui/intel?q=${encodeURIComponent(cfg.red_name)}`);
  check((await page.locator('#results').count()) === 0, 'search reveals the TLP:RED object');
  const audit = await page.goto(`${base}/ui/audit`);
  check(audit.status() === 403, `read-only user opened the audit log: HTTP ${audit.status()}`);
  const red = await page.goto(`${base}/ui/intel/object?id=${encodeURIComponent(cfg.red_id)}`);
  check(red.status() === 404, `read-only user opened the TLP:RED object: HTTP ${red.status()}`);
  await page.screenshot({ path: join(shots, 'en-reader-dashboard.png'), fullPage: true });
  await logout(page);

  console.log('[e2e] all checks passed');
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
  process.exit(0);
} catch (e) {
  console.error(`[e2e] FAILED: ${e.message}`);
  if (currentPage) {
    try {
      console.error(`[e2e] at ${currentPage.url()}`);
      await currentPage.screenshot({ path: join(shots, 'FAILURE.png'), fullPage: true });
    } catch (_) { /* the page may be gone */ }
  }
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
  process.exit(1);
}
