// Repositories: the list, connecting one (the webhook secret shown this one
// time), and one repository with its last scans and their tool runs, its
// dependencies and workflow facts, SBOM and SARIF downloads, and
// disconnecting it after a confirmation, with the counts the API returns.
import { get, call } from '../api.js';
import { el, clear, time, short, table, empty, errorBox, form, field, choice, action, download } from '../ui.js';
import { may } from '../main.js';

const PROVIDERS = [['github', 'GitHub'], ['gitlab', 'GitLab'], ['gitea', 'Gitea'], ['bitbucket', 'Bitbucket Cloud'],
	['bitbucket-dc', 'Bitbucket Data Center']];

function connectForm(done) {
	return form({ class: 'panel', 'aria-label': 'Connect a repository' }, [
		el('h2', {}, 'Connect a repository'),
		el('div', { class: 'row' },
			choice('Provider', 'provider', PROVIDERS),
			field('Full name (owner/name)', { name: 'full_name', required: true }),
			field('Clone URL', { name: 'clone_url', type: 'url', required: true, placeholder: 'https://' }),
			field('Default branch', { name: 'default_branch', placeholder: 'main' })),
		el('button', { type: 'submit' }, 'Connect'),
	], async (v, status) => {
		const r = await call('POST', '/repositories', v);
		clear(status, el('div', { class: 'notice', role: 'status' },
			el('p', {}, `Connected ${v.full_name}. Set up its webhook now: the secret is shown this one time only.`),
			el('p', {}, 'Webhook path: ', el('span', { class: 'secret', 'data-webhook-path': '' }, r.webhook_path)),
			el('p', {}, 'Webhook secret: ', el('span', { class: 'secret', 'data-webhook-secret': '' }, r.webhook_secret))));
		await done();
	});
}

async function list(main) {
	const box = el('div');
	const draw = async () => {
		const repos = (await get('/repositories')).repositories;
		clear(box, repos.length ? table('Repositories', ['Repository', 'Provider', 'Default branch', 'Last scan',
			'Open findings'], repos.map((x) => el('tr', {},
			el('td', {}, el('a', { href: `#/repos/${x.id}` }, x.full_name)),
			el('td', {}, x.provider),
			el('td', {}, x.default_branch),
			el('td', {}, time(x.last_scan_at)),
			el('td', { class: 'num' }, String(x.open_findings)))))
			: empty(may('admin') ? 'No repository is connected: connect one below, then add its webhook.'
				: 'No repository is connected: ask an admin of your org to connect one.'));
	};
	clear(main, el('h1', {}, 'Repositories'), box);
	await draw();
	if (may('admin'))
		main.append(connectForm(draw));
}

function toolsLine(scan) {
	const bad = scan.tools.filter((t) => t.status !== 'complete' && t.status !== 'not_applicable');
	const results = (n) => `${n ?? 0} result${n === 1 ? '' : 's'}`;
	return [el('span', { class: `tag ${bad.length ? 'warn' : 'ok'}` }, bad.length ? 'incomplete' : 'complete'),
		bad.length ? ` ${bad.map((t) => `${t.tool} (${t.reason || t.status})`).join(', ')}` : '',
		el('ul', { class: 'tools' }, scan.tools.map((t) => el('li', {},
			`${[t.tool, t.version].filter(Boolean).join(' ')}: ${t.status.replace('_', ' ')}, ${results(t.results)}`)))];
}

function disconnectPanel(repo) {
	const box = el('div', { class: 'panel' }, el('h2', {}, 'Disconnect'));
	const ask = action('Disconnect…', async () => {
		clear(box, el('h2', {}, 'Disconnect'),
			el('div', { class: 'warn', role: 'alert' },
				el('p', {}, `Disconnecting ${repo.full_name} deletes, at once and for good: its scans and their ` +
					'results, findings and their triage, dependencies, workflow facts, tool runs, webhook ' +
					'deliveries, jobs, the rows of its destroyed checkouts, and its webhook secret and tokens. ' +
					'The audit log keeps a record of the disconnection and its counts.')),
			el('div', { class: 'row' },
				action(`Delete everything about ${repo.full_name}`, async () => {
					const r = await call('DELETE', `/repositories/${repo.id}`);
					clear(box, el('h2', {}, 'Disconnected'),
						el('p', { class: 'notice', role: 'status' }, `${repo.full_name} is disconnected. Deleted:`),
						table('Deleted records', ['Kind', 'Count'], Object.entries(r.deleted).map(([k, n]) =>
							el('tr', { 'data-kind': k }, el('td', {}, k.replace('_', ' ')), el('td', { class: 'num' }, String(n))))),
						el('p', {}, el('a', { href: '#/repos' }, 'Back to the repositories')));
				}, { class: 'danger' }),
				action('Cancel', async () => { clear(box, el('h2', {}, 'Disconnect'), ask); }, { class: 'secondary' })));
		box.querySelector('.danger').focus();
	}, { class: 'danger' });
	box.append(ask);
	return box;
}

async function one(main, id) {
	const repo = await get(`/repositories/${id}`);
	const scans = (await get(`/scans?repository=${id}&limit=5`)).scans;
	const details = await Promise.all(scans.map((s) => get(`/scans/${s.id}`)));
	const deps = (await get(`/repositories/${id}/dependencies`)).dependencies;
	const flows = (await get(`/repositories/${id}/workflows`)).facts;
	const sarif = (s) => action('SARIF', async () =>
		download(await call('GET', `/scans/${s.id}/sarif`, undefined, true), `lethe-scan-${s.id}.sarif`),
	{ class: 'secondary' });
	clear(main, el('p', {}, el('a', { href: '#/repos' }, '← All repositories')),
		el('h1', {}, repo.full_name),
		el('dl', { class: 'facts' },
			el('dt', {}, 'Provider'), el('dd', {}, repo.provider),
			el('dt', {}, 'Clone URL'), el('dd', {}, el('code', {}, repo.clone_url)),
			el('dt', {}, 'Default branch'), el('dd', {}, repo.default_branch),
			el('dt', {}, 'Reports'), el('dd', {}, repo.report_mode),
			el('dt', {}, 'Webhook path'), el('dd', {}, el('code', {}, `/hooks/${repo.provider}/${repo.hook_id}`)),
			el('dt', {}, 'Connected'), el('dd', {}, time(repo.created_at)),
			el('dt', {}, 'Open findings'), el('dd', {}, el('a', { href: `#/findings?repository=${id}&state=open` },
				String(repo.open_findings)))),
		el('div', { class: 'row' }, action('Download SBOM (CycloneDX)', async () =>
			download(await call('GET', `/repositories/${id}/sbom`, undefined, true), `${repo.full_name.replace('/', '-')}.cdx.json`),
		{ class: 'secondary' })),
		el('h2', {}, 'Last scans'),
		scans.length ? table('Last scans', ['Scan', 'Commit', 'State', 'Started', 'Tools', 'Findings', 'SARIF'],
			details.map((s) => el('tr', { 'data-scan': s.id },
				el('td', {}, `#${s.id}`),
				el('td', {}, short(s.commit_sha), s.branch ? ` ${s.branch}` : '', s.pr_number ? ` PR #${s.pr_number}` : ''),
				el('td', {}, s.state),
				el('td', {}, time(s.started_at)),
				el('td', {}, toolsLine(s)),
				el('td', { class: 'num' }, `${s.findings} (${s.introduced} new)`),
				el('td', {}, sarif(s)))))
			: empty('Not scanned yet: a push to the repository (through its webhook) starts a scan.'),
		el('h2', {}, 'Dependencies'),
		deps.length ? table('Dependencies', ['Ecosystem', 'Name', 'Version', 'Direct', 'Manifest'], deps.map((d) =>
			el('tr', {}, el('td', {}, d.ecosystem), el('td', {}, d.name), el('td', {}, d.version || d.constraint || '—'),
				el('td', {}, d.direct ? 'yes' : 'no'), el('td', {}, el('code', {}, d.manifest)))))
			: empty('No dependency manifest was found in the last scan.'),
		el('h2', {}, 'Workflow facts'),
		flows.length ? table('Workflow facts', ['System', 'File', 'Job', 'Kind', 'Value', 'Pinning'], flows.map((w) =>
			el('tr', {}, el('td', {}, w.system), el('td', {}, el('code', {}, w.path)), el('td', {}, w.job || '—'),
				el('td', {}, w.kind), el('td', {}, el('code', {}, w.value)), el('td', {}, w.pinning || '—'))))
			: empty('No CI workflow was found in the last scan.'),
		may('admin') ? disconnectPanel(repo) : null);
}

export default async function repos(main, r) {
	if (!r.id) {
		await list(main);
		return null;
	}
	try {
		await one(main, r.id);
	} catch (e) {
		clear(main, el('p', {}, el('a', { href: '#/repos' }, '← All repositories')), el('h1', {}, 'Repository'),
			errorBox(e));
	}
	return null;
}
