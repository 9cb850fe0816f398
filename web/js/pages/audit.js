// Audit: the org's hash-chained audit events, paged, and the API's verdict
// on the chain.
import { get } from '../api.js';
import { el, clear, time, table, labelled, action } from '../ui.js';

const HEADS = ['Event', 'Time', 'Actor', 'Action', 'Target', 'Details'];

function details(d) {
	if (d === null || d === undefined)
		return '';
	if (typeof d !== 'object')
		return String(d);
	return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join('; ');
}

export default async function audit(main) {
	const verdict = el('div', { 'aria-live': 'polite' });
	const rows = el('tbody');
	const more = el('div');
	const t = table('Audit events', HEADS, []);
	t.querySelector('tbody').replaceWith(rows);

	clear(main, el('h1', {}, 'Audit'),
		el('p', { class: 'lead' }, 'Every data operation of your org, each event chained to the one before by its hash.'),
		el('div', { class: 'row' }, action('Verify chain', async () => {
			const v = await get('/audit/verify');
			clear(verdict, v.ok
				? el('p', { class: 'notice', role: 'status' }, `Chain intact: ${v.checked} events checked.`)
				: el('p', { class: 'error', role: 'alert' }, `Chain broken at event ${v.first_bad} ` +
					`(${v.checked} events checked).`));
		})), verdict, t, more);

	async function page(before) {
		const q = new URLSearchParams({ limit: '50' });
		if (before)
			q.set('before', before);
		const r = await get(`/audit?${q}`);
		rows.append(...r.events.map((e) => labelled(HEADS, el('tr', { 'data-event': e.id },
			el('td', { class: 'num' }, String(e.id)), el('td', {}, time(e.ts)), el('td', {}, e.actor),
			el('td', {}, e.action), el('td', {}, e.target || ''), el('td', {}, details(e.details))))));
		clear(more, r.next_before ? action('Older', () => page(r.next_before), { class: 'secondary' }) : '');
	}
	await page(null);
	return null;
}
