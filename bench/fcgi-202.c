/*
 * fcgi-202.c - the trivial FastCGI responder of bench/ingest: accepts on
 * fd 0 (as lethe-hook does under scripts/fcgi-supervise or systemd), reads
 * each request's body to its end and answers 202 with a fixed body, doing
 * no other work.  The limit of the path nginx - FastCGI - process.
 */
#include <fcgiapp.h>

int main(void)
{
	FCGX_Request rq;
	char buf[65536];

	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&rq) >= 0) {
		while (FCGX_GetStr(buf, sizeof(buf), rq.in) > 0)
			;
		FCGX_PutS("Status: 202 Accepted\r\nContent-Type: application/json\r\n\r\n"
			  "{\"status\":\"trivial\"}\n", rq.out);
		FCGX_Finish_r(&rq);
	}
	return 0;
}
