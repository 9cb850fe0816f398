// The sign-in page: email and password; the session then lives in memory
// and in the refresh cookie.
import * as api from '../api.js';
import { el, clear, form, field } from '../ui.js';

export default function signin(main, done) {
	clear(main, el('section', { class: 'signin', 'aria-labelledby': 'signin-h' },
		el('h1', { id: 'signin-h' }, 'Sign in to Lethe'),
		el('p', { class: 'lead' }, 'See what Lethe holds right now, and prove what it has forgotten.'),
		form({ 'aria-label': 'Sign in' }, [
			field('Email', { type: 'email', name: 'email', autocomplete: 'username', required: true }),
			field('Password', { type: 'password', name: 'password', autocomplete: 'current-password',
				required: true, maxlength: 72 }),
			el('button', { type: 'submit' }, 'Sign in'),
		], async (v) => {
			await api.login(v.email || '', v.password || '');
			await done();
		})));
	main.querySelector('input')?.focus();
}
