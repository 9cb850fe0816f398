// Scrub log: every destroyed checkout, how it ended, how long it lived and
// how long its destruction took, as lethe-scan and lethe-scrub recorded.
import { get } from '../api.js';
import { el, clear, time, short, ms, table, labelled, empty, action } from '../ui.js';

const HEADS = ['Repository', 'Commit', 'Host', 'Backend', 'Created', 'Destroyed', 'Ended', 'Lived', 'Destruction took'];

const ENDED = {
	scan: ['after its scan', 'ok'],
	deadline: ['past its deadline', 'warn'],
	orphaned: ['orphaned', 'warn'],
};

function row(c) {
	const [text, tone] = ENDED[c.ended] || [c.ended, 'warn'];
	return el('tr', { 'data-checkout': c.id },
		el('td', {}, el('a', { href: `#/repos/${c.repository}` }, c.full_name)),
		el('td', {}, short(c.commit_sha)),
		el('td', {}, c.host),
		el('td', {}, c.backend, ' ', el('code', {}, c.cipher)),
		el('td', {}, time(c.created_at)),
		el('td', {}, time(c.destroyed_at)),
		el('td', {}, el('span', { class: `tag ${tone}` }, text), el('br'), `${c.destroyed_by}: ${c.reason}`),
		el('td', { class: 'num' }, ms(c.lived_ms)),
		el('td', { class: 'num' }, c.teardown_usec === null ? '—' : ms(Math.round(c.teardown_usec / 1000))));
}

export default async function scrubs(main) {
	const rows = el('tbody');
	const more = el('div');

	clear(main, el('h1', {}, 'Scrub log'),
		el('p', { class: 'lead' }, 'Every checkout Lethe has destroyed: by lethe-scan when its scan ended, or by ' +
			'lethe-scrub past its deadline or once orphaned by a dead job.'));

	async function page(before) {
		const q = new URLSearchParams({ limit: '50' });
		if (before)
			q.set('before', before);
		const r = await get(`/checkouts/history?${q}`);
		rows.append(...r.checkouts.map((c) => labelled(HEADS, row(c))));
		clear(more, r.next_before ? action('Older', () => page(r.next_before), { class: 'secondary' }) : '');
		return r;
	}

	const first = await page(null);
	if (!first.checkouts.length) {
		main.append(empty('No checkout has been destroyed yet: the first scan of a connected repository will ' +
			'show here once its volume is gone.'));
		return null;
	}
	const t = table('Destroyed checkouts', HEADS, []);
	t.querySelector('tbody').replaceWith(rows);
	main.append(t, more);
	return null;
}
