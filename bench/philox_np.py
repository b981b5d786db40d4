"""Philox4x32-10 in vectorized NumPy, and the dropout mask of DESIGN.md section 5.

The benchmark's references use it to rebuild the mask that NDR and the
hand-written kernels draw, so a bit-exact mismatch shows up as a failed check.
"""

import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = 0x9E3779B9, 0xBB67AE85
LO = np.uint64(0xFFFFFFFF)


def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 on arrays of counters (uint32, any shape) and a scalar key.

    Returns the four output words as uint32 arrays. The 32x32->64 products are
    done in uint64, which NumPy computes exactly (wrapping never happens)."""
    c = [np.asarray(w, dtype=np.uint64) for w in (c0, c1, c2, c3)]
    k0, k1 = int(k0) & 0xFFFFFFFF, int(k1) & 0xFFFFFFFF
    for rnd in range(10):
        if rnd:  # bump the key between rounds
            k0 = (k0 + W0) & 0xFFFFFFFF
            k1 = (k1 + W1) & 0xFFFFFFFF
        p0 = M0 * c[0]
        p1 = M1 * c[2]
        hi0, lo0 = p0 >> np.uint64(32), p0 & LO
        hi1, lo1 = p1 >> np.uint64(32), p1 & LO
        c = [hi1 ^ c[1] ^ np.uint64(k0), lo1, hi0 ^ c[3] ^ np.uint64(k1), lo0]
    return [w.astype(np.uint32) for w in c]


def dropout_threshold(p):
    """lround((double)p * 65536) with p as stored (f32)."""
    p = float(np.float32(p))
    return int(np.floor(p * 65536.0 + 0.5))  # lround: halves away from zero, p >= 0


def dropout_keep(n, p, seed=0, stream=0):
    """Boolean keep mask of n elements (flat row-major index i) per DESIGN.md section 5."""
    nblocks = (n + 7) // 8
    j = np.arange(nblocks, dtype=np.uint64)
    words = philox4x32_10(j & LO, j >> np.uint64(32),
                          np.full(nblocks, stream, np.uint64), np.zeros(nblocks, np.uint64),
                          seed & 0xFFFFFFFF, seed >> 32)
    # Block j holds draws h = 0..7: word h // 2, low 16 bits first.
    w = np.stack(words, axis=1)                                   # [nblocks, 4] uint32
    draws = np.stack([w & 0xFFFF, w >> 16], axis=2).reshape(nblocks * 8)  # h = 2*word + half
    return draws[:n] >= dropout_threshold(p)


if __name__ == "__main__":
    # Random123 known-answer vectors for Philox4x32-10.
    kat = [
        ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
         (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
    ]
    for ctr, key, want in kat:
        got = tuple(int(w[0]) for w in philox4x32_10(*[[c] for c in ctr], *key))
        assert got == want, (ctr, [hex(g) for g in got])
    keep = dropout_keep(1 << 20, 0.1)
    print("philox KAT ok; keep fraction at p=0.1:", keep.mean())
