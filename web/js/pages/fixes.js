// Fixes: one fix of a finding, for admins.  Polled while lethe-fix writes it
// (queued, running) or pushes it (approved); its proposed patch shown as a
// diff, as text only (it is repository code), the time left until its
// sealed patch is destroyed, and approving it (after a confirmation: that
// pushes a branch and opens a pull request) or rejecting it.  The Findings
// page asks for fixes with askForm and shows their state with fixTag.
import { get, call } from '../api.js';
import { el, clear, time, duration, errorBox, form, field, action } from '../ui.js';

const POLL_MS = 2000;
// States in which lethe-fix still has work to do: the page polls.
const WORKING = ['queued', 'running', 'approved'];
// States of a fix on the way: a finding has one at a time.
const ON_THE_WAY = ['queued', 'running', 'proposed', 'approved'];
const TONE = { queued: 'warn', running: 'warn', proposed: 'warn', approved: 'ok', pushed: 'ok',
	rejected: 'bad', expired: 'bad', failed: 'bad' };

// A fix's state as a tag, its text the state or the one given.
export function fixTag(fix, text = fix.state) {
	return el('span', { class: `tag ${TONE[fix.state] || 'warn'}`, 'data-fix-state': fix.state }, text);
}

// Whether an admin may ask for a fix of finding f now.
export function mayAsk(f) {
	return f.state === 'open' && !(f.fix && ON_THE_WAY.includes(f.fix.state));
}

// The form asking for a fix of finding f; done(fix) gets the new fix.
export function askForm(f, done, cancel) {
	return form({ class: 'ask-fix', 'aria-label': `Ask for a fix of finding ${f.id}` }, [
		field('Instruction (optional)', { tag: 'textarea', name: 'instruction', maxlength: 2000,
			placeholder: 'keep the public API unchanged' }),
		el('div', { class: 'row' },
			el('button', { type: 'submit' }, 'Ask for a fix'),
			cancel ? el('button', { type: 'button', class: 'secondary', onclick: cancel }, 'Cancel') : null),
	], async (v) => {
		const body = v.instruction ? { instruction: v.instruction.trim() } : {};
		done(await call('POST', `/findings/${f.id}/fix`, body));
	});
}

function lineClass(line) {
	if (line.startsWith('+++ ') || line.startsWith('--- ') || line.startsWith('diff '))
		return 'file';
	if (line.startsWith('@@'))
		return 'hunk';
	return { '+': 'add', '-': 'del' }[line[0]] || null;
}

// The patch as text, line by line: never parsed as markup.
function diff(patch) {
	return el('div', { class: 'scroll', role: 'region', 'aria-label': 'Proposed patch', tabindex: 0 },
		el('pre', { class: 'diff' }, patch.replace(/\n$/, '').split('\n').map((line) =>
			el('span', { class: lineClass(line) }, line, '\n'))));
}

function pullRequest(fx) {
	const text = `Pull request${fx.pull_request ? ` #${fx.pull_request}` : ''}`;
	return fx.pull_request_url && /^https?:\/\//.test(fx.pull_request_url)
		? el('a', { href: fx.pull_request_url, rel: 'noopener noreferrer', target: '_blank' }, text)
		: text;
}

function facts(fx) {
	const rows = [
		['State', fixTag(fx)],
		['Asked by', fx.requested_by || '—'],
		['Asked at', time(fx.created_at)],
		['Instruction', fx.instruction ? el('q', {}, fx.instruction) : '—'],
		fx.deadline && fx.patch ? ['Patch deleted in', el('span', { class: 'countdown', 'data-deadline': fx.deadline },
			duration((Date.parse(fx.deadline) - Date.now()) / 1000))] : null,
		fx.patch_bytes !== null ? ['Patch size', `${fx.patch_bytes} bytes`] : null,
		fx.approved_by ? ['Approved', [`by ${fx.approved_by} `, time(fx.approved_at)]] : null,
		fx.rejected_by ? ['Rejected by', fx.rejected_by] : null,
		fx.failure ? ['Failure', fx.failure] : null,
		fx.branch ? ['Branch', el('code', { 'data-fix-branch': '' }, fx.branch)] : null,
		fx.pull_request_url || fx.pull_request ? ['Pull request', pullRequest(fx)] : null,
		fx.pushed_at ? ['Pushed', time(fx.pushed_at)] : null,
	];
	return el('dl', { class: 'facts' }, rows.filter(Boolean).map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

// What the state means, in one line.
function summary(fx) {
	const say = {
		queued: 'Queued: lethe-fix will write a patch at the commit the finding was last seen at.',
		running: 'Running: lethe-fix is writing a patch.',
		proposed: fx.patch ? 'Proposed: review the patch, then approve or reject it before its deadline.'
			: 'Proposed, but its patch is no longer sealed.',
		approved: 'Approved: lethe-fix is pushing the branch and opening the pull request.',
		pushed: 'Pushed: the branch and its pull request are on the repository\'s host.',
		rejected: 'Rejected: its patch was destroyed.',
		expired: 'Expired: its patch passed its deadline and was destroyed.',
		failed: 'Failed: no patch was proposed.',
	};
	return say[fx.state] || fx.state;
}

export default async function fixes(main, r) {
	let fx = null;
	let finding = null;
	const status = el('p', { class: 'lead', 'aria-live': 'polite' });
	const body = el('div');
	const back = () => el('p', {}, el('a', { href: fx ? `#/findings/${fx.finding}` : '#/findings' },
		fx ? `← Finding ${fx.finding}` : '← All findings'));

	function tick() {
		for (const c of body.querySelectorAll('[data-deadline]')) {
			const left = (Date.parse(c.dataset.deadline) - Date.now()) / 1000;
			c.textContent = left > 0 ? duration(Math.ceil(left)) : 'due: being destroyed';
		}
	}

	// After an approval or a rejection: the new state, and the focus on it.
	// Their answer has no patch: an approved one's stays sealed until pushed.
	function changed(answer) {
		fx = { ...fx, ...answer, patch: answer.state === 'approved' ? fx.patch : null };
		draw();
		status.focus();
	}

	// Rejecting destroys the sealed patch at once (or stops a fix on its way).
	function rejectButton() {
		return action('Reject', async () => {
			changed(await call('POST', `/fixes/${fx.id}/reject`));
		}, { class: 'danger' });
	}

	function approvePanel() {
		const box = el('div', { class: 'row actions' });
		const ask = action('Approve…', async () => {
			clear(box, el('div', { class: 'warn', role: 'alert' }, el('p', {}, 'Approving pushes a branch with this ' +
				'patch to the repository and opens a pull request for it, with the integration\'s write token.')),
			el('div', { class: 'row' },
				action('Approve: push and open a pull request', async () => {
					changed(await call('POST', `/fixes/${fx.id}/approve`));
				}, { class: 'confirm' }),
				action('Cancel', async () => { clear(box, ask, reject); ask.focus(); }, { class: 'secondary' })));
			box.querySelector('.confirm').focus();
		});
		const reject = rejectButton();
		box.append(ask, reject);
		return box;
	}

	function draw() {
		const title = finding ? `${finding.tool} ${finding.rule_id} in ${finding.path}` : null;
		clear(status, summary(fx));
		clear(body,
			title ? el('p', {}, title) : null,
			facts(fx),
			fx.state === 'proposed' && fx.patch ? approvePanel() : null,
			fx.state === 'queued' || fx.state === 'running' ? el('div', { class: 'row actions' }, rejectButton()) : null,
			fx.patch ? [el('h2', {}, 'Proposed patch'), diff(fx.patch)] : null);
		tick();
	}

	async function poll() {
		if (!WORKING.includes(fx.state))
			return;
		try {
			const next = await get(`/fixes/${fx.id}`);
			if (JSON.stringify(next) !== JSON.stringify(fx)) {
				fx = next;
				draw();
			}
		} catch (e) {
			clear(status, errorBox(e));
		}
	}

	clear(main, back(), el('h1', {}, `Fix ${r.id}`), status, body);
	status.setAttribute('tabindex', '-1');
	try {
		fx = await get(`/fixes/${r.id}`);
		finding = await get(`/findings/${fx.finding}`).catch(() => null);
	} catch (e) {
		clear(main, back(), el('h1', {}, `Fix ${r.id}`), errorBox(e));
		return null;
	}
	main.firstChild.replaceWith(back());
	draw();
	const timers = [setInterval(poll, POLL_MS), setInterval(tick, 1000)];
	return () => timers.forEach(clearInterval);
}
