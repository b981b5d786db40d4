"""What every peer module needs to read a workload (not a peer: its name
starts with '_')."""


def kind(wl_name, wl):
    """The workload's kind ('add_ln', 'bn', ...), from wl['kind'] or its name."""
    if "kind" in wl:
        return wl["kind"]
    return {"W1": "add_ln", "W2": "add_dropout_ln", "W3": "add_bias_ln", "W4": "add_rms",
            "W5": "bn", "W5N": "bn", "W5T": "bn_train", "W5NT": "bn_train",
            "W6": "ffn_post_ln"}[wl_name.split("_")[0].upper()]


def param(table, *names):
    """The first of `names` in `table` (the framework names LN parameters gamma/beta)."""
    for n in names:
        if n in table:
            return table[n]
    raise KeyError(names[0])
