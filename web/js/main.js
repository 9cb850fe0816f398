// main.js - session, navigation and the page router (#/page/id?query).
import * as api from './api.js';
import { el, clear, errorBox } from './ui.js';
import signin from './pages/signin.js';
import now from './pages/now.js';
import scrubs from './pages/scrubs.js';
import findings from './pages/findings.js';
import repos from './pages/repos.js';
import audit from './pages/audit.js';
import admin from './pages/admin.js';
import fixes from './pages/fixes.js';

export const RANK = { member: 1, admin: 2, owner: 3 };

// Page, its title in the navigation, the least role that sees it and, for a
// page not in the navigation, the entry it comes under.
const PAGES = [
	['now', 'Now', 'member', now],
	['scrubs', 'Scrub log', 'member', scrubs],
	['findings', 'Findings', 'member', findings],
	['repos', 'Repositories', 'member', repos],
	['audit', 'Audit', 'admin', audit],
	['admin', 'Admin', 'admin', admin],
	['fixes', 'Fix', 'admin', fixes, 'findings'],
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let me = null;
let leave = null;
let shown = 0;		// counts renders: a page left while loading stops at once

export function may(role) {
	return me !== null && RANK[me.role] >= RANK[role];
}

export function caller() {
	return me;
}

function route() {
	const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
	const [page, id] = path.split('/');
	return { page: page || 'now', id: id ? Number(id) : null, query: new URLSearchParams(query || '') };
}

function showNav(current) {
	clear(nav, PAGES.filter(([, , role, , under]) => may(role) && !under).map(([p, title]) =>
		el('a', { href: `#/${p}`, 'aria-current': p === current ? 'page' : null }, title)));
	nav.hidden = false;
	clear(who, el('span', {}, `${me.user ? me.user.email : me.actor} · ${me.org.name} · ${me.role}`),
		el('button', { type: 'button', class: 'secondary', onclick: signOut }, 'Sign out'));
}

async function render() {
	if (leave)
		leave();
	leave = null;
	shown++;
	if (!me) {
		nav.hidden = true;
		clear(who);
		document.title = 'Sign in · Lethe';
		signin(main, () => signedIn(true));
		return;
	}
	const r = route();
	const entry = PAGES.find(([p]) => p === r.page);
	showNav(entry ? entry[4] || entry[0] : null);
	if (!entry) {
		clear(main, el('h1', {}, 'Not found'), errorBox('no such page'));
		return;
	}
	const [, title, role, page] = entry;
	document.title = `${title} · Lethe`;
	if (!may(role)) {
		clear(main, el('h1', {}, title), errorBox(`this needs the ${role} role`));
		return;
	}
	// Each page draws into a view of its own: one left before it finished
	// loading draws into a detached node, never over the next page.
	const view = el('div');
	const mine = shown;
	clear(main, view);
	try {
		const stop = await page(view, r);
		if (mine === shown)
			leave = stop;
		else if (stop)
			stop();
	} catch (e) {
		view.append(errorBox(e));
	}
}

// After the sign-in form the focus moves to the page; a reload leaves it at
// the start of the document (the skip link comes first).
async function signedIn(fromForm) {
	me = await api.get('/me');
	if (!location.hash || location.hash === '#/signin')
		location.hash = '#/now';
	await render();
	if (fromForm)
		main.focus();
}

async function signOut() {
	await api.logout().catch(() => {});
	me = null;
	await render();
}

api.signedOutHandler(() => {
	me = null;
	render();
});

window.addEventListener('hashchange', () => {
	render().then(() => main.focus({ preventScroll: true }));
});

// A reload keeps the session through the refresh cookie, if there is one.
api.refresh().then(() => signedIn(false), () => render());
