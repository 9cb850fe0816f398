// api.js - the one way the dashboard talks to lethe-api (/api/v1, same
// origin).  The access token lives in this module's memory only; the
// refresh token is an HttpOnly cookie that page script never sees, sent by
// the browser to /api/v1/auth/ alone, with the X-Lethe-CSRF header that
// lethe-api requires of it.

const BASE = '/api/v1';
const EARLY = 60;		// seconds before expiry to refresh

let access = null;
let refreshTimer = null;
let onSignedOut = () => {};

export class ApiError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

export function signedOutHandler(fn) {
	onSignedOut = fn;
}

function schedule(expiresIn) {
	clearTimeout(refreshTimer);
	const ms = Math.max(5, expiresIn - EARLY) * 1000;
	refreshTimer = setTimeout(() => {
		refresh().catch(() => { forget(); onSignedOut(); });
	}, Math.min(ms, 2 ** 31 - 1));
}

function keep(answer) {
	access = answer.access_token;
	schedule(answer.expires_in);
}

function forget() {
	access = null;
	clearTimeout(refreshTimer);
}

async function reason(res) {
	try {
		const body = await res.json();
		if (body && typeof body.error === 'string')
			return body.error;
	} catch (e) {
		// not JSON: fall through to the status line
	}
	return `${res.status} ${res.statusText}`.trim();
}

async function send(method, path, body, auth) {
	const headers = {};
	if (auth && access)
		headers.Authorization = `Bearer ${access}`;
	if (path.startsWith('/auth/'))
		headers['X-Lethe-CSRF'] = '1';
	const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	return fetch(BASE + path, init);
}

// A new access token from the refresh cookie; throws ApiError when refused.
export async function refresh() {
	const res = await send('POST', '/auth/refresh', undefined, false);
	if (!res.ok)
		throw new ApiError(res.status, await reason(res));
	keep(await res.json());
}

export async function login(email, password) {
	const res = await send('POST', '/auth/login', { email, password, refresh_cookie: true }, false);
	if (!res.ok)
		throw new ApiError(res.status, await reason(res));
	keep(await res.json());
}

export async function logout() {
	try {
		await send('POST', '/auth/logout', undefined, false);
	} finally {
		forget();
	}
}

// The answer of one call, as JSON or (raw) as a Blob; an expired access
// token is refreshed once.
export async function call(method, path, body, raw = false) {
	let res = await send(method, path, body, true);
	if (res.status === 401 && access) {
		try {
			await refresh();
		} catch (e) {
			forget();
			onSignedOut();
			throw new ApiError(401, 'your session has ended: sign in again');
		}
		res = await send(method, path, body, true);
	}
	if (!res.ok)
		throw new ApiError(res.status, await reason(res));
	return raw ? res.blob() : res.json();
}

export const get = (path) => call('GET', path);
