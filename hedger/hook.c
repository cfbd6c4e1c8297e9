/* hook.c: TCX links, with the clsact/cls_bpf fallback. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "hook.h"
#include "probe.h"

int hook_attach(struct hook_att *h, enum hook_kind kind, int prog_fd, int ifindex, bool ingress)
{
	memset(h, 0, sizeof(*h));
	h->kind = kind;
	h->ifindex = ifindex;
	h->ingress = ingress;
	h->link_fd = -1;
	if (kind == HOOK_TCX) {
		/* Appended to the TCX chain; programs return TCX_NEXT for what is
		 * not theirs, so others keep working. */
		h->link_fd = bpf_link_create(prog_fd, ifindex,
					     (enum bpf_attach_type)(ingress ? BPF_TCX_INGRESS
									   : BPF_TCX_EGRESS),
					     NULL);
		if (h->link_fd < 0)
			return -errno;
	} else {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = HOOK_TC_HANDLE,
			    .priority = HOOK_TC_PRIORITY);
		int err = bpf_tc_hook_create(&hook);

		if (err && err != -EEXIST)
			return err;
		h->hook_created = !err;
		err = bpf_tc_attach(&hook, &opts);
		if (err) {
			if (h->hook_created) {
				hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
				bpf_tc_hook_destroy(&hook);
			}
			return err;
		}
	}
	h->attached = true;
	return 0;
}

void hook_detach(struct hook_att *h)
{
	if (!h->attached)
		return;
	if (h->kind == HOOK_TCX)
		close(h->link_fd);
	else
		hook_tc_remove_stale(h->ifindex, h->ingress, h->hook_created);
	h->attached = false;
}

int hook_tc_remove_stale(int ifindex, bool ingress, bool destroy_hook)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = HOOK_TC_HANDLE, .priority = HOOK_TC_PRIORITY);
	int err = bpf_tc_detach(&hook, &opts);

	if (destroy_hook)
		hook_tc_destroy(ifindex);
	if (!err)
		return 1;
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

bool hook_tc_present(int ifindex, bool ingress)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = HOOK_TC_HANDLE, .priority = HOOK_TC_PRIORITY);

	return bpf_tc_query(&hook, &opts) == 0;
}

int hook_tc_prepare(int ifindex, bool *created)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	int err = bpf_tc_hook_create(&hook);

	*created = !err;
	return err == -EEXIST ? 0 : err;
}

void hook_tc_destroy(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	bpf_tc_hook_destroy(&hook);
}
