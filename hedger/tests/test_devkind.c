/* Unit test: which device kinds `hedger attach` refuses (devkind.c), as a
 * pure function of IFLA_INFO_KIND and IFLA_INFO_SLAVE_KIND. No root. */
#include <string.h>

#include "check.h"
#include "devkind.h"

static void refused(const char *kind, const char *slave)
{
	const char *why = devkind_refusal(kind, slave);

	CHECK(why && why[0], "kind '%s' port of '%s' refused", kind, slave);
}

static void served(const char *kind, const char *slave)
{
	const char *why = devkind_refusal(kind, slave);

	CHECK(!why, "kind '%s' port of '%s' served (got: %s)", kind, slave, why ? why : "");
}

int main(void)
{
	/* Link aggregation and its ports. */
	refused("bond", "");
	refused("team", "");
	refused("", "bond");
	refused("veth", "bond");
	refused("", "team");
	/* Switch ports: the host's address is on the master. */
	refused("veth", "bridge");
	refused("", "openvswitch");
	CHECK(strstr(devkind_refusal("veth", "bridge"), "master") != NULL, "bridge port: names the way out");
	/* What the hedger serves: physical NICs (no kind), veth, VLAN, the
	 * bridge itself, a VRF's port (its addresses stay on it). */
	served("", "");
	served("veth", "");
	served("vlan", "");
	served("bridge", "");
	served("macvlan", "");
	served("veth", "vrf");
	/* Exact names only. */
	served("bonding", "");
	served("", "teamd");
	return check_done("test_devkind");
}
