// Findings: filters, the list, and one finding with the scans that saw it,
// its triage (suppress or false positive, a reason, an optional expiry) and
// reopening.  Paths link to the repository's own web interface.
import { get, call } from '../api.js';
import { el, clear, time, short, table, empty, errorBox, form, field, choice, action } from '../ui.js';
import { fileUrl } from '../vcs.js';
import { may } from '../main.js';
import { fixTag, mayAsk, askForm } from './fixes.js';

const STATES = [['', 'any'], ['open', 'open'], ['fixed', 'fixed'], ['suppressed', 'suppressed'],
	['false_positive', 'false positive']];
const LEVELS = [['', 'any'], ['error', 'error'], ['warning', 'warning'], ['note', 'note']];
const TONE = { error: 'bad', warning: 'warn', note: 'ok' };

function where(f, repo, ref) {
	const text = `${f.path}${f.start_line ? `:${f.start_line}` : ''}`;
	const url = fileUrl(repo, ref, f.path, f.start_line);
	return url ? el('a', { href: url, rel: 'noreferrer noopener', target: '_blank', class: 'mono' }, text)
		: el('span', { class: 'mono' }, text);
}

function stateTag(f) {
	const s = f.suppressed_in_code ? 'suppressed in code (lethe:ignore)' : f.state.replace('_', ' ');
	return el('span', { class: `tag ${f.state === 'open' ? 'bad' : 'ok'}` }, s);
}

// A finding's fix: its state (for an admin a link to it) and, when it has
// none on the way, for an admin the way to ask for one.
function fixState(f) {
	if (!f.fix)
		return null;
	const tag = fixTag(f.fix, `Fix ${f.fix.id}: ${f.fix.state}`);
	return may('admin') ? el('a', { href: `#/fixes/${f.fix.id}` }, tag) : tag;
}

function fixCell(f) {
	const cell = el('div', { class: 'fix' });
	const draw = () => {
		const ask = may('admin') && mayAsk(f) ? el('button', { type: 'button', class: 'secondary' },
			'Ask for a fix…', el('span', { class: 'sr-only' }, ` (finding ${f.id})`)) : null;
		ask?.addEventListener('click', () => {
			clear(cell, askForm(f, (fix) => { f.fix = fix; draw(); cell.querySelector('a')?.focus(); }, () => {
				draw();
				cell.querySelector('button')?.focus();
			}));
			cell.querySelector('textarea').focus();
		});
		clear(cell, fixState(f), ask);
		if (!f.fix && !ask)
			cell.append(el('span', { class: 'empty' }, '—'));
	};
	draw();
	return cell;
}

async function list(main, r) {
	const repos = (await get('/repositories')).repositories;
	const byId = new Map(repos.map((x) => [x.id, x]));
	const q = r.query;
	const out = el('div');
	const filters = form({ class: 'row panel', 'aria-label': 'Filter findings' }, [
		choice('Repository', 'repository', [['', 'any'], ...repos.map((x) => [String(x.id), x.full_name])]),
		field('Branch', { name: 'branch', value: q.get('branch') || '', placeholder: 'main' }),
		field('Pull request', { name: 'pull_request', type: 'number', min: 1, value: q.get('pull_request') || '' }),
		choice('Severity', 'level', LEVELS),
		field('Tool', { name: 'tool', value: q.get('tool') || '', placeholder: 'semgrep' }),
		choice('State', 'state', STATES),
		el('button', { type: 'submit' }, 'Filter'),
	], async (v) => {
		location.hash = `#/findings?${new URLSearchParams(v)}`;
	});
	for (const name of ['repository', 'level', 'state'])
		filters.elements[name].value = q.get(name) || '';
	clear(main, el('h1', {}, 'Findings'), filters, out);

	const params = new URLSearchParams();
	for (const k of ['repository', 'branch', 'pull_request', 'level', 'tool', 'state', 'before'])
		if (q.get(k))
			params.set(k, q.get(k));
	params.set('limit', '100');
	const found = (await get(`/findings?${params}`)).findings;
	if (!found.length) {
		out.append(empty(repos.length ? 'No finding matches: change the filters, or wait for the next scan.'
			: 'No repository is connected yet: connect one under Repositories.'));
		return;
	}
	out.append(table('Findings', ['Severity', 'Rule', 'Location', 'State', 'Fix', 'First seen', 'Last seen',
		'Fingerprint'],
		found.map((f) => el('tr', { 'data-finding': f.id },
			el('td', {}, el('span', { class: `tag ${TONE[f.level] || 'warn'}` }, f.level)),
			el('td', {}, el('a', { href: `#/findings/${f.id}` }, `${f.tool} ${f.rule_id}`), el('br'), f.message),
			el('td', {}, where(f, byId.get(f.repository), f.branch), el('br'), f.full_name,
				f.branch ? ` · ${f.branch}` : ''),
			el('td', {}, stateTag(f)),
			el('td', {}, fixCell(f)),
			el('td', {}, time(f.created_at)),
			el('td', {}, time(f.updated_at)),
			el('td', {}, el('code', {}, f.fingerprint))))));
}

function triageForm(f, redraw) {
	return form({ class: 'panel', 'aria-label': 'Triage' }, [
		el('h2', {}, 'Triage'),
		el('div', { class: 'row' },
			choice('Decision', 'state', [['suppressed', 'suppress'], ['false_positive', 'false positive']]),
			field('Expires (optional)', { type: 'datetime-local', name: 'expires_at' })),
		field('Reason (required)', { tag: 'textarea', name: 'reason', required: true, maxlength: 1000 }),
		el('button', { type: 'submit' }, 'Save triage'),
	], async (v) => {
		const body = { state: v.state, reason: (v.reason || '').trim() };
		if (v.expires_at)
			body.expires_at = new Date(v.expires_at).toISOString();
		await call('PUT', `/findings/${f.id}/triage`, body);
		await redraw();
	});
}

async function one(main, id) {
	const f = await get(`/findings/${id}`);
	const repo = await get(`/repositories/${f.repository}`);
	const last = f.scans.length ? f.scans[f.scans.length - 1].commit_sha : f.branch;
	const redraw = () => one(main, id);
	const facts = [
		['Repository', el('a', { href: `#/repos/${f.repository}` }, f.full_name)],
		['Branch', f.branch || '—'],
		['Tool and rule', `${f.tool} ${f.rule_id}`],
		['Severity', f.level],
		['Location', where(f, repo, last)],
		['Message', f.message],
		['CWE', f.cwe || '—'],
		['State', stateTag(f)],
		['Fix', fixState(f) || '—'],
		['First seen', time(f.created_at)],
		['Last seen', time(f.updated_at)],
		['Fingerprint', el('code', {}, f.fingerprint)],
	];
	const triage = f.triage ? el('div', { class: 'panel' },
		el('h2', {}, 'Triaged'),
		el('p', {}, `${f.triage.state.replace('_', ' ')} by ${f.triage.by}: `, el('q', {}, f.triage.reason)),
		el('p', {}, 'At ', time(f.triage.at), f.triage.expires_at ? ['; expires ', time(f.triage.expires_at)] : '; no expiry'),
		may('admin') ? action('Reopen', async () => {
			await call('DELETE', `/findings/${f.id}/triage`);
			await redraw();
		}, { class: 'secondary' }) : '') : null;
	clear(main, el('p', {}, el('a', { href: '#/findings' }, '← All findings')),
		el('h1', {}, `Finding ${f.id}`),
		el('dl', { class: 'facts' }, facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
		triage,
		may('admin') ? triageForm(f, redraw) : null,
		may('admin') && mayAsk(f) ? el('div', { class: 'panel' }, el('h2', {}, 'Ask for a fix'),
			el('p', {}, 'lethe-fix writes a patch at the commit the finding was last seen at; you review it here ' +
				'before anything is pushed.'),
			askForm(f, (fix) => { location.hash = `#/fixes/${fix.id}`; })) : null,
		el('h2', {}, 'Scans that saw it'),
		f.scans.length ? table('Scans that saw it', ['Scan', 'Commit', 'Started'], f.scans.map((s) =>
			el('tr', {}, el('td', {}, `#${s.id}`), el('td', {}, short(s.commit_sha)), el('td', {}, time(s.started_at)))))
			: empty('No scan result refers to this finding any more.'));
}

export default async function findings(main, r) {
	if (r.id) {
		try {
			await one(main, r.id);
		} catch (e) {
			clear(main, el('p', {}, el('a', { href: '#/findings' }, '← All findings')), el('h1', {}, 'Finding'),
				errorBox(e));
		}
	} else {
		await list(main, r);
	}
	return null;
}
