// tests/dashboard-browser.mjs: the dashboard in a real browser (Debian's
// chromium driven by playwright-core), run by tests/t7002-dashboard-browser.sh,
// which sets up the stack's data and passes it in the environment.  Each
// check prints one line, "ok - what" or "not ok - what: why", that the shell
// test turns into TAP (tests/browser-lib.mjs); screenshots go to $SHOTS,
// axe-core checks each page.
import { readFileSync, mkdirSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { env, URL, PW, report, check, axe, axeReport, signIn, visit, launch, watch, watchReport } from './browser-lib.mjs';

const OWNER = env('DASH_OWNER');
const MEMBER = env('DASH_MEMBER');
const REPO = env('DASH_REPO');
const REPO_NAME = env('DASH_REPO_NAME');
const CHECKOUT = env('DASH_CHECKOUT');
const RELEASE = env('DASH_RELEASE');
const SCRUBBED = env('DASH_SCRUBBED');
const KEPT_REPO = env('DASH_KEPT_REPO');
const OTHER_REPO = env('DASH_OTHER_REPO');
const SHOTS = env('SHOTS');
const XSS = [env('DASH_XSS_IMG'), env('DASH_XSS_SCRIPT')];
const WAIT = 300000;		// a scan under the sanitizers is slow

async function shot(page, name) {
	await page.screenshot({ path: `${SHOTS}/${name}-${page.viewportSize().width}.png`, fullPage: true });
}

// The page as it is now, at 1280x800 and at 390x844.
async function shotBoth(page, name) {
	await shot(page, name);
	await page.setViewportSize({ width: 390, height: 844 });
	await shot(page, name);
	await page.setViewportSize({ width: 1280, height: 800 });
}

const browser = await launch();
mkdirSync(SHOTS, { recursive: true });
const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await ctx.newPage();
// What went wrong in the page: uncaught errors, CSP reports, and API
// refusals other than the ones this script provokes (a reload's refresh
// without a cookie, a wrong password, another org's id).
const watched = watch(page, (path) => path === `/api/v1/repositories/${OTHER_REPO}`);

// Sign-in: a wrong password shows the API's reason.
await page.goto(`${URL}/`);
await page.getByRole('heading', { name: 'Sign in to Lethe' }).waitFor();
await axe(page, 'signin');
await shotBoth(page, 'signin');
await check('a wrong password shows the API\'s one-line reason', async () => {
	await page.getByLabel('Email').fill(OWNER);
	await page.getByLabel('Password').fill(`${PW}x`);
	await page.getByRole('button', { name: 'Sign in' }).click();
	const text = await page.getByRole('alert').textContent();
	return text === 'invalid email or password' || text;
});
await signIn(page, OWNER);
await check('the access token is not kept in web storage, the refresh token not in a readable cookie', async () => {
	const r = await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
	return (r[0] === 0 && r[1] === 0 && r[2] === '') || JSON.stringify(r);
});
await check('a reload keeps the session through the HttpOnly refresh cookie', async () => {
	await page.reload();
	await page.getByRole('heading', { name: 'Now', level: 1 }).waitFor();
	return true;
});

// Now: the live checkout of the held scan, its countdown going down.
const row = page.locator(`tr[data-checkout="${CHECKOUT}"]`);
await check('Now lists the live checkout with repository, backend, cipher and "key in memory only"', async () => {
	await row.waitFor({ timeout: WAIT });
	const t = await row.textContent();
	return (t.includes(REPO_NAME) && /LUKS2|fscrypt/.test(t) && t.includes('key in memory only')) || t;
});
const countdown = async () => {
	const t = await row.locator('.countdown').textContent();
	const p = t.split(':').map(Number);
	return p.reduce((a, b) => a * 60 + b, 0);
};
await axe(page, 'now');
await shotBoth(page, 'now-live');
await check('the countdown to the deadline decreases while the page is open', async () => {
	const first = await countdown();
	await page.waitForFunction((f) => {
		const t = document.querySelector(`tr[data-checkout="${f.id}"] .countdown`)?.textContent || '';
		return t.split(':').map(Number).reduce((a, b) => a * 60 + b, 0) < f.first;
	}, { id: CHECKOUT, first }, { timeout: 10000 });
	const second = await countdown();
	return (second < first && second > 0) || `${first} then ${second}`;
});
await check('the running scan is listed with its state', async () => {
	const t = await page.getByRole('region', { name: 'Queued and running scans' }).textContent();
	return (t.includes(REPO_NAME) && t.includes('running')) || t;
});

// The scan goes on: its checkout leaves Now and shows in the scrub log.
execSync(RELEASE);
await check('when the scan ends its checkout leaves the Now page', async () => {
	await row.waitFor({ state: 'detached', timeout: WAIT });
	return true;
});
await visit(page, 'scrubs', 'Scrub log');
await check('the scrub log shows the checkout destroyed after its scan, with its durations', async () => {
	const t = await page.locator(`tr[data-checkout="${CHECKOUT}"]`).textContent();
	return (t.includes(REPO_NAME) && t.includes('after its scan') && t.includes('lethe-scan: scan finished') &&
		/\d+(\.\d)? (ms|s)/.test(t)) || t;
});
await check('the scrub log shows the killed scan\'s checkout as orphaned, destroyed by lethe-scrub', async () => {
	const t = await page.locator(`tr[data-checkout="${SCRUBBED}"]`).textContent();
	return (t.includes('orphaned') && t.includes('lethe-scrub: lease expired')) || t;
});
await axe(page, 'scrubs');

// Findings: hostile file names are text, and the CSP holds.
await visit(page, `findings?repository=${REPO}`, 'Findings');
await page.locator('tr[data-finding]').first().waitFor();
await axe(page, 'findings');
await check('file names holding markup are shown as text, exactly', async () => {
	const t = await page.getByRole('region', { name: 'Findings' }).textContent();
	const missing = XSS.filter((x) => !t.includes(x));
	return missing.length === 0 || `missing ${JSON.stringify(missing)}`;
});
await check('no element came from a file name, and nothing ran', async () => {
	const r = await page.evaluate(() => [document.querySelectorAll('main img, main script').length,
		window.__lethe_xss === undefined]);
	return (r[0] === 0 && r[1]) || JSON.stringify(r);
});
await check('the page\'s CSP refuses inline script in the browser', async () => {
	const r = await page.evaluate(() => new Promise((done) => {
		document.addEventListener('securitypolicyviolation', (e) => done([e.violatedDirective, window.__csp_ran]),
			{ once: true });
		const s = document.createElement('script');
		s.textContent = 'window.__csp_ran = true;';
		document.body.append(s);
	}));
	return (r[0].startsWith('script-src') && r[1] === undefined) || JSON.stringify(r);
});
await check('a path links to the file and line on the repository\'s host', async () => {
	const href = await page.locator('tr[data-finding] td:nth-child(3) a').first().getAttribute('href');
	return /^http:\/\/127\.0\.0\.1:\d+\/git\/.+\/blob\/main\/.+#L\d+$/.test(href) || href;
});

// Triage with a reason and an expiry, then reopen.
const firstFinding = await page.locator('tr[data-finding]').first().getAttribute('data-finding');
await visit(page, `findings/${firstFinding}`, `Finding ${firstFinding}`);
await axe(page, 'finding');
await check('triage with a reason and an expiry shows both', async () => {
	await page.getByLabel('Decision').selectOption('false_positive');
	const until = new Date(Date.now() + 7 * 86400000);
	const local = new Date(until.getTime() - until.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
	await page.getByLabel('Expires (optional)').fill(local);
	await page.getByLabel('Reason (required)').fill('test fixture, never deployed');
	await page.getByRole('button', { name: 'Save triage' }).click();
	await page.getByRole('heading', { name: 'Triaged' }).waitFor();
	const t = await page.locator('main').textContent();
	return (t.includes('false positive by user:') && t.includes('test fixture, never deployed') &&
		t.includes('expires')) || t;
});
await check('reopening brings the finding back to open', async () => {
	await page.getByRole('button', { name: 'Reopen' }).click();
	await page.getByRole('heading', { name: 'Triaged' }).waitFor({ state: 'detached' });
	const t = await page.locator('dl.facts').textContent();
	return t.includes('Stateopen') || t;
});

// Repositories: connect one (its secret shown once), disconnect another.
await visit(page, 'repos', 'Repositories');
await axe(page, 'repos');
await check('connecting a repository shows its webhook path and secret once', async () => {
	await page.getByLabel('Provider').selectOption('gitea');
	await page.getByLabel('Full name (owner/name)').fill(`${REPO_NAME}-new`);
	// A host the stack's clone_hosts allows (a repository never cloned).
	await page.getByLabel('Clone URL').fill('https://example.invalid/o/n.git');
	await page.getByRole('button', { name: 'Connect' }).click();
	const secret = await page.locator('[data-webhook-secret]').textContent();
	const path = await page.locator('[data-webhook-path]').textContent();
	return (/^[0-9a-f]{64}$/.test(secret) && path.startsWith('/hooks/gitea/')) || `${path} ${secret}`;
});
await visit(page, `repos/${REPO}`, REPO_NAME);
await axe(page, 'repo');
await check('a repository shows its last scan with its tool runs', async () => {
	const t = await page.getByRole('region', { name: 'Last scans' }).textContent();
	return (/complete|incomplete/.test(t) && t.includes('shellcheck')) || t;
});

await check('the SBOM downloads as a CycloneDX document', async () => {
	const [dl] = await Promise.all([page.waitForEvent('download'),
		page.getByRole('button', { name: 'Download SBOM (CycloneDX)' }).click()]);
	const bom = JSON.parse(readFileSync(await dl.path(), 'utf8'));
	return (bom.bomFormat === 'CycloneDX' && dl.suggestedFilename().endsWith('.cdx.json')) || JSON.stringify(bom).slice(0, 200);
});
await check('a scan\'s SARIF downloads with one run per tool', async () => {
	const [dl] = await Promise.all([page.waitForEvent('download'),
		page.getByRole('button', { name: 'SARIF' }).first().click()]);
	const sarif = JSON.parse(readFileSync(await dl.path(), 'utf8'));
	return (sarif.version === '2.1.0' && sarif.runs.some((r) => r.tool.driver.name === 'shellcheck')) ||
		JSON.stringify(sarif).slice(0, 200);
});

// Audit: the chain verifies.
await visit(page, 'audit', 'Audit');
await axe(page, 'audit');
await check('"Verify chain" shows the API\'s verdict: intact', async () => {
	await page.getByRole('button', { name: 'Verify chain' }).click();
	const t = await page.getByRole('status').textContent();
	return /^Chain intact: \d+ events checked\.$/.test(t) || t;
});

// Admin: an API key shown once.
await visit(page, 'admin', 'Admin');
await axe(page, 'admin');
await check('a new API key is shown once with its expiry listed', async () => {
	await page.getByLabel('Name', { exact: true }).fill('ci');
	await page.getByRole('button', { name: 'Create key' }).click();
	const key = await page.locator('[data-api-key]').textContent();
	const t = await page.getByRole('region', { name: 'API keys' }).textContent();
	return (key.startsWith('lethe_') && t.includes('ci') && !t.includes(key)) || `${key} ${t}`;
});

await check('revoking the key marks it revoked', async () => {
	await page.getByRole('button', { name: 'Revoke ci' }).click();
	await page.waitForFunction(() => [...document.querySelectorAll('tr[data-key]')].some((tr) =>
		tr.cells[0].textContent === 'ci' && tr.cells[6].textContent.startsWith('revoked')));
	return true;
});
await check('the owner rotates the org key and sees the new version', async () => {
	await page.getByRole('button', { name: 'Rotate the org key' }).click();
	const t = await page.getByRole('status').filter({ hasText: 'Rotated' }).textContent();
	const rows = await page.getByRole('region', { name: 'Org key versions' }).textContent();
	return (/^Rotated from version 1 to 2: \d+ secrets re-encrypted\.$/.test(t) && rows.includes('retired')) ||
		`${t} ${rows}`;
});
await check('the owner adds a user and changes their role', async () => {
	const form = page.getByRole('form', { name: 'Add a user' });
	await form.getByLabel('Email').fill(`added-${MEMBER}`);
	await form.getByLabel('Password').fill(PW);
	await form.getByLabel('Role').selectOption('member');
	await form.getByRole('button', { name: 'Add user' }).click();
	const role = page.getByLabel(`Role of added-${MEMBER}`);
	await role.selectOption('admin');
	await page.locator('tr', { has: role }).getByRole('button', { name: 'Save role' }).click();
	// The table is drawn anew after each change: look the row up each time.
	await page.waitForFunction((email) => [...document.querySelectorAll('tr[data-user]')].some((tr) =>
		tr.cells[0].textContent === email && tr.cells[1].textContent === 'admin'), `added-${MEMBER}`);
	return true;
});

// Keyboard: the skip link first, then the navigation, with a visible focus.
await check('Tab reaches the skip link and the navigation, each with a visible focus ring', async () => {
	await visit(page, 'now', 'Now');
	await page.reload();
	await page.getByRole('heading', { name: 'Now', level: 1 }).waitFor();
	const seen = [];
	for (let i = 0; i < 3; i++) {
		await page.keyboard.press('Tab');
		seen.push(await page.evaluate(() => {
			const e = document.activeElement;
			const st = getComputedStyle(e);
			return `${e.textContent.trim()}:${st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2}`;
		}));
	}
	return seen.join(',') === 'Skip to content:true,Now:true,Scrub log:true' || seen.join(',');
});

// Another org's repository id: not found.
await check('another org\'s repository id shows "not found"', async () => {
	await page.goto(`${URL}/#/repos/${OTHER_REPO}`);
	const t = await page.getByRole('alert').textContent();
	return t === 'repository not found' || t;
});

// Screenshots of every page at both sizes, for review, and a look at 360 px;
// the disconnect last.
const pages = [['now', 'Now'], ['scrubs', 'Scrub log'], ['findings', 'Findings'], ['repos', 'Repositories'],
	[`findings/${firstFinding}`, `Finding ${firstFinding}`], [`repos/${REPO}`, REPO_NAME], ['audit', 'Audit'],
	['admin', 'Admin']];
// What sticks out past the right edge of the screen, tables (which scroll,
// or become cards) left out.
const overflow = () => page.evaluate(() => [...document.querySelectorAll('main *')].filter((e) =>
	!e.closest('.scroll') && e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => e.tagName));
const wide = { 360: [], 390: [] };
for (const size of [{ width: 1280, height: 800 }, { width: 390, height: 844 }, { width: 360, height: 740 }]) {
	await page.setViewportSize(size);
	for (const [hash, heading] of pages) {
		await visit(page, hash, heading);
		if (size.width === 390)
			await axe(page, `${hash.split('/')[0]}${hash.includes('/') ? ' (one)' : ''} at ${size.width} px`);
		if (size.width < 1280)
			wide[size.width].push(...(await overflow()).map((t) => `${hash}:${t}`));
		if (size.width !== 360)
			await shot(page, hash.split('/')[0] + (hash.includes('/') ? '-one' : ''));
	}
}
for (const w of [390, 360])
	report(wide[w].length === 0, `at ${w} px no page has anything but tables wider than the screen`, wide[w].join(','));
await page.setViewportSize({ width: 1280, height: 800 });

await visit(page, `repos/${REPO}`, REPO_NAME);
await check('disconnecting names what goes, then shows the counts the API returned', async () => {
	await page.getByRole('button', { name: 'Disconnect…' }).click();
	const warn = await page.locator('.warn').textContent();
	await page.getByRole('button', { name: `Delete everything about ${REPO_NAME}` }).click();
	await page.getByRole('heading', { name: 'Disconnected' }).waitFor();
	const findings = await page.locator('tr[data-kind="findings"] td.num').textContent();
	const repos = await page.locator('tr[data-kind="repositories"] td.num').textContent();
	return (warn.includes('findings') && Number(findings) >= 2 && repos === '1') || `${findings} ${repos}`;
});

// A member: no admin pages or actions.
const mctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const mpage = await mctx.newPage();
await mpage.clock.install();		// the page's timers, to be run ahead below
await signIn(mpage, MEMBER);
await check('a member\'s navigation has no Audit or Admin', async () => {
	const t = await mpage.getByRole('navigation', { name: 'Pages' }).textContent();
	return (!t.includes('Audit') && !t.includes('Admin') && t.includes('Findings')) || t;
});
await check('a member sees no connect form, no disconnect button and no admin page', async () => {
	await visit(mpage, 'repos', 'Repositories');
	const forms = await mpage.getByRole('form', { name: 'Connect a repository' }).count();
	await mpage.goto(`${URL}/#/repos/${KEPT_REPO}`);
	await mpage.getByRole('heading', { name: 'Last scans' }).waitFor();
	if (await mpage.getByRole('button', { name: /Disconnect/ }).count() !== 0)
		return 'a disconnect button';
	await visit(mpage, 'admin', 'Admin');
	const t = await mpage.getByRole('alert').textContent();
	return (forms === 0 && t === 'this needs the admin role') || `${forms} ${t}`;
});
await check('the page refreshes its access token by itself before it expires, and goes on working', async () => {
	const [res] = await Promise.all([
		mpage.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh')),
		mpage.clock.fastForward('04:00:00'),
	]);
	await visit(mpage, 'scrubs', 'Scrub log');
	const alerts = await mpage.getByRole('alert').count();
	return (res.status() === 200 && alerts === 0) || `${res.status()} ${alerts}`;
});
await check('signing out revokes the session: a reload asks to sign in', async () => {
	await mpage.getByRole('button', { name: 'Sign out' }).click();
	await mpage.reload();
	await mpage.getByRole('heading', { name: 'Sign in to Lethe' }).waitFor();
	return true;
});

axeReport();
watchReport(watched, 1);
await browser.close();
