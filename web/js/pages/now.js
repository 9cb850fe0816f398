// Now: the org's live checkouts with a countdown to their deadline, and the
// scans queued or running.  Polled from the API every few seconds; the
// countdown ticks every second against the server's clock.
import { get } from '../api.js';
import { el, clear, time, duration, short, table, empty, errorBox } from '../ui.js';

const POLL_MS = 3000;

const BACKEND = { luks2: 'LUKS2 (dm-crypt)', fscrypt: 'fscrypt' };

export default async function now(main) {
	let skew = 0;		// server clock minus browser clock, in ms
	const live = el('div', { 'aria-live': 'polite' });
	const jobs = el('div');
	const status = el('p', { class: 'lead' });

	clear(main, el('h1', {}, 'Now'),
		el('p', { class: 'lead' }, 'What Lethe holds right now: each checkout is an encrypted volume whose key ' +
			'exists in memory only, destroyed when its scan ends or at its deadline at the latest.'),
		el('h2', {}, 'Live checkouts'), live, el('h2', {}, 'Queued and running scans'), jobs, status);

	function tick() {
		for (const c of live.querySelectorAll('[data-deadline]')) {
			const left = (Date.parse(c.dataset.deadline) - (Date.now() + skew)) / 1000;
			c.textContent = left > 0 ? duration(Math.ceil(left)) : 'due: being destroyed';
		}
	}

	function checkoutRow(c) {
		return el('tr', { 'data-checkout': c.id },
			el('td', {}, el('a', { href: `#/repos/${c.repository}` }, c.full_name)),
			el('td', {}, short(c.commit_sha), c.branch ? ` ${c.branch}` : ''),
			el('td', {}, c.host),
			el('td', {}, BACKEND[c.backend] || c.backend, el('br'), el('code', {}, c.cipher)),
			el('td', {}, el('span', { class: 'tag ok' }, 'key in memory only')),
			el('td', {}, time(c.created_at)),
			el('td', { class: 'num' }, el('span', { class: 'countdown', 'data-deadline': c.deadline,
				'aria-label': 'time until automatic deletion' }, duration(c.seconds_left))));
	}

	function jobRow(j) {
		return el('tr', {},
			el('td', {}, el('a', { href: `#/repos/${j.repository}` }, j.full_name)),
			el('td', {}, short(j.commit_sha), j.branch ? ` ${j.branch}` : '', j.pr_number ? ` PR #${j.pr_number}` : ''),
			el('td', {}, el('span', { class: `tag ${j.state === 'running' ? 'ok' : 'warn'}` }, j.state)),
			el('td', { class: 'num' }, `${j.attempts} of ${j.max_attempts}`),
			el('td', {}, time(j.started_at || j.created_at)),
			el('td', {}, j.last_error || ''));
	}

	async function poll() {
		try {
			const [c, j] = await Promise.all([get('/checkouts'), get('/jobs')]);
			skew = Date.parse(c.now) - Date.now();
			clear(live, c.checkouts.length
				? table('Live checkouts', ['Repository', 'Commit', 'Host', 'Backend and cipher', 'Key',
					'Created', 'Deleted in'], c.checkouts.map(checkoutRow))
				: empty('Lethe holds no checkout of your code right now. A push to a connected repository ' +
					'starts a scan; its checkout appears here until it is destroyed.'));
			clear(jobs, j.jobs.length
				? table('Queued and running scans', ['Repository', 'Commit', 'State', 'Attempt', 'Since',
					'Last error'], j.jobs.map(jobRow))
				: empty('No scan is queued or running.'));
			clear(status, 'Updated ', time(c.now), '.');
			tick();
		} catch (e) {
			clear(status, errorBox(e));
		}
	}

	await poll();
	const timers = [setInterval(poll, POLL_MS), setInterval(tick, 1000)];
	return () => timers.forEach(clearInterval);
}
