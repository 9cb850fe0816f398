// ui.js - building the page.  Text always goes in as text (text nodes,
// textContent), never as HTML: repository file names, messages and
// reasons are shown exactly as stored, and cannot become markup.

export function el(tag, attrs = {}, ...children) {
	const node = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k.startsWith('on'))
			node.addEventListener(k.slice(2), v);
		else if (k === 'value')
			node.value = v;
		else
			node.setAttribute(k, v === true ? '' : String(v));
	}
	add(node, children);
	return node;
}

function add(node, children) {
	for (const c of children.flat(Infinity)) {
		if (c === undefined || c === null || c === false)
			continue;
		node.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
}

export function clear(node, ...children) {
	node.replaceChildren();
	add(node, children);
	return node;
}

// A time in the browser's zone, its UTC value on hover.
export function time(iso) {
	if (!iso)
		return el('span', { class: 'empty' }, '—');
	const d = new Date(iso);
	return el('time', { datetime: d.toISOString(), title: `${d.toISOString().replace('T', ' ').slice(0, 19)} UTC` },
		d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
}

export function duration(seconds) {
	if (seconds === null || seconds === undefined)
		return '—';
	const s = Math.max(0, Math.floor(seconds));
	const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
	const two = (n) => String(n).padStart(2, '0');
	return h ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

export function ms(value) {
	if (value === null || value === undefined)
		return '—';
	return value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(1)} s`;
}

export function short(sha) {
	return sha ? el('code', { class: 'sha', title: sha }, sha.slice(0, 12)) : el('span', { class: 'empty' }, '—');
}

// A row's cells labelled with their column: on a narrow screen each row is a
// card, each cell under its column's name (data-label, in app.css).
export function labelled(heads, tr) {
	[...tr.children].forEach((td, i) => {
		td.setAttribute('data-label', heads[i] ?? '');
		td.replaceChildren(el('div', {}, [...td.childNodes]));
	});
	return tr;
}

// A table in a focusable scrolling region.
export function table(label, heads, rows) {
	[rows].flat().forEach((tr) => labelled(heads, tr));
	return el('div', { class: 'scroll', role: 'region', 'aria-label': label, tabindex: 0 },
		el('table', {},
			el('thead', {}, el('tr', {}, heads.map((h) => el('th', { scope: 'col' }, h)))),
			el('tbody', {}, rows)));
}

export function errorBox(err) {
	return el('p', { class: 'error', role: 'alert' }, err && err.message ? err.message : String(err));
}

export function empty(text) {
	return el('p', { class: 'empty' }, text);
}

// A button that runs fn, disabled meanwhile; an error is shown after it.
export function action(label, fn, attrs = {}) {
	const b = el('button', { type: 'button', ...attrs }, label);
	b.addEventListener('click', async () => {
		b.disabled = true;
		b.nextElementSibling?.classList.contains('error') && b.nextElementSibling.remove();
		try {
			await fn();
		} catch (e) {
			b.after(errorBox(e));
		} finally {
			b.disabled = false;
		}
	});
	return b;
}

// The values of a form's named fields, empty ones left out.
function formValues(form) {
	const out = {};
	for (const [k, v] of new FormData(form).entries())
		if (typeof v === 'string' && v.trim() !== '')
			out[k] = v;
	return out;
}

// A form whose submit runs fn(values); its errors are shown in the form.
export function form(attrs, children, fn) {
	const f = el('form', attrs, children);
	const status = el('div', { 'aria-live': 'polite' });
	f.append(status);
	f.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clear(status);
		const submit = f.querySelector('button[type=submit]');
		if (submit)
			submit.disabled = true;
		try {
			await fn(formValues(f), status);
		} catch (e) {
			clear(status, errorBox(e));
		} finally {
			if (submit)
				submit.disabled = false;
		}
	});
	return f;
}

export function field(label, attrs) {
	return el('label', {}, label, el(attrs.tag || 'input', { ...attrs, tag: undefined }));
}

export function choice(label, name, options, attrs = {}) {
	return el('label', {}, label, el('select', { name, ...attrs },
		options.map(([v, text]) => el('option', { value: v }, text))));
}

export function download(blob, name) {
	const url = URL.createObjectURL(blob);
	const a = el('a', { href: url, download: name });
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}
