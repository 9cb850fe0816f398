// tests/browser-lib.mjs: what the dashboard's browser scripts share
// (tests/dashboard-browser.mjs, tests/dashboard-fixes.mjs): Debian's
// chromium through playwright-core, axe-core, one line per check ("ok -
// what" or "not ok - what: why") that tests/browser-lib.sh turns into TAP,
// and signing in and visiting pages.  Their shell test passes the stack's
// data in the environment.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

export const env = (k) => {
	if (!process.env[k])
		throw new Error(`${k} is not set`);
	return process.env[k];
};
const require = createRequire(`${env('BROWSER_TOOLS')}/`);
const { chromium } = require('playwright-core');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const URL = env('LETHE_URL');
export const PW = env('DASH_PASSWORD');

export function report(pass, what, why = '') {
	console.log(pass ? `ok - ${what}` : `not ok - ${what}: ${String(why).replace(/\s+/g, ' ').slice(0, 400)}`);
}

export async function check(what, fn) {
	try {
		const why = await fn();
		report(why === true || why === undefined, what, why);
	} catch (e) {
		report(false, what, e.message);
	}
}

// axe-core's violations on the page as it is now, kept for axeReport.
const axeFound = [];
export async function axe(page, name) {
	await page.evaluate(AXE);
	const r = await page.evaluate(async () => (await window.axe.run(document, {
		resultTypes: ['violations'],
	})).violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length,
		where: v.nodes.slice(0, 2).map((x) => x.target.join(' ')) })));
	const bad = r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	axeFound.push({ name, bad, all: r });
}

// One line per page axe looked at: none serious or critical, or (strict) none at all.
export function axeReport(strict = false) {
	for (const a of axeFound) {
		if (strict)
			report(a.all.length === 0, `axe: no violation on ${a.name}`, JSON.stringify(a.all));
		else
			report(a.bad.length === 0, `axe: no serious or critical violation on ${a.name} ` +
				`(${a.all.length} of lesser impact)`, JSON.stringify(a.bad));
	}
}

export async function signIn(page, email) {
	await page.goto(`${URL}/`);
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(PW);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.getByRole('heading', { name: 'Now', level: 1 }).waitFor();
}

export async function visit(page, hash, heading) {
	await page.goto(`${URL}/#/${hash}`);
	await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

// Chromium runs as root here (the tests need root for the stack):
// --no-sandbox, since its own sandbox refuses to start as root.
export function launch() {
	return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}

// What goes wrong in page: uncaught errors, CSP reports, and API refusals
// but the ones on paths allow(path) accepts (those the script provokes).
export function watch(page, allow = () => false) {
	const w = { errors: [], csp: [], refusals: [] };
	page.on('pageerror', (e) => w.errors.push(e.message));
	page.on('console', (m) => m.text().includes('Content Security Policy') && w.csp.push(m.text()));
	page.on('response', (r) => {
		const u = new globalThis.URL(r.url());
		if (r.status() >= 400 && !u.pathname.startsWith('/api/v1/auth/') && !allow(u.pathname))
			w.refusals.push(`${r.status()} ${u.pathname}`);
	});
	return w;
}

// The lines of watch's findings; csp is the number of CSP reports provoked.
export function watchReport(w, csp = 0) {
	report(w.errors.length === 0, 'no uncaught script error in the page', w.errors.join(' | '));
	report(w.csp.length === csp, csp ? `no CSP report but the ${csp} provoked` : 'no CSP report', w.csp.join(' | '));
	report(w.refusals.length === 0, 'no API refusal the script did not provoke', w.refusals.join(' | '));
}
