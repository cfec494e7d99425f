// End-to-end test of the dashboard in headless Chromium, driven by Playwright (playwright-core,
// with Debian's /usr/bin/chromium: no browser download). Run by tests/e2e.rs, which starts the
// server and passes what to look for in the environment:
//   CONDUCT_BASE        http://127.0.0.1:PORT
//   CONDUCT_USER/PASS   an analyst's sign-in
//   CONDUCT_OTHER       a person held only by another force (must be refused with 403)
//   CONDUCT_PRIORITY    a priority the analyst's force has courses at (the list is filtered by it)
//   CONDUCT_FOREIGN_EXPORT  a folder with another force's incidents.csv and people.csv
//   CONDUCT_SHOTS       folder for screenshots of the main pages
// Exits 0 when every check passes; prints each step.
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) { throw new Error(`${k} is not set`); } return v; };
const base = env('CONDUCT_BASE');
const shots = env('CONDUCT_SHOTS');
const check = (ok, what) => { if (!ok) { throw new Error(`check failed: ${what}`); } console.log(`ok   ${what}`); };

const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'conduct-chromium-')), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
const page = context.pages()[0] ?? await context.newPage();
const shot = (name) => page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage: true });
try {
  // Sign in.
  await page.goto(`${base}/triage`);
  check(page.url().endsWith('/login'), 'a page without a session goes to the sign-in page');
  await page.fill('input[name=username]', env('CONDUCT_USER'));
  await page.fill('input[name=password]', 'not the password at all');
  await page.click('button[type=submit]');
  check(await page.locator('[role=alert]').textContent().then((t) => t.includes('wrong username or password')), 'a wrong password is refused with a message');
  await page.fill('input[name=username]', env('CONDUCT_USER'));
  await page.fill('input[name=password]', env('CONDUCT_PASS'));
  await page.click('button[type=submit]');
  await page.waitForURL(/\/forces\//);
  check(await page.locator('h1').textContent().then((t) => t.includes('overview')), 'signed in to the force overview');
  check(await page.locator('svg[aria-label^="Reports recorded"] rect').count() > 0, 'the overview draws the trend');
  await shot('overview');

  // Triage list: filter and sort, each row with its reasons.
  await page.click('header >> text=Triage');
  const rows = page.locator('#triage tbody tr');
  check(await rows.count() > 0, 'the triage list has rows');
  check(await rows.first().locator('ul.reasons li').count() > 0, 'the first row gives its reasons');
  const priority = env('CONDUCT_PRIORITY');
  await page.selectOption('select[name=priority]', priority);
  await page.click('form.filters button');
  await page.waitForURL(new RegExp(`priority=${priority}`));
  const prios = await page.locator('#triage tbody tr td:nth-child(2)').allTextContents();
  check(prios.length > 0 && prios.every((p) => p === priority), `filtered to ${priority} (${prios.length} rows)`);
  await shot('triage');

  // A course's time line.
  await page.locator('#triage tbody tr a').first().click();
  await page.waitForURL(/\/courses\//);
  const dots = await page.locator('#timeline circle.report').count();
  check(dots >= 1 && dots === await page.locator('h2:has-text("Reports") + table tr').count() - 1, `the course time line shows each report (${dots})`);
  await shot('course');

  // A person, with the linkage explanation.
  await page.locator('a[href^="/persons/"]').first().click();
  await page.waitForURL(/\/persons\//);
  check(await page.locator('#records tr').count() >= 2, 'the person page lists the merged records');
  if (await page.locator('details').count() > 0) {
    await page.locator('details summary').first().click();
    check(await page.locator('details[open] table tr').count() > 3, 'the waterfall opens');
  }
  await shot('person');

  // Another force's person: refused.
  const other = env('CONDUCT_OTHER');
  const resp = await page.goto(`${base}/persons/${other}`);
  check(resp.status() === 403, `another force's person is refused (${resp.status()})`);
  check(await page.locator('p.err').textContent().then((t) => t.includes('another force')), 'the refusal says why');

  // Import: another force's export is refused with its validation report; nothing imported.
  await page.goto(`${base}/import`);
  const foreign = env('CONDUCT_FOREIGN_EXPORT');
  await page.setInputFiles('input[name=incidents]', join(foreign, 'incidents.csv'));
  await page.setInputFiles('input[name=people]', join(foreign, 'people.csv'));
  await page.click('form[action="/import"] button');
  await page.waitForLoadState();
  check(await page.locator('p.err').textContent().then((t) => t.includes('nothing was imported')), 'another force\'s upload is refused');
  check(await page.locator('#report').count() === 1, 'the validation report is shown');
  await shot('import-refused');

  await page.goto(`${base}/national`);
  check(await page.locator('#national tr').count() > 2, 'the national comparison lists forces');
  await shot('national');

  // Sign out.
  await page.click('header button');
  await page.waitForURL(/\/login/);
  const after = await page.goto(`${base}/triage`);
  check(page.url().endsWith('/login') && after.ok(), 'signed out: pages go to the sign-in page again');
} finally {
  await context.close();
}
console.log('all browser checks passed');
