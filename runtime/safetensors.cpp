// safetensors.cpp - safetensors reading (memory-mapped) and writing.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON (an object
// of name -> {"dtype", "shape", "data_offsets"} plus an optional
// "__metadata__" object of strings, padded with spaces), then the data
// buffer, which the tensors' [begin, end) offsets must tile exactly.
#include "runtime/internal.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <iterator>
#include <memory>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {
using ndr_rt::fail;
using ndr_rt::HeaderCursor;

struct Tensor {
  std::string name;
  ndr_dtype dtype = NDR_F32;
  int32_t rank = 0;
  int64_t shape[NDR_MAX_RANK] = {};
  uint64_t begin = 0, end = 0;
};

// A tensor name (or other string of a file) in single quotes for a message,
// which must stay one line whatever the name holds: backslashes and control
// characters are escaped (a name with a newline reads 'a\nb').
std::string quote(const std::string &text) {
  std::string out = "'";
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (byte < 0x20 || byte == 0x7f)
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", byte);
    else
      out += c;
  }
  return out + "'";
}

// Safetensors dtype names, indexed by ndr_dtype.
constexpr const char *dtypeNames[] = {
    "F32", "F16", "BF16", "F64", "I8",   "I16",     "I32",    "I64",
    "U8",  "U16", "U32",  "U64", "BOOL", "F8_E4M3", "F8_E5M2"};
constexpr int numDtypes = sizeof(dtypeNames) / sizeof(dtypeNames[0]);

// A strict parser for exactly the JSON that a safetensors header holds.
class HeaderParser : public HeaderCursor {
public:
  using HeaderCursor::HeaderCursor;

  bool parse(std::vector<Tensor> &tensors,
             std::vector<std::pair<std::string, std::string>> &metadata) {
    bool haveMetadata = false;
    if (!expect('{'))
      return false;
    skipSpace();
    if (!consume('}')) {
      do {
        std::string key;
        if (!parseString(key) || !expect(':'))
          return false;
        if (key == "__metadata__") {
          if (haveMetadata)
            return failAt("duplicate __metadata__");
          haveMetadata = true;
          if (!parseMetadata(metadata))
            return false;
        } else {
          tensors.emplace_back();
          tensors.back().name = std::move(key);
          if (!parseTensor(tensors.back()))
            return false;
        }
      } while (nextMember('}'));
      if (!error.empty())
        return false;
    }
    skipSpace();
    return pos == end || failAt("unexpected text after the header object");
  }

private:
  // After a member or element: true on ',', false on `close` or an error.
  bool nextMember(char close) {
    skipSpace();
    if (consume(','))
      return true;
    if (!consume(close))
      failAt(fmt::format("expected ',' or '{}'", close));
    return false;
  }

  bool parseHex4(uint32_t &out) {
    out = 0;
    for (int i = 0; i < 4; ++i, ++pos) {
      if (pos == end)
        return failAt("truncated \\u escape");
      char c = *pos;
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0)
        return failAt("bad \\u escape");
      out = out * 16 + static_cast<uint32_t>(digit);
    }
    return true;
  }

  static void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool parseString(std::string &out) {
    skipSpace();
    if (!consume('"'))
      return failAt("expected a string");
    out.clear();
    while (true) {
      if (pos == end)
        return failAt("unterminated string");
      unsigned char c = static_cast<unsigned char>(*pos++);
      if (c == '"')
        return true;
      if (c < 0x20)
        return failAt("control character in string");
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (pos == end)
        return failAt("unterminated string");
      char escape = *pos++;
      const char *simple = std::strchr("\"\\/bfnrt", escape);
      if (escape && simple) {
        out += "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
        continue;
      }
      if (escape != 'u')
        return failAt("bad escape in string");
      uint32_t cp;
      if (!parseHex4(cp))
        return false;
      if (cp >= 0xDC00 && cp <= 0xDFFF)
        return failAt("unpaired surrogate in string");
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        uint32_t low;
        if (!consume('\\') || !consume('u') || !parseHex4(low) || low < 0xDC00 ||
            low > 0xDFFF)
          return error.empty() ? failAt("unpaired surrogate in string") : false;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      }
      if (cp == 0)
        return failAt("NUL character in string");
      appendUtf8(out, cp);
    }
  }

  // A JSON integer in [0, 2^63): no sign, fraction, exponent or leading 0.
  bool parseUint(uint64_t &out) {
    skipSpace();
    const char *start = pos;
    if (pos == end || *pos < '0' || *pos > '9')
      return failAt("expected a non-negative integer");
    out = 0;
    while (pos < end && *pos >= '0' && *pos <= '9') {
      if (__builtin_mul_overflow(out, 10u, &out) ||
          __builtin_add_overflow(out, static_cast<uint64_t>(*pos - '0'), &out) ||
          out > static_cast<uint64_t>(INT64_MAX))
        return failAt("integer too large");
      ++pos;
    }
    if (*start == '0' && pos - start > 1)
      return failAt("integer with a leading zero");
    if (pos < end && (*pos == '.' || *pos == 'e' || *pos == 'E'))
      return failAt("expected an integer");
    return true;
  }

  bool parseUintArray(std::vector<uint64_t> &out) {
    out.clear();
    if (!expect('['))
      return false;
    skipSpace();
    if (consume(']'))
      return true;
    do {
      uint64_t value;
      if (!parseUint(value))
        return false;
      if (out.size() == NDR_MAX_RANK)
        return failAt(fmt::format("array longer than {}", NDR_MAX_RANK));
      out.push_back(value);
    } while (nextMember(']'));
    return error.empty();
  }

  bool parseTensor(Tensor &tensor) {
    bool haveDtype = false, haveShape = false, haveOffsets = false;
    if (!expect('{'))
      return false;
    do {
      std::string key;
      if (!parseString(key) || !expect(':'))
        return false;
      bool *seen = key == "dtype"          ? &haveDtype
                   : key == "shape"        ? &haveShape
                   : key == "data_offsets" ? &haveOffsets
                                           : nullptr;
      if (!seen)
        return failAt(fmt::format("unknown field {} in tensor {}", quote(key),
                                  quote(tensor.name)));
      if (*seen)
        return failAt(fmt::format("duplicate field {} in tensor {}", quote(key),
                                  quote(tensor.name)));
      *seen = true;
      if (key == "dtype") {
        std::string name;
        if (!parseString(name))
          return false;
        int index = 0;
        while (index < numDtypes && name != dtypeNames[index])
          ++index;
        if (index == numDtypes)
          return failAt(fmt::format("tensor {} has unsupported dtype {}",
                                    quote(tensor.name), quote(name)));
        tensor.dtype = static_cast<ndr_dtype>(index);
      } else {
        std::vector<uint64_t> values;
        if (!parseUintArray(values))
          return false;
        if (key == "shape") {
          tensor.rank = static_cast<int32_t>(values.size());
          std::copy(values.begin(), values.end(), tensor.shape);
        } else {
          if (values.size() != 2)
            return failAt(fmt::format("data_offsets of tensor {} must have 2 entries",
                                      quote(tensor.name)));
          tensor.begin = values[0];
          tensor.end = values[1];
        }
      }
    } while (nextMember('}'));
    if (!error.empty())
      return false;
    if (!haveDtype || !haveShape || !haveOffsets)
      return failAt(fmt::format("tensor {} lacks '{}'", quote(tensor.name),
                                !haveDtype   ? "dtype"
                                : !haveShape ? "shape"
                                             : "data_offsets"));
    return true;
  }

  bool parseMetadata(std::vector<std::pair<std::string, std::string>> &metadata) {
    if (!expect('{'))
      return false;
    skipSpace();
    if (consume('}'))
      return true;
    do {
      std::string key, value;
      if (!parseString(key) || !expect(':') || !parseString(value))
        return false;
      metadata.emplace_back(std::move(key), std::move(value));
    } while (nextMember('}'));
    return error.empty();
  }
};

void appendJsonString(std::string &out, const char *text) {
  out += '"';
  for (const char *c = text; *c; ++c) {
    unsigned char byte = static_cast<unsigned char>(*c);
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += *c;
    } else if (byte < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", byte);
    } else {
      out += *c;
    }
  }
  out += '"';
}
} // namespace

struct ndr_safetensors {
  std::string path;
  void *map = nullptr;
  size_t mapSize = 0;
  const unsigned char *data = nullptr; // the data buffer
  std::vector<Tensor> tensors;         // in data buffer order
  std::unordered_map<std::string, size_t> byName;
  std::vector<std::pair<std::string, std::string>> metadata;

  ~ndr_safetensors() {
    if (map)
      munmap(map, mapSize);
  }

  ndr_status load();
  ndr_tensor_info info(size_t index) const;
};

ndr_status ndr_safetensors::load() {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(NDR_ERR_IO, "{}: cannot open: {}", path, std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(NDR_ERR_IO, "{}: not a regular file", path);
  }
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  if (fileSize < 8) {
    ::close(fd);
    return fail(NDR_ERR_FORMAT, "{}: not a safetensors file ({} bytes)", path,
                fileSize);
  }
  mapSize = static_cast<size_t>(fileSize);
  void *mapped = mmap(nullptr, mapSize, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd); // the mapping keeps the file open
  if (mapped == MAP_FAILED)
    return fail(NDR_ERR_IO, "{}: cannot map: {}", path, std::strerror(errno));
  map = mapped;
  const unsigned char *base = static_cast<const unsigned char *>(map);

  uint64_t headerSize;
  std::memcpy(&headerSize, base, 8);
  if (headerSize == 0 || headerSize > fileSize - 8)
    return fail(NDR_ERR_FORMAT,
                "{}: header length {} does not fit the file ({} bytes)", path,
                headerSize, fileSize);
  const char *header = reinterpret_cast<const char *>(base + 8);
  if (header[0] != '{')
    return fail(NDR_ERR_FORMAT, "{}: header does not start with '{{'", path);
  HeaderParser parser(header, headerSize);
  if (!parser.parse(tensors, metadata))
    return fail(NDR_ERR_FORMAT, "{}: {}", path, parser.error);
  data = base + 8 + headerSize;
  uint64_t bufferSize = fileSize - 8 - headerSize;

  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor &t = tensors[i];
    std::string what = fmt::format("{}: tensor {}", path, quote(t.name));
    if (!byName.emplace(t.name, i).second)
      return fail(NDR_ERR_FORMAT, "{} appears twice", what);
    uint64_t bytes;
    if (!ndr_rt::tensorBytes(t.dtype, t.rank, t.shape, &bytes))
      return fail(NDR_ERR_FORMAT, "{}: shape too large", what);
    if (t.end < t.begin || t.end > bufferSize)
      return fail(NDR_ERR_FORMAT,
                  "{}: data_offsets [{}, {}] out of range (data buffer has {} bytes)",
                  what, t.begin, t.end, bufferSize);
    if (t.end - t.begin != bytes)
      return fail(NDR_ERR_FORMAT,
                  "{}: shape {} of {} needs {} bytes, data_offsets [{}, {}] hold {}",
                  what, ndr_rt::shapeString(t.rank, t.shape),
                  ndr_dtype_name(t.dtype), bytes, t.begin, t.end, t.end - t.begin);
  }
  std::stable_sort(tensors.begin(), tensors.end(), [](const Tensor &a, const Tensor &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor &t = tensors[i];
    byName[t.name] = i;
    if (t.begin != covered)
      return fail(NDR_ERR_FORMAT,
                  "{}: tensor {} {} (data_offsets begin at {}, expected {})", path,
                  quote(t.name),
                  t.begin < covered ? "overlaps the previous tensor"
                                    : "leaves a gap before it",
                  t.begin, covered);
    covered = t.end;
  }
  if (covered != bufferSize)
    return fail(NDR_ERR_FORMAT,
                "{}: the data buffer has {} bytes but the tensors cover {}", path,
                bufferSize, covered);
  return NDR_OK;
}

ndr_tensor_info ndr_safetensors::info(size_t index) const {
  const Tensor &t = tensors[index];
  ndr_tensor_info info{};
  info.name = t.name.c_str();
  info.dtype = t.dtype;
  info.rank = t.rank;
  std::copy(t.shape, t.shape + t.rank, info.shape);
  info.data = data + t.begin;
  info.nbytes = t.end - t.begin;
  return info;
}

extern "C" {

ndr_status ndr_safetensors_open(const char *path, ndr_safetensors **out) {
  if (!path || !out)
    return fail(NDR_ERR_ARG, "ndr_safetensors_open: null argument");
  *out = nullptr;
  std::unique_ptr<ndr_safetensors> file(new ndr_safetensors);
  file->path = path;
  if (ndr_status status = file->load())
    return status;
  *out = file.release();
  return NDR_OK;
}

void ndr_safetensors_close(ndr_safetensors *file) { delete file; }

int64_t ndr_safetensors_count(const ndr_safetensors *file) {
  return static_cast<int64_t>(file->tensors.size());
}

ndr_status ndr_safetensors_entry(const ndr_safetensors *file, int64_t index,
                                 ndr_tensor_info *info) {
  if (index < 0 || static_cast<uint64_t>(index) >= file->tensors.size())
    return fail(NDR_ERR_ARG, "{}: no tensor at index {}", file->path, index);
  *info = file->info(static_cast<size_t>(index));
  return NDR_OK;
}

ndr_status ndr_safetensors_find(const ndr_safetensors *file, const char *name,
                                ndr_tensor_info *info) {
  if (!name)
    return fail(NDR_ERR_ARG, "{}: null tensor name", file->path);
  auto found = file->byName.find(name);
  if (found == file->byName.end())
    return fail(NDR_ERR_MISSING, "{}: missing tensor {}", file->path, quote(name));
  *info = file->info(found->second);
  return NDR_OK;
}

ndr_status ndr_safetensors_get(const ndr_safetensors *file, const char *name,
                               ndr_dtype dtype, int32_t rank,
                               const int64_t *shape, const void **data) {
  ndr_tensor_info info;
  if (ndr_status status = ndr_safetensors_find(file, name, &info))
    return status;
  if (ndr_status status = ndr_rt::checkTensor(
          fmt::format("{}: tensor {}", file->path, quote(name)), dtype, rank,
          shape, info))
    return status;
  *data = info.data;
  return NDR_OK;
}

ndr_status ndr_safetensors_read(const ndr_safetensors *file, const char *name,
                                ndr_dtype dtype, int32_t rank,
                                const int64_t *shape, void *dst) {
  const void *data;
  if (ndr_status status = ndr_safetensors_get(file, name, dtype, rank, shape, &data))
    return status;
  uint64_t bytes;
  ndr_rt::tensorBytes(dtype, rank, shape, &bytes);
  if (bytes && !dst)
    return fail(NDR_ERR_ARG, "{}: null destination for {}", file->path,
                quote(name));
  if (bytes)
    std::memcpy(dst, data, bytes);
  return NDR_OK;
}

const char *ndr_safetensors_metadata(const ndr_safetensors *file,
                                     const char *key) {
  for (const auto &entry : file->metadata)
    if (key && entry.first == key)
      return entry.second.c_str();
  return nullptr;
}

ndr_status ndr_safetensors_write(const char *path,
                                 const ndr_safetensors_tensor *tensors,
                                 int64_t count, const char *const *metadata,
                                 int64_t metadata_count) {
  if (!path || count < 0 || (count > 0 && !tensors) || metadata_count < 0 ||
      (metadata_count > 0 && !metadata))
    return fail(NDR_ERR_ARG, "ndr_safetensors_write: invalid arguments");
  std::string name = path;
  std::string header = "{";
  std::unordered_map<std::string, int64_t> seen;
  uint64_t offset = 0;
  for (int64_t i = 0; i < count; ++i) {
    const ndr_safetensors_tensor &t = tensors[i];
    if (!t.name || !std::strcmp(t.name, "__metadata__") || !seen.emplace(t.name, i).second)
      return fail(NDR_ERR_ARG, "{}: tensor {} has a null, reserved or repeated name",
                  name, i);
    uint64_t bytes;
    if (ndr_dtype_size(t.dtype) == 0 || t.rank < 0 || t.rank > NDR_MAX_RANK ||
        (t.rank > 0 && !t.shape) || !ndr_rt::tensorBytes(t.dtype, t.rank, t.shape, &bytes) ||
        (bytes && !t.data))
      return fail(NDR_ERR_ARG, "{}: tensor {} has an invalid dtype, shape or data",
                  name, quote(t.name));
    if (i)
      header += ',';
    appendJsonString(header, t.name);
    fmt::format_to(std::back_inserter(header),
                   ":{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
                   dtypeNames[t.dtype], fmt::join(t.shape, t.shape + t.rank, ","),
                   offset, offset + bytes);
    offset += bytes;
  }
  if (metadata_count > 0) {
    header += count ? ",\"__metadata__\":{" : "\"__metadata__\":{";
    for (int64_t k = 0; k < metadata_count; ++k) {
      const char *key = metadata[2 * k], *value = metadata[2 * k + 1];
      if (!key || !value)
        return fail(NDR_ERR_ARG, "{}: null metadata key or value", name);
      if (k)
        header += ',';
      appendJsonString(header, key);
      header += ':';
      appendJsonString(header, value);
    }
    header += '}';
  }
  header += '}';
  // Pad with spaces so that the data buffer starts 8-byte aligned.
  header.append((8 - header.size() % 8) % 8, ' ');

  FILE *file = std::fopen(path, "wb");
  if (!file)
    return fail(NDR_ERR_IO, "{}: cannot create: {}", name, std::strerror(errno));
  uint64_t headerSize = header.size();
  bool ok = std::fwrite(&headerSize, 8, 1, file) == 1 &&
            std::fwrite(header.data(), 1, header.size(), file) == header.size();
  for (int64_t i = 0; ok && i < count; ++i) {
    uint64_t bytes;
    ndr_rt::tensorBytes(tensors[i].dtype, tensors[i].rank, tensors[i].shape, &bytes);
    ok = !bytes || std::fwrite(tensors[i].data, 1, bytes, file) == bytes;
  }
  ok = std::fclose(file) == 0 && ok;
  if (!ok)
    return fail(NDR_ERR_IO, "{}: write failed: {}", name, std::strerror(errno));
  return NDR_OK;
}

} // extern "C"
