// Admin: users (owners add them, change roles, disable), API keys (created
// with an expiry and shown once, revoked), and the org key versions with
// rotation (owners).
import { get, call } from '../api.js';
import { el, clear, time, table, empty, form, field, choice, action } from '../ui.js';
import { may, caller, RANK } from '../main.js';

const ROLES = [['member', 'member'], ['admin', 'admin'], ['owner', 'owner']];

async function users(box) {
	const list = (await get('/users')).users;
	const owner = may('owner');
	const redraw = () => users(box);
	clear(box, el('h2', {}, 'Users'), table('Users', ['Email', 'Role', 'Added', 'State', ...(owner ? ['Change'] : [])],
		list.map((u) => {
			const role = el('select', { 'aria-label': `Role of ${u.email}` },
				ROLES.map(([v, t]) => el('option', { value: v }, t)));
			role.value = u.role;
			return el('tr', { 'data-user': u.id }, el('td', {}, u.email), el('td', {}, u.role), el('td', {}, time(u.created_at)),
				el('td', {}, u.disabled_at ? ['disabled ', time(u.disabled_at)] : 'active'),
				owner ? el('td', {}, el('div', { class: 'row' }, role,
					action('Save role', async () => { await call('PATCH', `/users/${u.id}`, { role: role.value }); await redraw(); },
						{ class: 'secondary' }),
					action(u.disabled_at ? 'Enable' : 'Disable', async () => {
						await call('PATCH', `/users/${u.id}`, { disabled: !u.disabled_at });
						await redraw();
					}, { class: 'secondary' }))) : null);
		})),
	owner ? form({ class: 'panel row', 'aria-label': 'Add a user' }, [
		field('Email', { name: 'email', type: 'email', required: true, autocomplete: 'off' }),
		field('Password', { name: 'password', type: 'password', required: true, minlength: 12, maxlength: 72,
			autocomplete: 'new-password' }),
		choice('Role', 'role', ROLES),
		el('button', { type: 'submit' }, 'Add user'),
	], async (v) => { await call('POST', '/users', v); await redraw(); }) : null);
}

async function keys(box) {
	const list = (await get('/api-keys')).api_keys;
	const redraw = () => keys(box);
	const shown = el('div', { 'aria-live': 'polite' });
	const mine = caller().role;
	clear(box, el('h2', {}, 'API keys'),
		list.length ? table('API keys', ['Name', 'Key', 'Role', 'Created', 'Expires', 'Last used', 'State'], list.map((k) =>
			el('tr', { 'data-key': k.id }, el('td', {}, k.name), el('td', {}, el('code', {}, `${k.prefix}…`)), el('td', {}, k.role),
				el('td', {}, time(k.created_at)), el('td', {}, time(k.expires_at)), el('td', {}, time(k.last_used_at)),
				el('td', {}, k.revoked_at ? ['revoked ', time(k.revoked_at)]
					: action('Revoke', async () => { await call('DELETE', `/api-keys/${k.id}`); await redraw(); },
						{ class: 'secondary', 'aria-label': `Revoke ${k.name}` })))))
			: empty('No API key yet: create one for CI or scripts below.'),
		form({ class: 'panel row', 'aria-label': 'Create an API key' }, [
			field('Name', { name: 'name', required: true, maxlength: 100 }),
			choice('Role', 'role', ROLES.filter(([r]) => RANK[r] <= RANK[mine])),
			field('Expires in (days)', { name: 'days', type: 'number', min: 1, max: 365, value: '90', required: true }),
			el('button', { type: 'submit' }, 'Create key'),
		], async (v) => {
			const k = await call('POST', '/api-keys', { name: v.name, role: v.role, expires_in: Number(v.days) * 86400 });
			await redraw();
			box.append(clear(shown, el('div', { class: 'notice', role: 'status' },
				el('p', {}, `Key ${k.name} created. Copy it now: it is shown this one time only.`),
				el('p', {}, el('span', { class: 'secret', 'data-api-key': '' }, k.key)))));
		}));
}

async function orgKeys(box) {
	const list = (await get('/org/keys')).org_keys;
	const verdict = el('div', { 'aria-live': 'polite' });
	clear(box, el('h2', {}, 'Org key'),
		el('p', { class: 'lead' }, 'The org key seals your repositories’ webhook secrets and tokens. Its material is never shown.'),
		table('Org key versions', ['Version', 'State', 'Created', 'Retired'], list.map((k) =>
			el('tr', {}, el('td', { class: 'num' }, String(k.version)), el('td', {}, k.active ? 'active' : 'retired'),
				el('td', {}, time(k.created_at)), el('td', {}, time(k.retired_at))))),
		may('owner') ? action('Rotate the org key', async () => {
			const r = await call('POST', '/org/keys/rotate');
			await orgKeys(box);
			box.append(clear(verdict, el('p', { class: 'notice', role: 'status' },
				`Rotated from version ${r.old_version} to ${r.new_version}: ${r.secrets_reencrypted} secrets re-encrypted.`)));
		}) : null);
}

export default async function admin(main) {
	const u = el('section'), k = el('section'), o = el('section');
	clear(main, el('h1', {}, 'Admin'), u, k, o);
	await Promise.all([users(u), keys(k), orgKeys(o)]);
	return null;
}
