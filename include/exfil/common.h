/*
 * NAME
 *	common - error codes and small helpers shared by every module
 * SYNOPSIS
 *	#include <exfil/common.h>
 * DESCRIPTION
 *	Functions return 0 or a negative EXFIL_E* code. Facts about a
 *	message (malformed, truncated, encrypted) are never errors: they are
 *	flags on the message, read only by the policy.
 */
#ifndef EXFIL_COMMON_H
#define EXFIL_COMMON_H

#include <stddef.h>

#define EXFIL_OK 0
#define EXFIL_ENOMEM (-1) /* out of memory */
#define EXFIL_EIO (-2) /* a system call failed; errno says why */
#define EXFIL_EINVAL (-3) /* bad configuration or rule text */
#define EXFIL_ELIMIT (-4) /* a configured limit was reached */
#define EXFIL_EINTERNAL (-5)

#define EXFIL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define EXFIL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EXFIL_PRINTF(f, a)
#endif

/* exfil_strerror - text of an EXFIL_E* code */
const char *exfil_strerror(int rc);

/* exfil_write_all - write all n bytes, across short writes and EINTR:
 * 0, or EXFIL_EIO with errno saying why */
int exfil_write_all(int fd, const void *p, size_t n);

#endif
