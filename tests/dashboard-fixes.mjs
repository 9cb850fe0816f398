// tests/dashboard-fixes.mjs: fixes of findings in the dashboard, run by
// tests/t7004-dashboard-fixes.sh, which sets up an org with two findings
// (the other one's fix proposed already) and passes in $DASH_STEP, a
// command that moves a fix on as lethe-fix would (propose FIX, push FIX).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { env, URL, check, axe, axeReport, signIn, visit, launch, watch, watchReport } from './browser-lib.mjs';

const ADMIN = env('DASH_ADMIN');
const MEMBER = env('DASH_MEMBER');
const REPO = env('DASH_REPO');
const FINDING = env('DASH_FINDING');
const FIX2 = env('DASH_FIX2');
const STEP = env('DASH_STEP');
const SHOTS = env('SHOTS');
const WAIT = 15000;		// the fix view polls every 2 s

const step = (what, fix) => execFileSync(STEP, [what, String(fix)], { stdio: ['ignore', 'ignore', 'inherit'] });
const seconds = (t) => t.split(':').map(Number).reduce((a, b) => a * 60 + b, 0);

async function shots(page, name) {
	for (const width of [1280, 390]) {
		await page.setViewportSize({ width, height: width === 1280 ? 800 : 844 });
		await page.screenshot({ path: `${SHOTS}/fix-${name}-${width}.png`, fullPage: true });
	}
	await page.setViewportSize({ width: 1280, height: 800 });
}

const browser = await launch();
mkdirSync(SHOTS, { recursive: true });
const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await ctx.newPage();
const watched = watch(page);
const facts = () => page.locator('dl.facts').textContent();

// An admin asks for a fix from the list.
await signIn(page, ADMIN);
await visit(page, `findings?repository=${REPO}`, 'Findings');
const row = page.locator(`tr[data-finding="${FINDING}"]`);
let fix1 = null;
await check('an admin asks for a fix from the Findings page, with an instruction, and sees it queued', async () => {
	await row.getByRole('button', { name: `Ask for a fix… (finding ${FINDING})` }).click();
	await row.getByLabel('Instruction (optional)').fill('keep the function signature');
	await row.getByRole('button', { name: 'Ask for a fix', exact: true }).click();
	const link = row.getByRole('link', { name: /^Fix \d+: queued$/ });
	await link.waitFor();
	fix1 = (await link.getAttribute('href')).split('/').pop();
	const asks = await row.getByRole('button', { name: /Ask for a fix/ }).count();
	return asks === 0 || `${asks} ask buttons left`;
});
await check('the list shows the other finding\'s fix proposed, and no way to ask for another', async () => {
	const other = page.locator('tr[data-finding]').filter({ has: page.locator(`a[href="#/fixes/${FIX2}"]`) });
	const t = await other.textContent();
	const asks = await other.getByRole('button', { name: /Ask for a fix/ }).count();
	return (t.includes(`Fix ${FIX2}: proposed`) && asks === 0) || `${t} ${asks}`;
});
await axe(page, 'the Findings page with fixes');
await shots(page, 'list');

// Its fix view, polling: queued, then proposed with its patch.
await check('the fix view shows the fix queued, with its instruction', async () => {
	await row.getByRole('link', { name: /^Fix \d+: queued$/ }).click();
	await page.getByRole('heading', { name: `Fix ${fix1}`, level: 1 }).waitFor();
	const t = await facts();
	return (await page.locator('dl.facts [data-fix-state="queued"]').count() === 1 &&
		t.includes('keep the function signature')) || t;
});
await check('once its patch is sealed the polling view shows it proposed, with the diff', async () => {
	step('propose', fix1);
	await page.getByRole('region', { name: 'Proposed patch' }).waitFor({ timeout: WAIT });
	const add = await page.locator('pre.diff .add').allTextContents();
	const del = await page.locator('pre.diff .del').allTextContents();
	return (add.length === 1 && add[0].startsWith('+\tstrlcpy(dst, src, DST_MAX);') &&
		del.length === 1 && del[0] === '-\tstrcpy(dst, src);\n') || JSON.stringify([add, del]);
});
await check('the patch\'s markup is text: no element from it, nothing ran', async () => {
	const r = await page.evaluate(() => [document.querySelectorAll('main img').length, window.__lethe_xss === undefined,
		document.querySelector('pre.diff').textContent.includes('<img src=x onerror=window.__lethe_xss=1>')]);
	return (r[0] === 0 && r[1] && r[2]) || JSON.stringify(r);
});
await check('added and removed lines are styled apart from the others', async () => {
	const bg = await page.evaluate(() => ['add', 'del', 'hunk'].map((k) =>
		getComputedStyle(document.querySelector(`pre.diff .${k}`)).backgroundColor));
	return new Set(bg).size === 3 || bg.join(' ');
});
await check('the time left until the patch is destroyed counts down', async () => {
	const cd = page.locator('[data-deadline]');
	const first = seconds(await cd.textContent());
	await page.waitForFunction((f) => {
		const t = document.querySelector('[data-deadline]').textContent;
		return t.split(':').map(Number).reduce((a, b) => a * 60 + b, 0) < f;
	}, first, { timeout: 5000 });
	return (first > 0 && first <= 7200) || `${first} s`;
});
await axe(page, 'the fix view, proposed');
await shots(page, 'proposed');

// Approving it: a confirmation first, then approved.
await check('approving asks first: pushing a branch and opening a pull request', async () => {
	await page.getByRole('button', { name: 'Approve…' }).click();
	const t = await page.getByRole('alert').textContent();
	const focused = await page.evaluate(() => document.activeElement.textContent);
	return (t.includes('pushes a branch') && t.includes('pull request') &&
		focused === 'Approve: push and open a pull request') || `${t} / ${focused}`;
});
await axe(page, 'the fix view, asking to confirm the approval');
await check('confirmed, the fix is approved and the view says it is being pushed', async () => {
	await page.getByRole('button', { name: 'Approve: push and open a pull request' }).click();
	await page.locator('dl.facts [data-fix-state="approved"]').waitFor();
	const t = await page.locator('main').textContent();
	const buttons = await page.getByRole('button', { name: /Approve|Reject/ }).count();
	return (t.includes('lethe-fix is pushing the branch') && t.includes('Approved') && buttons === 0) ||
		`${buttons} buttons: ${t}`;
});
await check('once pushed the polling view shows the branch and a link to the pull request', async () => {
	step('push', fix1);
	const branch = page.locator('[data-fix-branch]');
	await branch.waitFor({ timeout: WAIT });
	const link = page.getByRole('link', { name: 'Pull request #7' });
	const r = [await branch.textContent(), await link.getAttribute('href'), await link.getAttribute('rel'),
		await page.getByRole('region', { name: 'Proposed patch' }).count()];
	return (r[0] === `lethe/fix-${FINDING}-1` && r[1] === 'https://example.invalid/acme/app/pull/7' &&
		r[2] === 'noopener noreferrer' && r[3] === 0) || JSON.stringify(r);
});
await axe(page, 'the fix view, pushed');
await shots(page, 'pushed');

// The other fix, rejected.
await visit(page, `fixes/${FIX2}`, `Fix ${FIX2}`);
await check('rejecting the other proposed fix marks it rejected and takes its patch away', async () => {
	await page.getByRole('region', { name: 'Proposed patch' }).waitFor();
	await page.getByRole('button', { name: 'Reject' }).click();
	await page.locator('dl.facts [data-fix-state="rejected"]').waitFor();
	const r = [await page.getByRole('region', { name: 'Proposed patch' }).count(),
		await page.getByRole('button', { name: /Approve|Reject/ }).count(),
		await page.evaluate(() => document.activeElement.textContent)];
	return (r[0] === 0 && r[1] === 0 && r[2].startsWith('Rejected')) || JSON.stringify(r);
});
await check('its finding shows the fix rejected and offers to ask for another', async () => {
	await page.getByRole('link', { name: /^← Finding \d+$/ }).click();
	await page.getByRole('heading', { name: 'Ask for a fix' }).waitFor();
	const t = await facts();
	return t.includes(`Fix ${FIX2}: rejected`) || t;
});
await axe(page, 'a finding with its fix rejected');
await visit(page, `findings?repository=${REPO}`, 'Findings');
await page.locator('tr[data-finding]').getByRole('button', { name: /^Ask for a fix… \(finding \d+\)$/ }).first().click();
await axe(page, 'the Findings page, asking for a fix');

// A member: the states, no action.
const mctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const mpage = await mctx.newPage();
await signIn(mpage, MEMBER);
await visit(mpage, `findings?repository=${REPO}`, 'Findings');
await check('a member sees each fix\'s state, with no way to ask for, open, approve or reject one', async () => {
	const t = await mpage.getByRole('region', { name: 'Findings' }).textContent();
	const r = [await mpage.getByRole('button', { name: /fix/i }).count(), await mpage.locator('a[href^="#/fixes/"]').count()];
	return (t.includes(`Fix ${fix1}: pushed`) && t.includes(`Fix ${FIX2}: rejected`) && r[0] === 0 && r[1] === 0) ||
		`${JSON.stringify(r)} ${t}`;
});
await check('a member\'s finding page has no fix form, and the fix view needs the admin role', async () => {
	await visit(mpage, `findings/${FINDING}`, `Finding ${FINDING}`);
	const forms = await mpage.getByRole('form').count();
	const t = await mpage.locator('dl.facts').textContent();
	await mpage.goto(`${URL}/#/fixes/${fix1}`);
	const alert = await mpage.getByRole('alert').textContent();
	return (forms === 0 && t.includes(`Fix ${fix1}: pushed`) && alert === 'this needs the admin role') ||
		`${forms} ${alert} ${t}`;
});

axeReport(true);
watchReport(watched);
await browser.close();
