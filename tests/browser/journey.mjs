// One member's whole visit to Agora in a real Chromium, driven only through the visible
// UI: sign up, log out and back in, start a thread in Markdown while watching the live
// preview, reply, edit the first post, turn on 2FA by the QR code page, log out, log in
// again with the password and a code, log out. Any console error, uncaught exception,
// CSP violation or failed same-origin request fails the run even if every step passed.
//
// Usage: node journey.mjs BASE_URL SCREENSHOT_PATH
// tests/web/browser.rs starts the server and runs this; see that file for the setup.

import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// The server is a debug build on a 2-core machine and hashes passwords with argon2.
const ACTION_TIMEOUT_MS = 30_000;
const NAVIGATION_TIMEOUT_MS = 60_000;

const [base, screenshotPath] = process.argv.slice(2);
if (!base || !screenshotPath) {
  console.error('usage: node journey.mjs BASE_URL SCREENSHOT_PATH');
  process.exit(2);
}
const origin = new URL(base).origin;
const at = (path) => new URL(path, origin).href;

const username = `e2e_${randomBytes(4).toString('hex')}`;
const password = `pw-${randomBytes(8).toString('hex')}`;
const threadTitle = `Deposit stuck (${username})`;
const threadBody = [
  'My deposit has been **pending** since this morning.',
  '',
  '- network: TRON',
  '- amount: 25 USDT',
  '',
  '```',
  'txid: 0xdeadbeef',
  '```',
  '',
  'I checked [the status page](https://status.example.com/) first.',
].join('\n');
const replyBody = 'Same here, it started around **09:00 UTC**.';
// The edit keeps the Markdown, so the screenshot taken after it still shows every kind.
const editedBody = `${threadBody}\n\nUpdate: the deposit **arrived** after two hours.`;

/** RFC 4648 base32 (no padding) to bytes, for the TOTP secret the settings page shows. */
function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.trim().toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) {
      throw new Error(`not base32: ${text}`);
    }
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (HMAC-SHA-1, 6 digits, 30 s) of `secret` at `unixSeconds`. */
function totp(secret, unixSeconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const number = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(number % 1_000_000).padStart(6, '0');
}

// Everything the page reports that a working site never should. Filled by the listeners
// in watch() and checked once the journey is over, so one run reports every problem.
const problems = [];

/** Reports console errors, uncaught exceptions, CSP violations and bad same-origin answers. */
async function watch(context, page) {
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const { url, lineNumber } = message.location();
      const where = url ? ` (at ${url}:${lineNumber})` : '';
      problems.push(`console error on ${page.url()}: ${message.text()}${where}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught exception on ${page.url()}: ${error.message}`));

  const sameOrigin = (url) => new URL(url).origin === origin;
  page.on('requestfailed', (request) => {
    if (sameOrigin(request.url())) {
      problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
    }
  });
  // No step of this journey expects an error answer (a refused login would be a 401 here).
  page.on('response', (response) => {
    if (sameOrigin(response.url()) && response.status() >= 400) {
      problems.push(`HTTP ${response.status()} for ${response.request().method()} ${response.url()}`);
    }
  });

  // A list kept on `window` would be lost at the next navigation, and the journey crosses a
  // dozen pages, so the init script hands each violation to Node at once through a binding
  // (bindings and init scripts run outside the page's CSP).
  await context.exposeFunction('agoraReportCspViolation', (violation) =>
    problems.push(`CSP violation on ${violation.page}: ${JSON.stringify(violation)}`),
  );
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.agoraReportCspViolation({
        page: location.href,
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        source: `${event.sourceFile}:${event.lineNumber}`,
        sample: event.sample,
      });
    });
  });
}

let stepName = 'start';
async function step(name, action) {
  stepName = name;
  const started = Date.now();
  await action();
  console.log(`ok  ${name} (${Date.now() - started} ms)`);
}

function assert(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

async function assertCount(locator, expected, what) {
  const actual = await locator.count();
  assert(actual === expected, `expected ${expected} ${what}, found ${actual}`);
}

const userDataDir = await mkdtemp(join(tmpdir(), 'agora-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  headless: true,
  args: CHROMIUM_ARGS,
  viewport: { width: 1280, height: 900 },
});
context.setDefaultTimeout(ACTION_TIMEOUT_MS);
context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
const page = context.pages()[0] ?? (await context.newPage());
await watch(context, page);

const header = page.locator('header.site-header');
const loginLink = header.locator('a[href="/login"]');
const userLink = header.locator('a.nav-user');
const logoutButton = header.locator('form[action="/logout"] button');

/** Clicks something that loads another page and waits until that page has loaded. */
async function clickThrough(locator, url) {
  await Promise.all([page.waitForURL(url), locator.click()]);
}

/** The post that the address's #fragment points at: where a reply or an edit lands. */
function landedPost() {
  const { hash } = new URL(page.url());
  assert(hash.startsWith('#p'), `expected to land on a post's anchor, got ${page.url()}`);
  return page.locator(`article.post${hash}`);
}

async function postBodyText(post) {
  return (await post.locator('.post-body').textContent()).trim();
}

/**
 * Fills a form's Markdown textarea, then waits until the live preview (rendered by the
 * server) shows `boldText` in bold. Waiting also means no preview request is still in
 * flight when the form is submitted, where it would be cancelled and look like a failure.
 */
async function writeWithPreview(form, body, boldText) {
  await form.locator('textarea[name="body"]').fill(body);
  await form.locator('#live-preview strong', { hasText: boldText }).waitFor();
}

let failed = false;
try {
  await step(`open ${at('/')} as a visitor`, async () => {
    await page.goto(at('/'));
    await loginLink.waitFor();
  });

  await step(`sign up as ${username}`, async () => {
    await clickThrough(header.locator('a[href="/register"]'), at('/register'));
    const form = page.locator('form[action="/register"]');
    await form.locator('#username').fill(username);
    await form.locator('#password').fill(password);
    await clickThrough(form.locator('button[type="submit"]'), at('/'));
    await userLink.filter({ hasText: username }).waitFor();
  });

  await step('log out from the header', async () => {
    // Logging out on / lands on / again: the header, not the address, shows it worked.
    await logoutButton.click();
    await loginLink.waitFor();
    await assertCount(userLink, 0, 'user links in the header after logging out');
  });

  await step('log in again through /login', async () => {
    await clickThrough(loginLink, at('/login'));
    const form = page.locator('form[action="/login"]');
    await form.locator('#username').fill(username);
    await form.locator('#password').fill(password);
    await clickThrough(form.locator('button[type="submit"]'), at('/'));
    await userLink.filter({ hasText: username }).waitFor();
  });

  await step('open the Technical Support board', async () => {
    await clickThrough(page.locator('a.board-name[href="/b/technical-support"]'), at('/b/technical-support'));
  });

  await step('start a thread, waiting for the live preview', async () => {
    await clickThrough(page.locator('a[href="/b/technical-support/new"]'), at('/b/technical-support/new'));
    const form = page.locator('form[action="/b/technical-support/new"]');
    await form.locator('#title').fill(threadTitle);
    await writeWithPreview(form, threadBody, 'pending');
    const preview = form.locator('#live-preview');
    await assertCount(preview.locator('ul > li'), 2, 'list items in the preview');
    await assertCount(preview.locator('pre code'), 1, 'code blocks in the preview');
    await clickThrough(form.locator('button[name="submit"]'), /\/t\/\d+/);
  });

  await step('see the thread rendered from Markdown', async () => {
    await page.locator('h1.thread-title', { hasText: threadTitle }).waitFor();
    const body = page.locator('article.post .post-body');
    assert((await body.locator('strong').textContent()) === 'pending', 'bold text is rendered as <strong>');
    await assertCount(body.locator('ul > li'), 2, 'list items in the post');
    assert((await body.locator('pre code').textContent()).includes('txid: 0xdeadbeef'), 'code block is rendered');
    const link = body.locator('a[rel~="nofollow"]');
    const href = await link.getAttribute('href');
    assert(href === '/leave?to=' + encodeURIComponent('https://status.example.com/'), `a member's outside link goes through /leave, with rel=nofollow (got ${href})`);
  });

  await step('follow the outside link to the interstitial and come back', async () => {
    const threadUrl = page.url();
    await clickThrough(page.locator('article.post .post-body a[rel~="nofollow"]'), /\/leave\?to=/);
    assert((await page.locator('.leave-host').textContent()).trim() === 'status.example.com', 'the interstitial names the real host');
    const onward = page.locator('a.leave-continue');
    assert((await onward.getAttribute('href')) === 'https://status.example.com/', 'the way on goes to the link as written');
    await page.goBack();
    assert(page.url() === threadUrl, 'back on the thread');
  });

  await step('reply to the thread', async () => {
    const form = page.locator('form.reply-form');
    await writeWithPreview(form, replyBody, '09:00 UTC');
    // The answer is this thread page again, now with `?page=` and the new post's anchor.
    await clickThrough(form.locator('button[name="submit"]'), /\/t\/\d+\?page=\d+#p\d+$/);
    await assertCount(page.locator('article.post'), 2, 'posts after replying');
    const landedOn = await postBodyText(landedPost());
    assert(landedOn.includes('09:00 UTC'), `the page should land on the reply, not on: ${landedOn}`);
  });

  await step('edit the first post', async () => {
    const first = page.locator('article.post').first();
    await clickThrough(first.locator('a.edit-link'), /\/p\/\d+\/edit$/);
    const form = page.locator('form.compose');
    await writeWithPreview(form, editedBody, 'arrived');
    await clickThrough(form.locator('button[name="submit"]'), /\/t\/\d+/);
    assert((await landedPost().getAttribute('id')) === (await first.getAttribute('id')), 'the page lands on the edited post');
    const text = await postBodyText(first);
    assert(text.includes('the deposit arrived after two hours'), `the first post should show the edit, shows: ${text}`);
    await assertCount(first.locator('.edited'), 1, '"edited" marks on the first post');
    await assertCount(page.locator('article.post'), 2, 'posts after editing');
  });

  await step(`save a screenshot to ${screenshotPath}`, async () => {
    await mkdir(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  let totpSecret = '';
  await step('turn on 2FA by scanning the QR code on the settings page', async () => {
    await clickThrough(header.locator('a[href="/settings"]'), at('/settings'));
    await clickThrough(page.locator('form[action="/settings/totp"] button'), /\/settings\?notice=totp_started/);
    const qr = page.locator('figure.qr svg');
    await qr.waitFor();
    const box = await qr.boundingBox();
    assert(box && box.width > 100 && box.height > 100, `the QR code is drawn large enough: ${JSON.stringify(box)}`);
    totpSecret = (await page.locator('.totp-secret').textContent()).trim();
    const url = await page.locator('a.otpauth-url').getAttribute('href');
    assert(url.startsWith('otpauth://totp/Agora:') && url.includes(totpSecret), `otpauth URL: ${url}`);
    await page.screenshot({ path: screenshotPath.replace(/\.png$/, '') + '-2fa-setup.png', fullPage: true });
    const form = page.locator('form[action="/settings/totp/confirm"]');
    await form.locator('input[name="code"]').fill(totp(totpSecret, Date.now() / 1000));
    await clickThrough(form.locator('button'), at('/settings/totp/confirm'));
    await assertCount(page.locator('.recovery-codes li'), 10, 'recovery codes shown once');
    await clickThrough(page.locator('a[href="/settings"]').last(), at('/settings'));
    await page.locator('.totp-on').waitFor();
  });

  await step('log out, then log in with the password and a code', async () => {
    await clickThrough(logoutButton, at('/'));
    await clickThrough(loginLink, at('/login'));
    const form = page.locator('form[action="/login"]');
    await form.locator('#username').fill(username);
    await form.locator('#password').fill(password);
    await clickThrough(form.locator('button[type="submit"]'), /\/login\/code/);
    await assertCount(userLink, 0, 'user links while the code is still due');
    const codeForm = page.locator('form[action="/login/code"]');
    // The confirming code used this step: the next one (within the allowed skew) is fresh.
    await codeForm.locator('#code').fill(totp(totpSecret, Date.now() / 1000 + 30));
    await clickThrough(codeForm.locator('button[type="submit"]'), at('/'));
    await userLink.filter({ hasText: username }).waitFor();
  });

  await step('log out', async () => {
    await clickThrough(logoutButton, at('/'));
    await loginLink.waitFor();
    await assertCount(userLink, 0, 'user links in the header after logging out');
  });
} catch (error) {
  failed = true;
  console.error(`FAILED at step "${stepName}" on ${page.url()}:\n${error.message}`);
  const failureShot = screenshotPath.replace(/(\.png)?$/, '.failure.png');
  await page.screenshot({ path: failureShot, fullPage: true }).then(
    () => console.error(`page at the failure: ${failureShot}`),
    () => {},
  );
} finally {
  await context.close();
  await rm(userDataDir, { recursive: true, force: true });
}

if (problems.length > 0) {
  failed = true;
  console.error(`the browser reported ${problems.length} problem(s):`);
  for (const problem of problems) {
    console.error(`  - ${problem}`);
  }
}
if (failed) {
  process.exit(1);
}
console.log('journey passed: no console errors, page errors, CSP violations or failed requests');
