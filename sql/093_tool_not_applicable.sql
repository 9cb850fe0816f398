-- 093_tool_not_applicable.sql - a tool with nothing to scan is not a failure.
--
-- A tool whose languages are absent from the checkout (cppcheck on a
-- repository without C or C++ sources, say) is not run: lethe-analyze
-- reports its run as not applicable, with the reason, and its row says so.
-- The scan stays complete; 'incomplete' is for failures, crashes, timeouts.
SET LOCAL search_path = lethe;

ALTER TABLE scan_tools DROP CONSTRAINT scan_tools_status_check;
ALTER TABLE scan_tools ADD CONSTRAINT scan_tools_status_check
	CHECK (status IN ('complete', 'incomplete', 'not_applicable'));
