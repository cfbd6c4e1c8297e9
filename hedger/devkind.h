/* devkind.h: which kinds of device the hedger refuses to attach to, and
 * the rtnetlink query that tells a device's kind. */
#pragma once
#include <stddef.h>

/* devkind_refusal - why the hedger cannot serve a device of link kind
 * @kind (IFLA_INFO_KIND, "" for a plain device) that is a port of a master
 * of kind @slave_kind (IFLA_INFO_SLAVE_KIND, "" when it is no port); NULL
 * when it can. Pure: no system calls. */
const char *devkind_refusal(const char *kind, const char *slave_kind);

/* devkind_query - @ifindex's link kind and port kind ("" when absent)
 * from RTM_GETLINK; 0 or -errno. */
int devkind_query(int ifindex, char *kind, size_t kind_len, char *slave_kind,
		  size_t slave_len);

/* devkind_check - 0 when the hedger may attach to @name (@ifindex);
 * otherwise one error line naming the kind and -EOPNOTSUPP (or -errno when
 * the query failed). */
int devkind_check(const char *name, int ifindex);
