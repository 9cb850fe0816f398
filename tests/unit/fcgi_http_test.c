/* fcgi_http_test.c - the body's length as both FastCGI handlers read CONTENT_LENGTH. */
#include <errno.h>
#include <stdint.h>

#include "tap.h"
#include "util.h"
#include "../../fcgi/fcgi-http.h"

struct len_case {
	const char *cl;
	int want_r;
	int64_t want;
};

int main(void)
{
	static const struct len_case cases[] = {
		{ NULL, 0, 0 }, { "", 0, 0 }, { "0", 0, 0 }, { "7", 0, 7 }, { "1024", 0, 1024 },
		{ "1025", -EFBIG, 1025 }, { "99999999999999999999", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 }, { "12x", -EINVAL, 0 }, { " 12", -EINVAL, 0 },
		{ "+12", -EINVAL, 0 }, { "0x10", -EINVAL, 0 },
	};

	plan((int)ARRAY_SIZE(cases));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t len = -999;
		int r = fcgi_http_length(cases[i].cl, 1024, &len);

		ok(r == cases[i].want_r && (r == -EINVAL || len == cases[i].want),
		   "fcgi_http_length(\"%s\", 1024) = %d (%lld)", cases[i].cl ? cases[i].cl : "NULL",
		   r, (long long)len);
	}
	return tap_exit();
}
