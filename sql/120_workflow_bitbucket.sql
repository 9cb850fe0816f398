-- 120_workflow_bitbucket.sql - Bitbucket Pipelines files are workflows too.
--
-- lethe-analyze reads bitbucket-pipelines.yml besides GitHub Actions
-- workflows (GitHub's, Gitea's and Forgejo's directories, all in that
-- syntax) and GitLab CI files; its facts are stored under the system
-- 'bitbucket-pipelines'.
SET LOCAL search_path = lethe;

ALTER TABLE workflow_facts DROP CONSTRAINT workflow_facts_system_check;
ALTER TABLE workflow_facts ADD CONSTRAINT workflow_facts_system_check
	CHECK (system IN ('github-actions', 'gitlab-ci', 'bitbucket-pipelines'));
