// A team's morning in headless Chromium (issue 18): two analysts of one force take the two urgent
// courses, record reviews, a new export arrives, and one course comes back with what is new.
// Run by tests/e2e.rs on the hand-written export of tests/data/workflow/; it passes:
//   CONDUCT_BASE            http://127.0.0.1:PORT
//   CONDUCT_ALICE/_PASS     the first analyst's sign-in
//   CONDUCT_BOB/_PASS       the second analyst's sign-in
//   CONDUCT_COURSE_A        Amy Lowther's course (gains two reports, one a possible breach)
//   CONDUCT_COURSE_B        Nadia Rahman's course (gains nothing)
//   CONDUCT_LATER_EXPORT    the folder of the later export (incidents, people, orders)
//   CONDUCT_SHOTS           folder for screenshots
// Exits 0 when every check passes; prints each step.
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) { throw new Error(`${k} is not set`); } return v; };
const base = env('CONDUCT_BASE');
const shots = env('CONDUCT_SHOTS');
const [courseA, courseB] = [env('CONDUCT_COURSE_A'), env('CONDUCT_COURSE_B')];
const check = (ok, what) => { if (!ok) { throw new Error(`check failed: ${what}`); } console.log(`ok   ${what}`); };

const browser = (name) => chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), `conduct-${name}-`)), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});

async function signIn(context, user, pass) {
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', pass);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/forces\//);
  return page;
}

// Take a course and record a review of it, through the course page's forms.
async function takeAndReview(page, who, course, decision, note) {
  await page.goto(`${base}/courses/${course}`);
  await page.selectOption('#assign select[name=assignee]', who);
  await page.click('#assign button');
  await page.waitForURL(new RegExp(`/courses/${course}$`));
  check(await page.locator('#workflow').textContent().then((t) => t.includes(`assigned to ${who}`)), `${who} has ${course}`);
  await page.selectOption('#review select[name=decision]', decision);
  await page.fill('#review textarea[name=note]', note);
  await page.click('#review button');
  await page.waitForURL(new RegExp(`/courses/${course}$`));
  const history = await page.locator('#reviews tr').allTextContents();
  check(history.length === 2 && history[1].includes(who) && history[1].includes(note), `${who}'s review of ${course} is in its history`);
}

const rowsOf = async (page) => page.locator('#triage tbody tr td:first-child a').allTextContents();

const alice = await browser('alice');
const bob = await browser('bob');
try {
  const a = await signIn(alice, env('CONDUCT_ALICE'), env('CONDUCT_ALICE_PASS'));
  const b = await signIn(bob, env('CONDUCT_BOB'), env('CONDUCT_BOB_PASS'));

  // The unassigned urgent queue holds both courses.
  await a.click('text=Triage');
  await a.click('nav.queues >> text=Unassigned urgent');
  await a.waitForURL(/assigned=none/);
  const urgent = await rowsOf(a);
  check(urgent.includes(courseA) && urgent.includes(courseB), `both urgent courses are unassigned (${urgent.join(', ')})`);
  await a.screenshot({ path: join(shots, 'workflow-unassigned-urgent.png'), fullPage: true });

  // Each analyst takes one and records a review.
  await takeAndReview(a, env('CONDUCT_ALICE'), courseA, 'referred_to_stalking_team', 'Threat to kill: referred to the stalking clinic');
  await takeAndReview(b, env('CONDUCT_BOB'), courseB, 'safeguarding_referral', 'IDVA contacted; victim safety plan agreed');

  // Reviewed with nothing new: off the open list, on the reviewed one; each in its owner's queue.
  await a.goto(`${base}/triage`);
  let open = await rowsOf(a);
  check(!open.includes(courseA) && !open.includes(courseB), 'reviewed courses leave the open list');
  await a.click('nav.queues >> text=My courses');
  await a.waitForURL(/assigned=me/);
  check((await rowsOf(a)).join() === courseA, 'My courses: the one Alice took');
  await b.goto(`${base}/triage?assigned=me&state=all`);
  check((await rowsOf(b)).join() === courseB, 'My courses: the one Bob took');

  // The next export arrives (Alice uploads it on the import page) and is published.
  const later = env('CONDUCT_LATER_EXPORT');
  await a.goto(`${base}/import`);
  await a.setInputFiles('input[name=incidents]', join(later, 'incidents.csv'));
  await a.setInputFiles('input[name=people]', join(later, 'people.csv'));
  await a.setInputFiles('input[name=orders]', join(later, 'orders.csv'));
  await a.click('form[action="/import"] button');
  await a.waitForURL(/\/imports\/\d+$/);
  let status = '';
  for (let i = 0; i < 120 && !['published', 'failed', 'refused'].includes(status); i++) {
    await a.waitForTimeout(500);
    await a.reload();
    status = (await a.locator('#status strong').textContent()).trim();
  }
  check(status === 'published', `the later export is published (${status})`);

  // One course comes back with what is new; the other stays settled.
  await a.goto(`${base}/triage`);
  open = await rowsOf(a);
  check(open.includes(courseA) && !open.includes(courseB), 'the course with new reports is back on the open list, the other is not');
  const row = a.locator('#triage tbody tr', { has: a.locator(`a:text-is("${courseA}")`) });
  const work = await row.locator('td.work').textContent();
  check(work.includes('new since review: 2 reports, 1 a possible breach'), `its row says what is new (${work.trim()})`);
  await a.screenshot({ path: join(shots, 'workflow-triage-new-since-review.png'), fullPage: true });
  await a.click('nav.queues >> text=New since my last visit');
  await a.waitForURL(/new_since_visit=1/);
  check((await rowsOf(a)).includes(courseA), 'New since my last visit: the course that changed');
  await a.goto(`${base}/courses/${courseA}`);
  check(await a.locator('p.new-since').textContent().then((t) => t.includes('2 reports, 1 a possible breach')), 'the course page says what is new');
  await a.screenshot({ path: join(shots, 'workflow-course.png'), fullPage: true });

  // The force overview gives the time to first review, with the CSV for inspectors.
  await a.goto(`${base}/forces/City%20of%20London`);
  const times = await a.locator('#review-times').textContent();
  check(times.includes('2 courses turned urgent; 2 reviewed since (2 within 7 days'), `the overview gives the review times (${times.trim()})`);
} finally {
  await alice.close();
  await bob.close();
}
console.log('all browser checks passed');
