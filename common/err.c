/* err.c: text for the DKIM_ERR_* codes. */
#include <errno.h>
#include <string.h>

#include "dkim.h"

static const char *const errtab[] = {
	[0] = "success",
	[-DKIM_ERR_ALLOC] = "out of memory",
	[-DKIM_ERR_IO] = "input/output error",
	[-DKIM_ERR_HDR_SIZE] = "header section larger than 1048576 bytes",
	[-DKIM_ERR_HDR_COUNT] = "more than 5000 header fields",
	[-DKIM_ERR_HDR_COLON] = "header line without a colon",
	[-DKIM_ERR_HDR_NUL] = "NUL byte in the header section",
	[-DKIM_ERR_HDR_CONT] = "continuation line before any header field",
	[-DKIM_ERR_EMPTY] = "no header fields (empty message)",
	[-DKIM_ERR_SYNTAX] = "syntax error",
	[-DKIM_ERR_DUPTAG] = "duplicate tag",
	[-DKIM_ERR_TOOMANY] = "too many elements",
	[-DKIM_ERR_BASE64] = "invalid base64",
	[-DKIM_ERR_CRYPTO] = "cryptographic library error",
	[-DKIM_ERR_TOOLONG] = "value too long",
	[-DKIM_ERR_KEY] = "unusable key",
	[-DKIM_ERR_NOKEY] = "no key found",
	[-DKIM_ERR_DNS_TEMP] = "temporary DNS failure",
	[-DKIM_ERR_DNS_PERM] = "no such DNS record",
	[-DKIM_ERR_DNS_TIMEOUT] = "DNS timeout",
	[-DKIM_ERR_HDR_NAME] = "invalid header field name",
	[-DKIM_ERR_CHANGED] = "the file shrank while being read",
};

const char *
dkim_strerror(int e)
{
	if (e == DKIM_ERR_IO && errno != 0)
		return strerror(errno);
	if (e > 0 || e <= DKIM_ERR_LAST || errtab[-e] == NULL)
		return "unknown error";
	return errtab[-e];
}
