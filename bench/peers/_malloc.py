"""Keep freed memory in the process, so that a peer's per-run allocations
(torch tensors it cannot write into a preallocated buffer) cost no page faults.

glibc serves blocks above 32 MiB (all of these workloads' tensors) with a fresh
mmap and returns them with munmap on free, so every run would fault in its
output pages anew: on this 2-core machine that added 10-50 ms per run to
W3/W4 in PyTorch eager. With mmap off and trimming off, a freed block goes back
to the heap and the next run reuses it, warm. This favours the peer (NDR writes
into buffers it is given), so it is on unless NDR_PEERS_MALLOC=default.
"""

import ctypes
import os

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4


def keep_freed_memory():
    """Returns True if glibc took the settings."""
    if os.environ.get("NDR_PEERS_MALLOC") == "default":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    ok = libc.mallopt(M_MMAP_MAX, 0) == 1
    ok = libc.mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1 and ok  # keep up to 1 GiB
    return ok
