import os
import subprocess
import sys

from services.cluster.local_deaths import Machine, dead_here

HERE = Machine("box", "boot-1", "pid:[4026531836]")


def node(node_id: str, **fields) -> dict:
    return {"_id": node_id, "host": "box", "boot_id": "boot-1", "pid_namespace": "pid:[4026531836]", **fields}


def gone() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_a_gone_process_of_this_very_machine_is_dead():
    pid = gone()
    nodes = [node(f"box:{pid}"), node(f"box:{os.getpid()}"),  # gone; alive
             node(f"box:{pid}x"), node("box:abc"),  # not a pid
             {**node(f"box:{pid}"), "_id": f"box:{pid}", "boot_id": "boot-2"}]  # another boot
    assert dead_here("box:1", HERE, nodes[:4]) == {f"box:{pid}"}
    assert dead_here("box:1", HERE, nodes[4:]) == set()
    assert dead_here(f"box:{pid}", HERE, nodes[:1]) == set()  # never itself


def test_without_a_boot_id_or_pid_namespace_nothing_is_known():
    assert dead_here("box:1", Machine("box", None, "ns"), [node(f"box:{gone()}")]) == set()
