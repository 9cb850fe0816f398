// vcs.js - a link to a file and line in the repository's own web interface,
// built from its clone URL alone: Lethe fetches and shows no code here.

function encodePath(path) {
	return path.split('/').map(encodeURIComponent).join('/');
}

export function fileUrl(repo, ref, path, line) {
	if (!repo || !ref || !path || !/^https?:\/\//.test(repo.clone_url || ''))
		return null;
	const base = repo.clone_url.replace(/\/+$/, '').replace(/\.git$/, '');
	const p = encodePath(path), r = encodeURIComponent(ref), n = line || 1;
	switch (repo.provider) {
	case 'github':
		return `${base}/blob/${r}/${p}#L${n}`;
	case 'gitea':
		return `${base}/src/${/^[0-9a-f]{40,64}$/.test(ref) ? 'commit' : 'branch'}/${r}/${p}#L${n}`;
	case 'gitlab':
		return `${base}/-/blob/${r}/${p}#L${n}`;
	case 'bitbucket':
		return `${base}/src/${r}/${p}#lines-${n}`;
	case 'bitbucket-dc': {
		const m = base.match(/^(.*)\/scm\/([^/]+)\/([^/]+)$/);
		return m ? `${m[1]}/projects/${m[2]}/repos/${m[3]}/browse/${p}?at=${r}#${n}` : null;
	}
	default:
		return null;
	}
}
