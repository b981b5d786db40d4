//===- ModelPackage.cpp - a compiled model as a program or library --------===//

#include "tools/ndrc/ModelPackage.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <iterator>

using namespace mlir;
using namespace mlir::ndr;

/// A C identifier made of `name`: other characters become '_'.
static std::string cIdentifier(StringRef name) {
  std::string id;
  for (char c : name)
    id += llvm::isAlnum(c) ? c : '_';
  if (id.empty() || llvm::isDigit(id.front()))
    id.insert(id.begin(), '_');
  return id;
}

/// Words a C parameter name cannot be: C and C++ keywords (the header is
/// also compiled as C++), and the names the generated code declares.
static bool isReservedName(StringRef name) {
  static const llvm::StringSet<> reserved = {
      // C11 and C23.
      "auto", "break", "case", "char", "const", "continue", "default", "do",
      "double", "else", "enum", "extern", "float", "for", "goto", "if",
      "inline", "int", "long", "register", "restrict", "return", "short",
      "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
      "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof",
      "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
      "_Static_assert", "_Thread_local", "alignas", "alignof", "bool",
      "constexpr", "false", "nullptr", "static_assert", "thread_local",
      "true", "typeof", "typeof_unqual",
      // C++ beyond those.
      "and", "and_eq", "asm", "bitand", "bitor", "catch", "char8_t",
      "char16_t", "char32_t", "class", "compl", "concept", "consteval",
      "constinit", "const_cast", "co_await", "co_return", "co_yield",
      "decltype", "delete", "dynamic_cast", "explicit", "export", "friend",
      "mutable", "namespace", "new", "noexcept", "not", "not_eq", "operator",
      "or", "or_eq", "private", "protected", "public", "reinterpret_cast",
      "requires", "static_cast", "template", "this", "throw", "try",
      "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq",
      // What the generated code declares or uses by name.
      "model", "seed", "inputs", "outputs", "handle", "NULL", "int64_t",
      "uint64_t", "uint16_t", "size_t"};
  return reserved.contains(name);
}

/// `text` for a C string literal: quotes, backslashes and control
/// characters escaped (octal, so no following character extends them).
static std::string cString(StringRef text) {
  std::string quoted = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (c < 0x20 || c == 0x7f) {
      quoted += fmt::format("\\{:03o}", c);
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

/// `text` for the inside of a C comment: no `*/` to end it early, no line
/// breaks or other control characters.
static std::string cComment(StringRef text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '/' && !out.empty() && out.back() == '*')
      out += ' ';
    out += c < 0x20 || c == 0x7f ? '?' : char(c);
  }
  return out;
}

static StringRef runtimeDtype(Type element) {
  if (element.isF16())
    return "NDR_F16";
  if (element.isBF16())
    return "NDR_BF16";
  return "NDR_F32";
}

/// The C type of one element as the typed API passes it: f16 and bf16 travel
/// as their bits.
static StringRef cElementType(Type element) {
  return element.isF32() ? "float" : "uint16_t";
}

FailureOr<ModelInfo> ndr::prepareModel(func::FuncOp model) {
  ModelInfo info;
  info.name = cIdentifier(model.getSymName());
  // ndr_ names are the runtime's: ndr_model.h, ndr_model_create, ...
  if (StringRef(info.name).starts_with("ndr_"))
    return model.emitError("model name '")
           << model.getSymName()
           << "' is reserved: C names that start with 'ndr_' belong to NDR's "
              "runtime; rename the model";
  auto module = model->getParentOfType<ModuleOp>();
  SymbolTable symbols(module);

  auto tensorType = [&](Type type, Location loc) -> RankedTensorType {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !tensor.hasStaticShape())
      emitError(loc) << "model '" << model.getSymName()
                     << "': every argument and result must be a static tensor";
    return tensor;
  };
  for (BlockArgument arg : model.getArguments()) {
    unsigned i = arg.getArgNumber();
    RankedTensorType type = tensorType(arg.getType(), arg.getLoc());
    if (!type)
      return failure();
    auto name = [&](StringRef attr) {
      auto value = model.getArgAttrOfType<StringAttr>(i, attr);
      return value ? value.getValue().str() : std::string();
    };
    if (std::string param = name(kParamAttr); !param.empty()) {
      std::optional<ParamInit> init;
      if (auto text = model.getArgAttrOfType<StringAttr>(i, kInitAttr))
        init = parseParamInit(text.getValue());
      info.params.push_back({param, type, init});
    } else if (std::string derived = name(kDerivedAttr); !derived.empty()) {
      info.derived.push_back({derived, type, std::nullopt});
    } else {
      std::string input = name(kInputAttr);
      info.inputs.push_back(
          {input.empty() ? fmt::format("input{}", i) : input, type,
           std::nullopt});
    }
  }
  for (auto [i, type] : llvm::enumerate(model.getResultTypes())) {
    RankedTensorType tensor = tensorType(type, model.getLoc());
    if (!tensor)
      return failure();
    auto name = model.getResultAttrOfType<StringAttr>(i, kOutputAttr);
    info.outputs.push_back(
        {name ? name.getValue().str() : fmt::format("output{}", i), tensor,
         std::nullopt});
  }

  // The C API's parameter names: identifiers, no keywords, all distinct.
  llvm::StringSet<> taken;
  for (StringRef api : {"_model", "_create", "_run", "_destroy", "_last_error",
                        "_last_status", "_descriptor", "_run_device"})
    taken.insert(info.name + api.str());
  for (std::vector<TensorInfo> *group : {&info.inputs, &info.outputs})
    for (TensorInfo &t : *group) {
      t.cName = cIdentifier(t.name);
      while (isReservedName(t.cName) || taken.contains(t.cName))
        t.cName += '_';
      taken.insert(t.cName);
    }

  info.runSymbol = "ndr_" + info.name + "_run";
  if (auto initRef = model->getAttrOfType<FlatSymbolRefAttr>(kParamInitFuncAttr)) {
    auto init = symbols.lookup<func::FuncOp>(initRef.getValue());
    if (!init)
      return model.emitError("init function ") << initRef << " not found";
    info.initSymbol = "ndr_" + info.name + "_init";
    if (failed(symbols.rename(init, info.initSymbol)))
      return failure();
  }
  if (failed(symbols.rename(model, info.runSymbol)))
    return failure();
  return info;
}

namespace {

/// `type` as MLIR prints it ("tensor<8x768xf32>"), for comments.
std::string typeString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

/// "{8, 768}": a shape as a C initializer.
std::string cShape(RankedTensorType type) {
  return fmt::format("{{{}}}", fmt::join(type.getShape(), ", "));
}

/// Writes the C of one model into `out`.
class SourceWriter {
public:
  SourceWriter(const ModelInfo &model, std::string &out)
      : model(model), out(out) {}

  void descriptor() {
    // The workspace, when there is one, is the last buffer.
    unsigned numBuffers = model.inputs.size() + model.params.size() +
                          model.derived.size() + model.outputs.size() +
                          (model.workspaceBytes > 0 ? 1 : 0);
    unsigned numInit = model.params.size() + model.derived.size();
    // A CUDA model's functions take the stream last.
    StringRef stream = model.cuda ? ", void *" : "";
    write("void {}({}{});\n", model.runSymbol,
          list(numBuffers, "void *", "uint64_t"), stream);
    if (!model.initSymbol.empty())
      write("void {}({}{});\n", model.initSymbol,
            list(numInit, "void *", model.cuda ? "void *" : ""), "");
    write("\n");
    table("ndr_gen_inputs", model.inputs);
    table("ndr_gen_params", model.params);
    table("ndr_gen_derived", model.derived);
    table("ndr_gen_outputs", model.outputs);
    if (model.cuda) {
      write("static void ndr_gen_run(void **b, uint64_t seed, void *stream) {{\n"
            "  {}({});\n}}\n\n",
            model.runSymbol, list(numBuffers, "b[{}]", "seed, stream"));
      if (!model.initSymbol.empty())
        write("static void ndr_gen_init(void **b, void *stream) {{\n  {}({});\n}}\n\n",
              model.initSymbol, list(numInit, "b[{}]", "stream"));
    } else {
      write("static void ndr_gen_run(void **b, uint64_t seed) {{\n"
            "  {}({});\n}}\n\n",
            model.runSymbol, list(numBuffers, "b[{}]", "seed"));
      if (!model.initSymbol.empty())
        write("static void ndr_gen_init(void **b) {{\n  {}({});\n}}\n\n",
              model.initSymbol, list(numInit, "b[{}]", ""));
    }
    std::string init = model.initSymbol.empty() ? "NULL" : "ndr_gen_init";
    write("static const ndr_model_desc ndr_gen_desc = {{\n"
          "  {}, {}, {}, {}, {},\n  {}, {}, {}, {},\n  {}, {}, {},\n  {}, {}, {}}};\n\n",
          cString(model.name), model.inputs.size(), model.params.size(),
          model.derived.size(), model.outputs.size(),
          arrayOrNull("ndr_gen_inputs", model.inputs),
          arrayOrNull("ndr_gen_params", model.params),
          arrayOrNull("ndr_gen_derived", model.derived),
          arrayOrNull("ndr_gen_outputs", model.outputs),
          model.cuda ? "NULL" : init, model.cuda ? "NULL" : "ndr_gen_run",
          model.workspaceBytes, model.cuda ? "NDR_TARGET_CUDA" : "NDR_TARGET_CPU",
          model.cuda ? init : "NULL", model.cuda ? "ndr_gen_run" : "NULL");
  }

  void main() {
    write("int main(int argc, char **argv) {{\n"
          "  return ndr_exe_main(&ndr_gen_desc, argc, argv);\n}}\n");
  }

  void api() {
    const std::string &m = model.name;
    write("struct {0}_model {{ ndr_model *model; }};\n\n"
          "{0}_model *{0}_create(const char *params_path, uint64_t seed) {{\n"
          "  ndr_model *model;\n"
          "  if (ndr_model_create(&ndr_gen_desc, params_path, seed, &model) != NDR_OK)\n"
          "    return NULL;\n"
          "  {0}_model *handle = ({0}_model *)malloc(sizeof *handle);\n"
          "  if (!handle) {{\n"
          "    ndr_model_destroy(model);\n"
          "    ndr_set_error(NDR_ERR_NOMEM, \"out of memory\");\n"
          "    return NULL;\n"
          "  }}\n"
          "  handle->model = model;\n"
          "  return handle;\n}}\n\n",
          m);
    write("int {0}_run({1}) {{\n"
          "  if (!model)\n"
          "    return (int)ndr_set_error(NDR_ERR_ARG, \"{0}_run: null model\");\n"
          "  const void *inputs[] = {{{2}}};\n"
          "  void *outputs[] = {{{3}}};\n"
          "  return (int)ndr_model_run(model->model, inputs, outputs, seed);\n}}\n\n",
          m, runParameters(), names(model.inputs), names(model.outputs));
    if (model.cuda)
      write("int {0}_run_device({1}) {{\n"
            "  if (!model)\n"
            "    return (int)ndr_set_error(NDR_ERR_ARG, \"{0}_run_device: null model\");\n"
            "  const void *inputs[] = {{{2}}};\n"
            "  void *outputs[] = {{{3}}};\n"
            "  return (int)ndr_model_run_device(model->model, inputs, outputs, seed, "
            "stream);\n}}\n\n",
            m, deviceRunParameters(), names(model.inputs), names(model.outputs));
    write("void {0}_destroy({0}_model *model) {{\n"
          "  if (model) {{\n"
          "    ndr_model_destroy(model->model);\n"
          "    free(model);\n"
          "  }}\n}}\n\n"
          "const char *{0}_last_error(void) {{\n  return ndr_last_error();\n}}\n\n"
          "int {0}_last_status(void) {{\n  return (int)ndr_last_status();\n}}\n\n"
          "const ndr_model_desc *{0}_descriptor(void) {{\n  return &ndr_gen_desc;\n}}\n",
          m);
  }

  void libraryDescriptor() {
    write("\nconst ndr_model_desc *ndr_library_descriptor(void) {{\n"
          "  return &ndr_gen_desc;\n}}\n");
  }

  std::string runParameters() const {
    std::string text = fmt::format("const {}_model *model", model.name);
    for (const TensorInfo &t : model.inputs)
      fmt::format_to(std::back_inserter(text), ", const {} *{}",
                     cElementType(t.type.getElementType()).str(), t.cName);
    for (const TensorInfo &t : model.outputs)
      fmt::format_to(std::back_inserter(text), ", {} *{}",
                     cElementType(t.type.getElementType()).str(), t.cName);
    return text + ", uint64_t seed";
  }

  /// NAME_run_device's: device pointers, the seed, the stream.
  std::string deviceRunParameters() const {
    std::string text = fmt::format("const {}_model *model", model.name);
    for (const TensorInfo &t : model.inputs)
      fmt::format_to(std::back_inserter(text), ", const void *{}", t.cName);
    for (const TensorInfo &t : model.outputs)
      fmt::format_to(std::back_inserter(text), ", void *{}", t.cName);
    return text + ", uint64_t seed, void *stream";
  }

private:
  template <typename... Args>
  void write(fmt::format_string<Args...> format, Args &&...args) {
    fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
  }

  /// n items made of `item` (a format with the index: "b[{}]"), then `last`
  /// when it is not empty, comma-separated.
  static std::string list(unsigned n, fmt::string_view item, StringRef last) {
    std::vector<std::string> items;
    for (unsigned i = 0; i < n; ++i)
      items.push_back(fmt::format(fmt::runtime(item), i));
    if (!last.empty())
      items.push_back(last.str());
    return fmt::format("{}", fmt::join(items, ", "));
  }
  static std::string names(const std::vector<TensorInfo> &tensors) {
    if (tensors.empty())
      return "NULL";
    std::vector<std::string> list;
    for (const TensorInfo &t : tensors)
      list.push_back(t.cName);
    return fmt::format("{}", fmt::join(list, ", "));
  }
  static std::string arrayOrNull(StringRef group,
                                 const std::vector<TensorInfo> &tensors) {
    return tensors.empty() ? "NULL" : group.str();
  }

  void table(StringRef group, const std::vector<TensorInfo> &tensors) {
    if (tensors.empty())
      return;
    for (auto [i, t] : llvm::enumerate(tensors))
      if (t.type.getRank() != 0)
        write("static const int64_t {}_shape{}[] = {};\n", group.str(), i,
              cShape(t.type));
    write("static const ndr_tensor_desc {}[] = {{\n", group.str());
    for (auto [i, t] : llvm::enumerate(tensors)) {
      StringRef init = "NDR_INIT_NONE";
      double std = 0.0;
      if (t.init) {
        switch (t.init->kind) {
        case ParamInit::Kind::Zeros:
          init = "NDR_INIT_ZEROS";
          break;
        case ParamInit::Kind::Ones:
          init = "NDR_INIT_ONES";
          break;
        case ParamInit::Kind::Normal:
          init = "NDR_INIT_NORMAL";
          std = t.init->std;
          break;
        }
      }
      std::string shape = t.type.getRank() == 0
                              ? "NULL"
                              : fmt::format("{}_shape{}", group.str(), i);
      write("  {{{}, {}, {}, {}, {}, {:e}f}},\n", cString(t.name),
            runtimeDtype(t.type.getElementType()).str(), t.type.getRank(), shape,
            init.str(), std);
    }
    write("}};\n\n");
  }

  const ModelInfo &model;
  std::string &out;
};

} // namespace

std::string ndr::generateModelSource(const ModelInfo &model,
                                     PackageKind kind) {
  std::string text = fmt::format(
      "/* Generated by ndrc for model '{}': do not edit. */\n"
      "#include <stdint.h>\n#include <stdlib.h>\n\n#include \"ndr_model.h\"\n\n",
      cComment(model.name));
  if (kind != PackageKind::Executable)
    fmt::format_to(std::back_inserter(text), "#include \"{}.h\"\n\n", model.name);
  SourceWriter writer(model, text);
  writer.descriptor();
  if (kind == PackageKind::Executable)
    writer.main();
  else
    writer.api();
  if (kind == PackageKind::SharedLibrary)
    writer.libraryDescriptor();
  return text;
}

std::string ndr::generateModelHeader(const ModelInfo &model) {
  const std::string &m = model.name;
  std::string text;
  auto out = std::back_inserter(text);
  fmt::format_to(out,
                 "/* Generated by ndrc: the C API of model '{0}'. */\n"
                 "#ifndef {1}\n#define {1}\n\n#include <stdint.h>\n\n"
                 "#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n"
                 "/* Shapes (row-major). f16 and bf16 tensors travel as uint16_t bits. */\n",
                 m, StringRef(m).upper() + "_H");
  auto shapes = [&](StringRef what, const std::vector<TensorInfo> &tensors) {
    for (const TensorInfo &t : tensors) {
      std::string macro = StringRef(m + "_" + t.cName).upper();
      fmt::format_to(out, "/* {} {}{}: {} */\n", what.str(), cComment(t.name),
                     t.cName != t.name ? fmt::format(" (C parameter {})", t.cName)
                                       : "",
                     typeString(t.type));
      fmt::format_to(out, "#define {0}_RANK {1}\n#define {0}_NUMEL {2}\n", macro,
                     t.type.getRank(), t.type.getNumElements());
      if (t.type.getRank())
        fmt::format_to(out, "#define {}_SHAPE {}\n", macro, cShape(t.type));
    }
  };
  shapes("input", model.inputs);
  shapes("output", model.outputs);
  std::string dummy;
  SourceWriter writer(model, dummy);
  fmt::format_to(
      out,
      "\ntypedef struct {0}_model {0}_model;\n\n"
      "/* Loads the parameters from a safetensors file, or with params_path\n"
      " * NULL fills them from their declared initializers (drawn with seed),\n"
      " * and computes derived weights once. NULL on error: see {0}_last_error()\n"
      " * and {0}_last_status(). */\n"
      "{0}_model *{0}_create(const char *params_path, uint64_t seed);\n\n"
      "/* One run on caller-owned buffers; seed drives dropout in train mode.\n"
      " * Returns 0, or a nonzero status (as {0}_last_status) with\n"
      " * {0}_last_error() set. Runs of one model may overlap in several\n"
      " * threads. */\n"
      "int {0}_run({1});\n\n"
      "{3}"
      "void {0}_destroy({0}_model *model);\n\n"
      "/* The message of this thread's last failure, one line (\"\" if none). */\n"
      "const char *{0}_last_error(void);\n\n"
      "/* The status of that failure, 0 if none: 1 I/O error, 2 format error,\n"
      " * 3 shape mismatch, 4 dtype mismatch, 5 missing tensor, 6 invalid\n"
      " * argument, 7 out of memory (ndr_status, docs/errors.md). */\n"
      "int {0}_last_status(void);\n\n"
      "/* The model's descriptor (runtime/ndr_model.h): the names, dtypes and\n"
      " * shapes of its inputs, outputs and parameters, for bindings. */\n"
      "const struct ndr_model_desc *{0}_descriptor(void);\n\n"
      "#ifdef __cplusplus\n}}\n#endif\n\n#endif /* {2} */\n",
      m, writer.runParameters(), StringRef(m).upper() + "_H",
      model.cuda
          ? fmt::format(
                "/* A run on device memory (compiled with --target=cuda): the\n"
                " * tensors are device pointers (CUdeviceptr values, 16-byte aligned)\n"
                " * in the device's primary context; the work is enqueued on stream\n"
                " * (a CUstream, NULL for the default stream) and this returns\n"
                " * without waiting for it. Same statuses as {0}_run. */\n"
                "int {0}_run_device({1});\n\n",
                m, writer.deviceRunParameters())
          : std::string());
  return text;
}
