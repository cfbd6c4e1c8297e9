/* emu_tc.h: where the emulator lives on a device: a cls_bpf filter on the
 * clsact egress hook (it stays with the device, no process or pin needed)
 * and the HTB root that holds delayed packets. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define EMU_TC_HANDLE 0x656d	/* "em" */
#define EMU_TC_PRIORITY 1	/* before any other cls_bpf filter */

/* emu_tc_attach - @prog_fd as our egress filter; *@hook_created tells
 * whether the clsact qdisc was made here (for the undo). */
int emu_tc_attach(int ifindex, int prog_fd, bool *hook_created);
/* emu_tc_detach - remove our filter, and clsact when @destroy_hook. */
int emu_tc_detach(int ifindex, bool destroy_hook);
/* emu_tc_query - id of the program in our filter; -ENOENT when none. */
int emu_tc_query(int ifindex, uint32_t *prog_id);
/* emu_qdisc_del_root - delete the root qdisc of @ifindex (rtnetlink). */
int emu_qdisc_del_root(int ifindex);
