# -*- Python -*-
import os
import sys

import lit.formats
import lit.Test
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "NDR"


class NdrShTest(lit.formats.ShTest):
    """ShTest that leaves out the tests named *-memcheck.* in a sanitizer
    build: they run ndr-opt under valgrind, which cannot run a binary built
    with AddressSanitizer (it reports them UNSUPPORTED, as the feature
    `sanitizer` would)."""

    def execute(self, test, lit_config):
        name = test.path_in_suite[-1]
        if "sanitizer" in test.config.available_features and "-memcheck." in name:
            return lit.Test.Result(
                lit.Test.UNSUPPORTED,
                "valgrind's memcheck cannot run a sanitizer build (NDR_SANITIZE)")
        return super().execute(test, lit_config)


# lit sends each test, its format included, to its worker processes by
# pickle, which finds a class by its module: this file runs in the namespace
# of lit.TestingConfig, so the class goes there (the workers are forked).
setattr(sys.modules[NdrShTest.__module__], NdrShTest.__name__, NdrShTest)
config.test_format = NdrShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".ndr"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ndr_obj_root, "tests", "lit")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%ndr_src_root", config.ndr_src_root))
# The golden data of the end-to-end tests (tests/data/make_golden.py).
config.substitutions.append(("%golden", os.path.join(config.ndr_src_root, "tests", "data", "e2e")))
# The host C++ compiler, for tests that build a program against a compiled model.
config.substitutions.append(("%host_cxx", config.host_cxx))

# A sanitizer build (NDR_SANITIZE): the feature `sanitizer` (UNSUPPORTED:
# sanitizer leaves a test out there, as the memcheck tests are above).
# Findings end the process (-fno-sanitize-recover); lit passes the
# ASAN/UBSAN/LSAN_OPTIONS that scripts/check-sanitizers.sh sets through.
if getattr(config, "ndr_sanitize", ""):
    config.available_features.add("sanitizer")

# A machine with an NVIDIA GPU, as bench/gpu/run_device.sh says
# (NDR_TEST_CUDA_DEVICE=1): the end-to-end tests also run the CUDA target
# on it, beside the emulator that runs everywhere.
if os.environ.get("NDR_TEST_CUDA_DEVICE") == "1":
    config.available_features.add("cuda-device")
# The CUDA toolkit: the tests that compile kernels through ptxas, and
# %ptxas for those that read its report (-v: registers, spills).
toolkit = os.environ.get("NDR_CUDA_TOOLKIT") or getattr(config, "cuda_toolkit", "")
ptxas = os.path.join(toolkit, "bin", "ptxas")
if toolkit and os.access(ptxas, os.X_OK):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%ptxas", ptxas))
for name in ["NDR_TEST_CUDA_DEVICE", "NDR_CUDA_DEVICE", "NDR_CUDA_TOOLKIT"]:
    if name in os.environ:
        config.environment[name] = os.environ[name]

# `%limit_vm CMD`: CMD with its address space capped at 4 GB, so that a huge
# malloc fails even where memory is overcommitted. Not under ASan: it reserves
# terabytes of shadow at start-up, and its own allocator already refuses a
# request over 1 TiB (allocator_may_return_null=1 makes that a NULL).
if "sanitizer" in config.available_features:
    config.substitutions.append(("%limit_vm", ""))
else:
    config.substitutions.append(("%limit_vm", "ulimit -v 4000000;"))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = ["ndr-opt", "ndrc", "ndr-npycmp"]
llvm_config.add_tool_substitutions(tools, [config.ndr_tools_dir, config.llvm_tools_dir])
