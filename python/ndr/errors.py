"""The errors of the Python package, with the status codes of docs/errors.md."""

# ndr_status (runtime/ndr_runtime.h): the values are stable.
OK, IO, FORMAT, SHAPE, DTYPE, MISSING, ARG, NOMEM, DEVICE = range(9)
STATUS_NAMES = {
    OK: "ok",
    IO: "I/O error",
    FORMAT: "format error",
    SHAPE: "shape mismatch",
    DTYPE: "dtype mismatch",
    MISSING: "missing tensor",
    ARG: "invalid argument",
    NOMEM: "out of memory",
    DEVICE: "device error",
}


class NdrError(Exception):
    """A failure with one message and an ndr_status (`status`, `status_name`)."""

    def __init__(self, message, status=ARG):
        super().__init__(message)
        self.status = status

    @property
    def status_name(self):
        return STATUS_NAMES.get(self.status, "unknown status")


class CompileError(NdrError):
    """ndrc failed: `exit_code` is its exit status (docs/errors.md), the message
    is what it printed."""

    def __init__(self, message, exit_code):
        super().__init__(message, ARG)
        self.exit_code = exit_code


class UnsupportedError(NdrError):
    """ndr.from_torch met a node it cannot import."""
