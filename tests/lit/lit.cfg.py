# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "NDR"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
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

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = ["ndr-opt", "ndrc", "ndr-npycmp"]
llvm_config.add_tool_substitutions(tools, [config.ndr_tools_dir, config.llvm_tools_dir])
